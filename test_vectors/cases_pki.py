"""Corpus families: certificate defects, revocation, x5u URL policy, and peer vectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from corpus_kit import IAT, NOW, Corpus, call, invalid, valid
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ATIS80 = "ATIS-1000080 §6.4.1 / SHAKEN CP (regenerated)"
HERE = Path(__file__).resolve().parent


def _rsa_key() -> rsa.RSAPrivateKey:
    """A committed RSA-2048 key, so the RSA-key case is reproducible."""
    path = HERE / "corpus" / "fixtures" / "rsa-2048-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def cert_defects(c: Corpus) -> None:
    """Certificates that must fail, and ATIS-1000080 deviations that only warn."""
    w = c.world

    def case(label: str, title: str, exp_fn: object, normative: bool = True, **kw: object) -> None:
        cert = w.cert(label, spc=kw.pop("spc", "1234"), **kw)  # type: ignore[arg-type]
        value = cert.identity_header(iat=IAT)
        exp = exp_fn(value) if callable(exp_fn) else exp_fn
        c.add(
            f"cert-{label}",
            title,
            source=ATIS80,
            sip=call(value),
            cert=cert,
            expected=exp,
            normative=normative,
        )

    fail = lambda *codes, exact=True: lambda v: invalid(*codes, identity=v, exact=exact)  # noqa: E731
    warn = lambda v: valid(v, warnings_include=["cert-nonconformant"])  # noqa: E731
    case("no-tnauthlist", "no TNAuthList", fail("cert-invalid"), deviations=["no-tnauthlist"])
    case(
        "empty-tnauthlist",
        "empty TNAuthList",
        fail("cert-invalid"),
        deviations=["empty-tnauthlist"],
    )
    case(
        "tnauthlist-ia5string",
        "TNAuthList is an IA5String URL (libstirshaken)",
        fail("cert-invalid"),
        deviations=["tnauthlist-ia5string"],
    )
    case(
        "ca-leaf",
        "end-entity with CA:TRUE",
        fail("cert-invalid", exact=False),
        deviations=["ca-leaf"],
    )
    case(
        "rsa-key",
        "RSA-2048 subject key",
        fail("cert-invalid", exact=False),
        deviations=["rsa-key"],
        key=_rsa_key(),
    )
    case(
        "p384-key", "P-384 subject key", fail("cert-invalid", exact=False), deviations=["p384-key"]
    )
    case(
        "self-signed", "self-signed end-entity", fail("cert-untrusted"), deviations=["self-signed"]
    )
    case(
        "expired-at-iat",
        "expired one second before iat",
        fail("cert-expired"),
        not_before=NOW - timedelta(days=90),
        not_after=NOW - timedelta(seconds=3),
    )
    case(
        "valid-from-iat",
        "validity starts exactly at iat",
        lambda v: valid(v),
        not_before=NOW - timedelta(seconds=2),
    )
    case(
        "not-yet-valid-by-1s",
        "validity starts one second after iat",
        fail("cert-not-yet-valid"),
        not_before=NOW - timedelta(seconds=1),
    )
    case(
        "spc-lowercase", "lowercase SPC 719k (real Neustar cert)", warn, spc="719k", normative=False
    )
    for dev in (
        "no-policy",
        "old-policy",
        "no-crl-dp",
        "cn-format",
        "short-serial",
        "no-key-usage",
        "no-basic-constraints",
        "key-cert-sign",
    ):
        case(dev, f"ATIS-1000080 deviation {dev}", warn, deviations=[dev], normative=False)
    case(
        "issued-by-root",
        "issued directly by the root",
        lambda v: valid(v),
        normative=False,
        deviations=["issued-by-root"],
    )
    leaf_only = w.cert("1234-leaf-only", spc="1234")
    value = leaf_only.identity_header(iat=IAT)
    name = c.file("certs/1234-leaf-only.pem", leaf_only.cert_pem)
    c.add(
        "cert-chain-missing-intermediate",
        "x5u serves the leaf without its intermediate",
        source=ATIS80,
        sip=call(value),
        certificates={leaf_only.x5u: name},
        expected=invalid("cert-untrusted", identity=value),
    )
    # Delegate certificates (RFC 9060 / ATIS-1000092): TN-based TNAuthLists.
    for label, kw, ok in (
        ("delegate-tn", {"tns": ["12155551212"]}, True),
        ("delegate-range", {"tn_ranges": [("12155551200", 100)]}, True),
        ("delegate-tn-other", {"tns": ["12155550000"]}, False),
        ("delegate-range-other", {"tn_ranges": [("12155551300", 100)]}, False),
        ("delegate-range-edge", {"tn_ranges": [("12155551113", 100)]}, True),
        ("delegate-range-past-edge", {"tn_ranges": [("12155551113", 99)]}, False),
    ):
        case(
            label,
            f"delegate certificate {kw}",
            (lambda v: valid(v)) if ok else fail("tn-not-authorized"),
            spc=None,
            **kw,
        )
    # Revocation: a CRL from the issuing CA is part of the case.
    revoked = w.cert("1234-revoked", spc="1234")
    w.ca.revoke(revoked, at=NOW - timedelta(days=1))
    crl = c.file("crl/corpus-intermediate.pem", w.ca.crl(this_update=NOW - timedelta(hours=1)))
    value = revoked.identity_header(iat=IAT)
    c.add(
        "cert-revoked",
        "certificate on the issuing CA's CRL",
        source=ATIS80,
        sip=call(value),
        cert=revoked,
        crls=[crl],
        expected=invalid("cert-revoked", identity=value),
    )
    good = w.cert("1234-a", spc="1234")
    value = good.identity_header(iat=IAT)
    c.add(
        "cert-not-revoked",
        "CRL given, certificate not on it",
        source=ATIS80,
        sip=call(value),
        cert=good,
        crls=[crl],
        expected=valid(value),
    )
    c.add(
        "cert-no-trust-anchors",
        "no trust anchor at all",
        source=ATIS80,
        sip=call(value),
        cert=good,
        trust=[],
        expected=invalid("cert-untrusted", identity=value),
    )
    c.add(
        "cert-other-anchor",
        "only the stranger root is trusted",
        source=ATIS80,
        sip=call(value),
        cert=good,
        trust=c.trust(w.stranger, "stranger-root"),
        expected=invalid("cert-untrusted", identity=value),
    )


def x5u_policy(c: Corpus) -> None:
    """ATIS-1000074 §5.3.1 x5u rules and SSRF guards: refused before any fetch."""
    rows = [
        ("http", "http://cr.sti.example/1234-x.pem", False, True),
        ("port-8443", "https://cr.sti.example:8443/1234-x.pem", True, True),
        ("port-443-explicit", "https://cr.sti.example:443/1234-x.pem", True, True),
        ("port-80", "https://cr.sti.example:80/1234-x.pem", False, True),
        ("userinfo", "https://user:pw@cr.sti.example/1234-x.pem", False, True),
        ("query", "https://cr.sti.example/1234-x.pem?v=2", False, True),
        ("fragment", "https://cr.sti.example/1234-x.pem#f", False, True),
        ("ip-private", "https://10.0.0.7/1234-x.pem", False, True),
        ("ip-loopback", "https://127.0.0.1/1234-x.pem", False, True),
        ("ip-link-local-metadata", "https://169.254.169.254/latest/meta-data", False, True),
        ("ipv6-loopback", "https://[::1]/1234-x.pem", False, True),
        ("file-scheme", "file:///etc/passwd", False, True),
        ("local-path", "/usr/share/cgrates/stir/stir_pubkey.pem", False, False),
    ]
    for name, url, ok, normative in rows:
        cert = c.world.cert(f"x5u-{name}", spc="1234", x5u=url)
        value = cert.identity_header(iat=IAT)
        exp = valid(value) if ok else invalid("x5u-forbidden", identity=value, exact=normative)
        c.add(
            f"x5u-{name}",
            f"x5u {url}",
            source="ATIS-1000074 §5.3.1; DESIGN §5",
            sip=call(value),
            certificates={url: c.file(f"certs/x5u-{name}.pem", cert.chain_pem)},
            expected=exp,
            normative=normative,
        )


def x5u_fetch_failures(c: Corpus) -> None:
    """What the network did when fetching an allowed x5u (the runner reports it as given)."""
    cert = c.world.cert("1234-a", spc="1234")
    value = cert.identity_header(iat=IAT)
    for name, code, detail in (
        ("redirect", "x5u-forbidden", "HTTP 302 to https://elsewhere.example/c.pem (no redirects)"),
        ("oversized", "cert-unavailable", "body larger than the size cap"),
        ("http-500", "cert-unavailable", "HTTP 500 Internal Server Error"),
        ("tls-failure", "cert-unavailable", "TLS certificate of the x5u host not trusted"),
    ):
        c.add(
            f"fetch-{name}",
            f"fetching x5u: {detail}",
            source="ATIS-1000074 §5.3.1; DESIGN §5",
            sip=call(value),
            certificates={cert.x5u: {"error": code, "detail": detail}},
            expected=invalid(code, identity=value),
        )


def peers(c: Corpus) -> None:
    """Hand-collected vectors with a permissive licence (test_vectors/<source>/PROVENANCE.md)."""
    lib = "../libstirshaken/"
    src = "signalwire/libstirshaken @ cb6ede4 (MIT)"
    attest_b = (HERE / "libstirshaken" / "readme_identity_header_attestB.txt").read_text().strip()
    c.add(
        "peer-libstirshaken-readme-attest-b",
        "libstirshaken README token; TNAuthList not RFC 8226",
        source=src,
        identity=attest_b,
        certificates={"https://shaken.signalwire.cloud/sp.pem": lib + "test__ref__sp__sp.pem"},
        trust=[lib + "test__ref__ca__ca.pem"],
        now=datetime.fromtimestamp(1616442524, UTC),
        expected=invalid("cert-invalid", identity=attest_b, exact=False),
        normative=False,
        notes="signature verifies; sp.pem has no extensions except an IA5String 'TNAuthList'",
    )
    ref = (HERE / "libstirshaken" / "passport_ref_identity_header.txt").read_text().strip()
    c.add(
        "peer-libstirshaken-passport-ref",
        "orig/dest JSON objects double-encoded as strings",
        source=src,
        identity=ref,
        certificates={"http://shaken.signalwire.cloud/sp.pem": lib + "test__ref__sp__sp.pem"},
        trust=[lib + "test__ref__ca__ca.pem"],
        now=datetime.fromtimestamp(1603458132, UTC),
        expected=invalid("passport-malformed", exact=False),
        normative=False,
        notes="libstirshaken's own verifier accepts it; secsipidx rejects the payload",
    )


def real_world(c: Corpus) -> None:
    """A real production PASSporT with its real chain (test_vectors/bandwidth/PROVENANCE.md)."""
    value = (HERE / "bandwidth" / "identity_header_callstate_example.txt").read_text().strip()
    x5u = "https://bw-shaken-cert-pub.s3.amazonaws.com/bandwidth-shaken-cert_20230716.pem"
    c.add(
        "peer-bandwidth-callstate-real-token",
        "Bandwidth production token (attest A, SPC 997E) with its Neustar chain",
        source="Bandwidth/ruby-sdk docs/CallState.md (MIT); chain from shaken-pki-reports",
        identity=value,
        certificates={x5u: "../bandwidth/x5u_served_chain.pem"},
        trust=["../bandwidth/neustar_root_ca.pem"],
        now=datetime.fromtimestamp(1656534337, UTC),
        expected=valid(value),
    )
