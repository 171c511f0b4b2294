"""Corpus families about the Identity header, the PASSporT and the call (see generate.py)."""

from __future__ import annotations

import json
from datetime import timedelta

from corpus_kit import (
    IAT,
    NOW,
    Corpus,
    call,
    invalid,
    no_identity,
    replace_header,
    valid,
)

from shakentrace.testing import MUTATIONS, StiCert, format_identity, resign

AGRANIG = "agranig/stirshaken-scenarios (taxonomy in research/prior-art.md §2.3)"
MAN = "French MAN test list via OpenSIPS/sipssert-opensips-tests cases.json (regenerated)"


def _raw_token(cert: StiCert, header: bytes, payload: bytes) -> str:
    from shakentrace.testing import encode_jws

    return encode_jws(header, payload, cert.private_key, deterministic=True)


def agranig(c: Corpus) -> None:
    """Scenarios 000-502 of the agranig SIPp verifier suite, regenerated."""
    cert = c.world.cert("1234-a", spc="1234")
    good = cert.identity_header(iat=IAT)
    sip = call(good)
    c.add(
        "agranig-000-valid",
        "valid call, no Date header",
        source=AGRANIG,
        sip=replace_header(sip, "Date", None),
        cert=cert,
        expected=valid(good),
    )
    c.add(
        "agranig-001-valid-date",
        "valid call with a Date equal to iat",
        source=AGRANIG,
        sip=sip,
        cert=cert,
        expected=valid(good),
    )
    c.add(
        "agranig-010-garbage-identity",
        "Identity value is garbage",
        source=AGRANIG,
        sip=call("garbage"),
        cert=cert,
        expected=invalid("identity-malformed"),
    )
    junk = format_identity("abc.def.ghi", info=cert.x5u)
    c.add(
        "agranig-011-invalid-jwt",
        "token is not a JWS",
        source=AGRANIG,
        sip=call(junk),
        cert=cert,
        expected=invalid("passport-malformed"),
    )
    header = json.dumps(cert.header(), sort_keys=True, separators=(",", ":")).encode()
    nonjson = format_identity(_raw_token(cert, header, b"not json at all"), info=cert.x5u)
    c.add(
        "agranig-015-payload-not-json",
        "payload is not JSON",
        source=AGRANIG,
        sip=call(nonjson),
        cert=cert,
        expected=invalid("passport-malformed"),
    )
    c.add(
        "agranig-018-bad-alg-param",
        "Identity alg=ES255",
        source=AGRANIG,
        sip=call(good.replace("alg=ES256", "alg=ES255")),
        cert=cert,
        expected=invalid("unsupported-alg", identity=good),
    )
    for code, name, iat, error, normative in (
        ("100", "iat-zero", 0, "stale", True),
        ("102", "iat-past", IAT - 120, "stale", True),
        ("103", "iat-future", IAT + 120, "iat-in-future", True),
        ("104", "iat-far-future", IAT + 10 * 365 * 86400, "iat-in-future", True),
        ("106", "iat-negative", -1, "stale", False),
    ):
        value = cert.identity_header(iat=iat)
        c.add(
            f"agranig-{code}-{name}",
            f"iat = {iat}",
            source=AGRANIG,
            sip=call(value, date=NOW),
            cert=cert,
            expected=invalid(error, identity=value),
            normative=normative,
        )
    expired = c.world.cert(
        "1234-expired",
        spc="1234",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=30),
    )
    _signed(
        c, "agranig-200-cert-expired", "certificate expired before iat", expired, "cert-expired"
    )
    future = c.world.cert(
        "1234-future",
        spc="1234",
        not_before=NOW + timedelta(days=30),
        not_after=NOW + timedelta(days=120),
    )
    _signed(
        c,
        "agranig-201-cert-future",
        "certificate not yet valid at iat",
        future,
        "cert-not-yet-valid",
    )
    alien = c.world.cert("1234-stranger", spc="1234", ca=c.world.stranger)
    _signed(
        c, "agranig-204-untrusted-ca", "certificate from an untrusted CA", alien, "cert-untrusted"
    )
    for code, name, entry in (
        ("205", "garbage-cert", c.file("certs/garbage.pem", b"this is not a certificate\n")),
        ("206", "empty-cert", c.file("certs/empty.pem", b"")),
        ("207", "cert-404", {"error": "cert-unavailable", "detail": "HTTP 404 Not Found"}),
        ("209", "x5u-unresponsive", {"error": "cert-unavailable", "detail": "timeout"}),
    ):
        c.add(
            f"agranig-{code}-{name}",
            f"x5u serves: {entry}",
            source=AGRANIG,
            sip=sip,
            certificates={cert.x5u: entry},
            expected=invalid("cert-unavailable", identity=good),
        )
    port = c.world.cert(
        "1234-port8080", spc="1234", x5u="https://cr.sti.example:8080/1234-port8080.pem"
    )
    _signed(
        c,
        "agranig-208-x5u-port-8080",
        "x5u on port 8080 (ATIS-1000074: 443/8443 only)",
        port,
        "x5u-forbidden",
    )
    for code, name, claims, error, normative in (
        ("300", "orig-dest-missing", {"orig": None, "dest": None}, "passport-malformed", True),
        ("306", "dest-empty", {"dest": {"tn": []}}, "passport-malformed", True),
        ("307", "orig-garbage", {"orig": {"tn": "garbage"}}, None, False),
    ):
        value = cert.identity_for(resign(good.split(";")[0], cert, claims=claims))
        exp = invalid(error, identity=value) if error else invalid(exact=False, identity=value)
        c.add(
            f"agranig-{code}-{name}",
            f"claims {claims}",
            source=AGRANIG,
            sip=call(value),
            cert=cert,
            expected=exp,
            normative=normative,
        )
    other = cert.identity_header(orig="12025550100", iat=IAT)
    c.add(
        "agranig-303-orig-mismatch",
        "orig differs from From and PAI",
        source=AGRANIG,
        sip=call(other),
        cert=cert,
        expected=invalid("orig-mismatch", identity=other),
    )
    elsewhere = cert.identity_header(dest="12025550101", iat=IAT)
    c.add(
        "agranig-304-dest-mismatch",
        "dest differs from To and Request-URI",
        source=AGRANIG,
        sip=call(elsewhere),
        cert=cert,
        expected=invalid("dest-mismatch", identity=elsewhere),
    )
    for code, name, x5u in (("501", "x5u-empty", ""), ("502", "x5u-garbage", "garbage")):
        token = cert.sign_passport(iat=IAT, x5u=x5u)
        value = format_identity(token, info=x5u)
        c.add(
            f"agranig-{code}-{name}",
            f"x5u and info = {x5u!r}",
            source=AGRANIG,
            sip=call(value),
            certificates={},
            expected=invalid(exact=False, identity=value),
            normative=False,
        )


