"""Corpus families: JWT attacks, Identity syntax, PASSporT shape, iat, TNs, div and rcd."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from corpus_kit import (
    DEST,
    IAT,
    NOW,
    ORIG,
    Corpus,
    call,
    invalid,
    replace_header,
    valid,
)

from shakentrace._jose import b64url_encode
from shakentrace.testing import StiCert, encode_jws, format_identity, resign, split_token

RFC8725 = "RFC 8725 (JWT BCP) §2-3, applied to PASSporT"
GEN = "generated (shakentrace.testing)"


def _good(c: Corpus) -> tuple[StiCert, str]:
    cert = c.world.cert("1234-a", spc="1234")
    return cert, cert.identity_header(iat=IAT)


def _tok(value: str) -> str:
    return value.split(";", 1)[0]


def _unsigned(header: dict[str, object], claims: dict[str, object], signature: bytes) -> str:
    dump = lambda v: b64url_encode(json.dumps(v, sort_keys=True, separators=(",", ":")).encode())  # noqa: E731
    return f"{dump(header)}.{dump(claims)}.{b64url_encode(signature)}"


def jwt_attacks(c: Corpus) -> None:
    """RFC 8725 attacks that apply: algorithm choice, embedded keys, crit, typ."""
    cert, good = _good(c)
    header, claims, _ = split_token(_tok(good))
    stranger = c.world.cert("1234-stranger", spc="1234", ca=c.world.stranger)

    def attack(
        name: str, title: str, token: str, error: str | None, normative: bool = True
    ) -> None:
        value = format_identity(token, info=cert.x5u)
        if error == "":  # accepted: the header parameter must simply be ignored
            exp = valid(value)
        elif error:
            exp = invalid(error, identity=value)
        else:
            exp = invalid(exact=False, identity=value)
        c.add(
            f"jwt-{name}",
            title,
            source=RFC8725,
            sip=call(value),
            cert=cert,
            expected=exp,
            normative=normative,
        )

    for alg in ("none", "None", "NONE"):
        attack(
            f"alg-{alg.lower()}-{alg}",
            f"alg {alg}, empty signature",
            _unsigned({**header, "alg": alg}, claims, b""),
            "unsupported-alg",
        )
    pem = bytes(cert.cert_pem)
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        h = {**header, "alg": alg}
        signing = _unsigned(h, claims, b"").rsplit(".", 1)[0]
        mac = hmac.new(pem, signing.encode(), digest).digest()
        attack(
            f"alg-confusion-{alg.lower()}",
            f"{alg} keyed with the certificate PEM",
            f"{signing}.{b64url_encode(mac)}",
            "unsupported-alg",
        )
    for alg in ("es256", "ES384", "ES512", "EdDSA", "RS256", "PS256"):
        attack(
            f"alg-header-{alg.lower()}",
            f"JWS alg {alg} (signature made with ES256)",
            resign(_tok(good), cert, header={"alg": alg}),
            "unsupported-alg",
        )
    key = stranger.private_key
    numbers = key.public_key().public_numbers()  # type: ignore[union-attr]
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32)),
        "y": b64url_encode(numbers.y.to_bytes(32)),
    }
    for name, extra in (
        ("embedded-jwk", {"jwk": jwk}),
        ("jku", {"jku": "https://attacker.example/jwks.json"}),
        (
            "x5c",
            {
                "x5c": [
                    b64url_encode(
                        stranger.certificate.public_bytes(
                            __import__(
                                "cryptography.hazmat.primitives.serialization",
                                fromlist=["Encoding"],
                            ).Encoding.DER
                        )
                    )
                ]
            },
        ),
        ("x5u-attacker", {"x5u": stranger.x5u}),
    ):
        token = resign(_tok(good), stranger.private_key, header=extra)
        attack(
            name,
            f"signed by an attacker key named by {name}",
            token,
            "info-x5u-mismatch" if name == "x5u-attacker" else "bad-signature",
            normative=name != "x5u-attacker",
        )
    attack(
        "crit-unknown",
        "crit lists an unknown header parameter",
        resign(_tok(good), cert, header={"crit": ["exp2"], "exp2": True}),
        "passport-malformed",
    )
    attack(
        "b64-false",
        "RFC 7797 b64:false with crit",
        resign(_tok(good), cert, header={"crit": ["b64"], "b64": False}),
        "passport-malformed",
    )
    attack(
        "kid-traversal",
        "kid header with a path (must be ignored)",
        resign(_tok(good), cert, header={"kid": "../../../../etc/passwd"}),
        "",
        normative=False,
    )
    dup = (
        b'{"alg":"none","alg":"ES256","ppt":"shaken","typ":"passport","x5u":"'
        + cert.x5u.encode()
        + b'"}'
    )
    body = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    attack(
        "duplicate-alg",
        "duplicate alg member in the JWS header (RFC 7515 §5.2)",
        encode_jws(dup, body, cert.private_key, deterministic=True),
        None,
        normative=False,
    )
    attack(
        "typ-jwt",
        "typ JWT instead of passport",
        resign(_tok(good), cert, header={"typ": "JWT"}),
        "passport-malformed",
        normative=False,
    )
    attack(
        "signature-swap",
        "signature of another call",
        _tok(good).rsplit(".", 1)[0]
        + "."
        + _tok(cert.identity_header(iat=IAT - 1)).rsplit(".", 1)[1],
        "bad-signature",
    )
    attack(
        "signature-truncated",
        "signature cut to 63 bytes",
        _tok(good)[:-2],
        "bad-signature",
        normative=False,
    )
    attack(
        "signature-empty",
        "empty signature with alg ES256",
        _tok(good).rsplit(".", 1)[0] + ".",
        "bad-signature",
        normative=False,
    )


def identity_syntax(c: Corpus) -> None:
    """RFC 8224 §4 Identity header syntax, strict and tolerant."""
    cert, good = _good(c)
    token = _tok(good)
    ok = [
        ("quoted-ppt", 'ppt="shaken"', good.replace("ppt=shaken", 'ppt="shaken"')),
        (
            "param-order",
            "ppt before alg before info",
            f"{token};ppt=shaken;alg=ES256;info=<{cert.x5u}>",
        ),
        (
            "spaces-around-params",
            "LWS around ; and =",
            f"{token} ; info=<{cert.x5u}> ;alg=ES256; ppt=shaken",
        ),
        (
            "no-alg-param",
            "alg parameter omitted (optional in RFC 8224)",
            good.replace(";alg=ES256", ""),
        ),
        ("unknown-param", "extension parameter (ident-info-extension)", good + ";foo=bar"),
        (
            "uppercase-param-names",
            "INFO/ALG/PPT in upper case",
            f"{token};INFO=<{cert.x5u}>;ALG=ES256;PPT=shaken",
        ),
    ]
    for name, title, value in ok:
        c.add(
            f"identity-{name}",
            title,
            source="RFC 8224 §4",
            sip=call(value),
            cert=cert,
            expected=valid(good),
            normative=name not in ("uppercase-param-names",),
        )
    raw = call(good)
    c.add(
        "identity-compact-header-name",
        "compact header name y",
        source="RFC 8224 §4",
        sip=call(good, compact_identity=True),
        cert=cert,
        expected=valid(good),
    )
    c.add(
        "identity-lowercase-header-name",
        "header name in lower case",
        source="RFC 3261 §7.3.1",
        sip=raw.replace(b"\r\nIdentity: ", b"\r\nidentity: "),
        cert=cert,
        expected=valid(good),
    )
    folded = raw.replace(f";info=<{cert.x5u}>".encode(), f"\r\n ;info=<{cert.x5u}>".encode())
    c.add(
        "identity-folded",
        "header value folded onto a continuation line",
        source="RFC 3261 §7.3.1",
        sip=folded,
        cert=cert,
        expected=valid(good),
    )
    bad = [
        (
            "missing-semicolon",
            "no ; before alg (PortSIP / Asterisk-2021 shape)",
            good.replace(";alg=ES256", "alg=ES256"),
            "identity-malformed",
            False,
        ),
        (
            "info-no-brackets",
            "info without angle brackets",
            good.replace(f"<{cert.x5u}>", cert.x5u),
            "identity-malformed",
            False,
        ),
        ("empty-value", "empty Identity value", "", "identity-malformed", True),
        (
            "only-params",
            "parameters without a token",
            f";info=<{cert.x5u}>;alg=ES256;ppt=shaken",
            "identity-malformed",
            True,
        ),
        (
            "foo-info-bar",
            "FreeSWITCH test value foo;info=bar",
            "foo;info=bar",
            "identity-malformed",
            True,
        ),
        (
            "bad-token-chars",
            "token with characters outside base64url",
            good.replace(token, token.replace("-", "+", 1) if "-" in token else "%" + token),
            "identity-malformed",
            False,
        ),
        (
            "comma-in-payload",
            "comma injected into the payload (cgrates vector, regenerated)",
            good.replace(
                token,
                token.split(".")[0]
                + "."
                + token.split(".")[1][:10]
                + ","
                + token.split(".")[1][10:]
                + "."
                + token.split(".")[2],
            ),
            "passport-malformed",
            False,
        ),
    ]
    for name, title, value, error, normative in bad:
        c.add(
            f"identity-{name}",
            title,
            source="RFC 8224 §4",
            sip=call(value, date=NOW),
            cert=cert,
            expected=invalid(error, exact=normative) if normative else invalid(exact=False),
            normative=normative,
        )
    compact = ".." + token.split(".")[2]
    c.add(
        "identity-compact-form",
        "compact form ..signature (ATIS-1000074 §5.3.3: full form only)",
        source="RFC 8225 §7",
        sip=call(format_identity(compact, info=cert.x5u), date=NOW),
        cert=cert,
        expected=invalid(exact=False),
        normative=False,
    )


def passport_shape(c: Corpus) -> None:
    """RFC 8225 / RFC 8588 claim shapes seen in the wild."""
    cert, good = _good(c)
    token = _tok(good)
    rows = [
        ("dest-tn-string", {"dest": {"tn": DEST}}, "passport-malformed", True),
        ("orig-double-encoded", {"orig": json.dumps({"tn": ORIG})}, "passport-malformed", True),
        ("iat-float", {"iat": IAT + 0.5}, "passport-malformed", False),
        ("attest-lowercase", {"attest": "a"}, "passport-malformed", True),
        ("attest-number", {"attest": 1}, "passport-malformed", True),
        ("origid-number", {"origid": 42}, "passport-malformed", False),
        ("claims-array", None, "passport-malformed", True),
    ]
    for name, claims, error, normative in rows:
        if claims is None:
            header = json.dumps(
                split_token(token)[0], sort_keys=True, separators=(",", ":")
            ).encode()
            signed = encode_jws(header, b"[1,2,3]", cert.private_key, deterministic=True)
        else:
            signed = resign(token, cert, claims=claims)
        value = cert.identity_for(signed)
        c.add(
            f"passport-{name}",
            f"claims {claims}",
            source="RFC 8225 §5 / RFC 8588",
            sip=call(value),
            cert=cert,
            expected=invalid(error),
            normative=normative,
        )
    for name, claims, title in (
        ("origid-not-uuid", {"origid": "toto"}, "origid not a UUID (common in the wild)"),
        ("attest-c", {"attest": "C"}, "gateway attestation"),
        ("attest-b", {"attest": "B"}, "partial attestation"),
        ("mky-claim", {"mky": [{"alg": "sha-256", "dig": "AB:CD"}]}, "media key claim"),
        (
            "dest-uri-too",
            {"dest": {"tn": [DEST], "uri": ["sip:bob@example.com"]}},
            "dest tn and uri",
        ),
    ):
        value = cert.identity_for(resign(token, cert, claims=claims))
        c.add(
            f"passport-{name}",
            title,
            source="RFC 8225 §5 / RFC 8588",
            sip=call(value),
            cert=cert,
            expected=valid(value),
        )
    loose = cert.identity_for(
        encode_jws(
            b'{"typ":"passport","alg":"ES256","ppt":"shaken","x5u":"' + cert.x5u.encode() + b'"}',
            json.dumps(split_token(token)[1]).encode(),
            cert.private_key,
            deterministic=True,
        )
    )
    c.add(
        "passport-unsorted-spaced",
        "header unsorted, payload with spaces (OpenSIPS case 12 shape)",
        source="RFC 8225 §9",
        sip=call(loose),
        cert=cert,
        expected=valid(loose, warnings_include=["noncanonical-json"]),
    )


def iat_window(c: Corpus) -> None:
    """iat freshness at the policy boundary (max_age 60 s) and the Date header."""
    cert, _ = _good(c)
    for name, delta, exp_ok, normative in (
        ("age-0", 0, True, True),
        ("age-59", 59, True, True),
        ("age-60", 60, True, False),
        ("age-61", 61, False, True),
        ("age-3600", 3600, False, True),
        ("future-1", -1, True, False),
        ("future-300", -300, False, True),
    ):
        iat = int(NOW.timestamp()) - delta
        value = cert.identity_header(iat=iat)
        exp = (
            valid(value)
            if exp_ok
            else invalid("stale" if delta > 0 else "iat-in-future", identity=value)
        )
        c.add(
            f"iat-{name}",
            f"iat = now - {delta}s",
            source="RFC 8224 §6.2; DESIGN §2 rule 6",
            sip=call(value, date=NOW),
            cert=cert,
            expected=exp,
            normative=normative,
        )
    old = cert.identity_header(iat=IAT)
    later = NOW + timedelta(days=365)
    c.add(
        "iat-forensic-now-is-capture-time",
        "year-old capture verified at its capture time",
        source="DESIGN §2 rule 6",
        sip=call(old),
        cert=cert,
        expected=valid(old),
        notes="the certificate has expired by the wall clock; now is the capture time",
    )
    c.add(
        "iat-forensic-verified-a-year-later",
        "same capture judged a year later",
        source="DESIGN §2 rule 6",
        sip=call(old),
        cert=cert,
        now=later,
        expected=invalid("stale", "cert-expired", identity=old, exact=False),
        normative=False,
    )
    c.add(
        "iat-no-date-header",
        "no Date header, iat fresh",
        source="RFC 8224 §6.2",
        sip=replace_header(call(old), "Date", None),
        cert=cert,
        expected=valid(old),
    )