def _signed(c: Corpus, case_id: str, title: str, cert: StiCert, error: str, **kw: object) -> None:
    value = cert.identity_header(iat=IAT)
    c.add(
        case_id,
        title,
        source=kw.pop("source", AGRANIG),
        sip=call(value),
        cert=cert,  # type: ignore[arg-type]
        expected=invalid(error, identity=value),
        **kw,
    )  # type: ignore[arg-type]


def french(c: Corpus) -> None:
    """The verification cases (04-26) of the French MAN list, regenerated with our PKI."""
    cert = c.world.cert("FR01", spc="FR01", organization="Operateur Exemple SA", country="FR")
    caller, service = "33612345678", "33987654321"

    def sign(**kw: object) -> str:
        kw.setdefault("orig", caller)
        kw.setdefault("dest", service)
        kw.setdefault("origid", "toto")
        kw.setdefault("iat", IAT)
        return cert.identity_header(**kw)  # type: ignore[arg-type]

    def add(
        num: str,
        title: str,
        value: str | None,
        exp: dict[str, object],
        man: int,
        normative: bool = True,
        **call_kw: object,
    ) -> None:
        call_kw.setdefault("orig", caller)
        call_kw.setdefault("dest", service)
        sip = call(value if value is not None else (), **call_kw)  # type: ignore[arg-type]
        c.add(
            f"man-{num}",
            title,
            source=MAN,
            sip=sip,
            cert=cert,
            expected=exp,
            normative=normative,
            notes=f"MAN expects SIP {man}",
        )

    good = sign()
    add("04-verify-200", "valid", good, valid(good), 200)
    anon = call(good, orig=caller, dest=service)
    anon = replace_header(anon, "From", '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=a1')
    c.add(
        "man-05-verify-200-anonymous",
        "anonymous From, PAI carries the caller",
        source=MAN,
        sip=anon,
        cert=cert,
        expected=valid(good),
        notes="MAN expects SIP 200",
    )
    wrong_from = replace_header(
        call(good, orig=caller, dest=service, pai=False),
        "From",
        "<sip:toto@operateur.example>;tag=w1",
    )
    c.add(
        "man-06-wrong-from",
        "From user is not a number, no PAI",
        source=MAN,
        sip=wrong_from,
        cert=cert,
        expected=invalid("orig-mismatch", identity=good),
        notes="MAN expects SIP 400 (malformed From); we report orig-mismatch (438)",
    )
    for num, date, error in (
        ("08a-date-past", "Sat, 13 Nov 2010 23:29:00 GMT", "stale"),
        ("08b-date-future", "Tue, 22 Sep 2150 23:29:00 GMT", "iat-in-future"),
    ):
        raw = replace_header(call(good, orig=caller, dest=service), "Date", date)
        c.add(
            f"man-{num}",
            f"Date {date} with a fresh iat",
            source=MAN,
            sip=raw,
            cert=cert,
            expected=invalid(error, identity=good),
            normative=False,
            notes="MAN expects SIP 403; RFC 8224 §6.2 lets a full-form verifier rely on iat",
        )
    old = sign(iat=IAT - 3600)
    add("09-wrong-iat", "iat one hour old", old, invalid("stale", identity=old), 403)
    add("10-no-identity", "no Identity header", None, no_identity(), 428)
    no_info = good.replace(f";info=<{cert.x5u}>", "")
    add(
        "11-no-info",
        "Identity without info",
        no_info,
        invalid("identity-malformed"),
        436,
        normative=False,
    )
    token = resign(good.split(";")[0], cert, header={"ppt": None})
    no_ppt = format_identity(token, info=cert.x5u, ppt=None)
    add(
        "12-token-no-ppt",
        "JWS header and Identity without ppt",
        no_ppt,
        invalid(exact=False, identity=no_ppt),
        436,
        normative=False,
    )
    mismatch = good.replace(f"info=<{cert.x5u}>", "info=<https://certs.example.org/other.pem>")
    add(
        "13-x5u-diff-info",
        "info differs from x5u",
        mismatch,
        invalid("info-x5u-mismatch", identity=good),
        436,
    )
    add(
        "14-no-alg",
        "Identity without alg",
        good.replace(";alg=ES256", ""),
        valid(good),
        437,
        normative=False,
    )
    add(
        "15-wrong-alg",
        "Identity alg=XX564",
        good.replace("alg=ES256", "alg=XX564"),
        invalid("unsupported-alg", identity=good),
        437,
    )
    bad_alg = cert.identity_for(resign(good.split(";")[0], cert, header={"alg": "ES512"}))
    add(
        "16-wrong-header-alg",
        "JWS alg ES512",
        bad_alg,
        invalid("unsupported-alg", exact=False, identity=good),
        437,
    )
    typ = cert.identity_for(resign(good.split(";")[0], cert, header={"typ": "poussport"}))
    add(
        "17-wrong-header-typ",
        "JWS typ poussport",
        typ,
        invalid("passport-malformed", identity=good),
        437,
        normative=False,
    )
    expired = c.world.cert(
        "FR01-expired",
        spc="FR01",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    value = expired.identity_header(orig=caller, dest=service, origid="toto", iat=IAT)
    c.add(
        "man-18-cert-expired",
        "certificate expired",
        source=MAN,
        sip=call(value, orig=caller, dest=service),
        cert=expired,
        expected=invalid("cert-expired", identity=value),
        notes="MAN expects SIP 437",
    )
    future = c.world.cert("FR01-future", spc="FR01", not_before=NOW + timedelta(days=2))
    value = future.identity_header(orig=caller, dest=service, origid="toto", iat=IAT)
    c.add(
        "man-19-cert-in-future",
        "certificate not yet valid",
        source=MAN,
        sip=call(value, orig=caller, dest=service),
        cert=future,
        expected=invalid("cert-not-yet-valid", identity=value),
        notes="MAN expects SIP 437",
    )
    add(
        "20-more-params",
        "extra Identity parameter toto=titi",
        good + ";toto=titi",
        valid(good),
        438,
        normative=False,
    )
    add(
        "21-no-ppt-param",
        "Identity without ppt",
        good.replace(";ppt=shaken", ""),
        invalid(exact=False, identity=good),
        438,
        normative=False,
    )
    add(
        "22-wrong-ppt-param",
        "Identity ppt=hey",
        good.replace("ppt=shaken", "ppt=hey"),
        invalid("unsupported-ppt", exact=False, identity=good),
        438,
        normative=False,
    )
    hdr = cert.identity_for(resign(good.split(";")[0], cert, header={"ppt": "no_shaken"}))
    add(
        "23-wrong-header-ppt",
        "JWS ppt no_shaken",
        hdr.replace("ppt=no_shaken", "ppt=shaken"),
        invalid("unsupported-ppt", exact=False),
        438,
        normative=False,
    )
    w = sign(attest="W")
    add("24-wrong-attest", "attest W", w, invalid("passport-malformed"), 438)
    add(
        "25-orig-diff-from",
        "orig differs from From/PAI",
        sign(orig="33611111111"),
        invalid("orig-mismatch", identity=sign(orig="33611111111")),
        438,
    )
    add(
        "26-dest-diff-to",
        "dest differs from To",
        sign(dest="33911111111"),
        invalid("dest-mismatch", identity=sign(dest="33911111111")),
        438,
    )


def mutations(c: Corpus) -> None:
    """Every shakentrace.testing mutation applied to one good call."""
    cert = c.world.cert("1234-a", spc="1234")
    good = cert.identity_header(iat=IAT)
    for name, mutation in sorted(MUTATIONS.items()):
        bad = mutation.apply(cert, good)
        facts = bad if mutation.reason != "passport-malformed" else None
        exp = invalid(mutation.reason, identity=facts)
        if mutation.reason == "noncanonical-json":
            exp = valid(good, warnings_include=["noncanonical-json"])
        c.add(
            f"mutation-{name}",
            mutation.description,
            source="shakentrace.testing.MUTATIONS",
            sip=call(bad, date=NOW),
            cert=cert,
            expected=exp,
        )
