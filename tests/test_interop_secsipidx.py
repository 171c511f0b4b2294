"""Interoperability with Debian's secsipidx (asipto, Go; used by Kamailio's secsipid module).

Both directions: tokens secsipidx signs verify with shakentrace, and tokens
``shakentrace.testing`` signs pass ``secsipidx -check``. An end-to-end case runs
secsipidx as an HTTP verification service on 127.0.0.1 that fetches the x5u chain
from its own file server and validates it against our test STI-CA and CRL; another
fetches the chain over HTTPS from a TLS server the test runs on 127.0.0.1.

Disagreements found (also in test_vectors/corpus/README.md):

* ``-sign-full`` ignores ``-iat`` and ``-ppt`` (always now, always ``shaken``).
* Go's encoder escapes ``&``, ``<``, ``>`` as ``\\u0026``… in JSON strings; the bytes are
  valid JSON but differ from our RFC 8225 §9 serialisation.
* ``-json-parse`` re-serialises through a fixed struct and drops unknown claims
  (``rcd``, ``crn``, ``div``).
* secsipidx accepts a stale token when ``-expire`` allows it, and never checks that
  ``iat`` is not in the future.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace._jose import b64url_decode, verify_es256
from shakentrace.fetch import StaticFetcher
from shakentrace.passport import decode_passport
from shakentrace.testing import MUTATIONS, StiCA, StiCert, split_token
from shakentrace.trust import TrustStore

pytestmark = pytest.mark.interop

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FOREVER = "999999999"
TIMEOUT = 10


@pytest.fixture(scope="module")
def secsipidx() -> str:
    path = shutil.which("secsipidx")
    if path is None:
        message = "secsipidx not installed (Debian: apt-get install secsipidx)"
        if os.environ.get("SHAKENTRACE_REQUIRE_INTEROP") == "1":
            pytest.fail(message + " and SHAKENTRACE_REQUIRE_INTEROP=1")
        pytest.skip(message + "; set SHAKENTRACE_REQUIRE_INTEROP=1 to fail instead")
    return path


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed="interop", now=NOW)


@pytest.fixture(scope="module")
def cert(ca: StiCA) -> StiCert:
    return ca.issue_cert(spc="1234")


@pytest.fixture(scope="module")
def keys(cert: StiCert, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    cert.private_key_pem.write_to_path(folder / "key.pem")
    cert.public_key_pem.write_to_path(folder / "pub.pem")
    cert.cert_pem.write_to_path(folder / "cert.pem")
    return folder


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def _check(secsipidx: str, identity: str, key: Path, expire: str = FOREVER) -> tuple[bool, str]:
    out = _run(secsipidx, "-check", "-fpubkey", str(key), "-identity", identity, "-expire", expire)
    return out.returncode == 0 and out.stdout.strip().endswith(
        "ok"
    ) and "not-ok" not in out.stdout, (out.stdout)


def _ours_verifies(cert: StiCert, token: str) -> bool:
    head, payload, signature = token.split(".")
    key = cert.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return verify_es256(key, f"{head}.{payload}".encode(), b64url_decode(signature))


# --- secsipidx signs, shakentrace verifies -----------------------------------------

SIGN_FULL_CASES = [
    ("A", "12155551212", "12155551213", "7f1c0b7e-6b1e-4a43-9a76-0d6b3c1d2e3f"),
    ("B", "+12155551212", "+12155551213", "abc"),
    ("C", "442079460000", "33612345678", ""),
    ("A", "1001", "1002", "123456"),
    ("B", "123456789012345", "1", "x"),
    ("C", "12155551212", "*67", "gw-7"),
    ("A", "12155551212", "12155551213#", "origid with spaces"),
]


@pytest.mark.parametrize(("attest", "orig", "dest", "origid"), SIGN_FULL_CASES)
def test_secsipidx_sign_full_verifies_with_shakentrace(
    secsipidx: str, cert: StiCert, keys: Path, attest: str, orig: str, dest: str, origid: str
) -> None:
    args = ["-sign-full", "-fprvkey", str(keys / "key.pem"), "-attest", attest]
    args += ["-orig-tn", orig, "-dest-tn", dest, "-x5u", cert.x5u]
    if origid:
        args += ["-orig-id", origid]
    out = _run(secsipidx, *args)
    assert out.returncode == 0, out.stdout + out.stderr
    identity = out.stdout.strip()
    token, params = identity.split(";", 1)
    assert params == f"info=<{cert.x5u}>;alg=ES256;ppt=shaken"
    header, claims, signature = split_token(token)
    assert header == {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": cert.x5u}
    assert claims["attest"] == attest
    assert claims["orig"] == {"tn": orig}
    assert claims["dest"] == {"tn": [dest]}
    assert claims["origid"] == origid or (not origid and len(claims["origid"]) == 36)
    assert len(signature) == 64  # raw R‖S, like ours
    assert _ours_verifies(cert, token)
    passport = decode_passport(token)
    assert passport.attest == attest
    assert passport.orig_tn == orig
    assert passport.dest_tns == (dest,)
    assert passport.x5u == cert.x5u
    # Go's struct order happens to be RFC 8225 §9 order: no noncanonical-json warning.
    assert "noncanonical-json" not in {w.code for w in passport.warnings}
    assert all(w.severity != "error" for w in passport.warnings)


def test_secsipidx_sign_of_given_json_verifies(secsipidx: str, cert: StiCert, keys: Path) -> None:
    # -sign signs the JSON text as given: fixed iat, any claims, any key order.
    header = '{"x5u":"%s","typ":"passport","ppt":"shaken","alg":"ES256"}' % cert.x5u  # noqa: UP031
    payload = '{"orig":{"tn":"1"},"iat":1700000000,"rcd":{"nam":"Ex"},"dest":{"tn":["2"]}}'
    out = _run(secsipidx, "-sign", "-fprvkey", str(keys / "key.pem"), "-header", header,
               "-payload", payload)  # fmt: skip
    token = out.stdout.strip()
    assert b64url_decode(token.split(".")[0]).decode() == header
    assert split_token(token)[1]["rcd"] == {"nam": "Ex"}
    assert _ours_verifies(cert, token)


def test_secsipidx_escapes_json_differently(secsipidx: str, cert: StiCert, keys: Path) -> None:
    x5u = "https://cr.sti.example/c.pem?a=1&b=2"
    out = _run(secsipidx, "-sign-full", "-fprvkey", str(keys / "key.pem"), "-x5u", x5u,
               "-orig-tn", "1", "-dest-tn", "2")  # fmt: skip
    token = out.stdout.split(";", 1)[0]
    raw_header = b64url_decode(token.split(".")[0])
    assert b"\\u0026" in raw_header  # Go's HTML-safe escaping, valid JSON
    assert split_token(token)[0]["x5u"] == x5u
    assert _ours_verifies(cert, token)
    passport = decode_passport(token)
    assert passport.x5u == x5u
    # Valid JSON, but not our byte serialisation: flagged as a warning only.
    assert "noncanonical-json" in {w.code for w in passport.warnings}


def test_secsipidx_sign_full_ignores_iat_and_ppt(secsipidx: str, keys: Path) -> None:
    out = _run(secsipidx, "-sign-full", "-fprvkey", str(keys / "key.pem"), "-orig-tn", "1",
               "-dest-tn", "2", "-iat", "1700000000", "-ppt", "div")  # fmt: skip
    header, claims, _ = split_token(out.stdout.split(";", 1)[0])
    assert claims["iat"] != 1700000000
    assert header["ppt"] == "shaken"


# --- shakentrace signs, secsipidx checks ---------------------------------------------

OUR_CASES = {
    "default": {},
    "attest-b": {"attest": "B"},
    "attest-c": {"attest": "C", "orig": "442079460000"},
    "many-dests": {"dest": ["12155551213", "12155551214", "12155551215"]},
    "plus-tns": {"orig": "+12155551212", "dest": "+12155551213"},
    "rcd": {"rcd": {"nam": "Société Exemple", "apn": "12155550000"}, "crn": "Delivery"},
    "uuid-origid": {"origid": "123e4567-e89b-12d3-a456-426614174000"},
    "extra-claim": {"extra_claims": {"mky": "sha-256 AB:CD"}},
}


@pytest.mark.parametrize("name", sorted(OUR_CASES))
def test_our_identity_passes_secsipidx_check(
    secsipidx: str, cert: StiCert, keys: Path, name: str
) -> None:
    identity = cert.identity_header(**OUR_CASES[name])  # type: ignore[arg-type]
    ok, out = _check(secsipidx, identity, keys / "pub.pem")
    assert ok, out
    ok, out = _check(secsipidx, identity, keys / "cert.pem")  # the certificate works too
    assert ok, out


def test_quoted_ppt_passes_secsipidx(secsipidx: str, cert: StiCert, keys: Path) -> None:
    identity = cert.identity_for(cert.sign_passport(), quote_ppt=True)
    assert _check(secsipidx, identity, keys / "pub.pem")[0]


def test_secsipidx_expire_judges_our_iat(secsipidx: str, cert: StiCert, keys: Path) -> None:
    old = cert.identity_header(iat=int(time.time()) - 120)
    assert not _check(secsipidx, old, keys / "pub.pem", expire="60")[0]
    assert _check(secsipidx, old, keys / "pub.pem", expire="300")[0]


def test_secsipidx_does_not_reject_future_iat(secsipidx: str, cert: StiCert, keys: Path) -> None:
    # We report iat-in-future; secsipidx only checks age (documented disagreement).
    future = cert.identity_header(iat=int(time.time()) + 3600)
    assert _check(secsipidx, future, keys / "pub.pem", expire="60")[0]


# Mutations secsipidx also rejects, and those it accepts (where it is more lenient).
SECSIPIDX_REJECTS = {
    "tamper-attest", "tamper-orig", "wrong-key", "der-signature", "alg-none", "alg-hs256",
    "embedded-jwk", "info-mismatch", "padded-base64", "alg-param", "missing-info", "string-iat",
}  # fmt: skip
SECSIPIDX_ACCEPTS = {
    "noncanonical-json",  # a warning for us too
    "missing-attest", "missing-origid", "missing-orig", "missing-dest", "missing-x5u",
    "bad-attest", "crit-header",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SECSIPIDX_REJECTS | SECSIPIDX_ACCEPTS))
def test_our_mutations_under_secsipidx(
    secsipidx: str, cert: StiCert, keys: Path, name: str
) -> None:
    good = cert.identity_header()
    bad = MUTATIONS[name].apply(cert, good)
    ok, out = _check(secsipidx, bad, keys / "pub.pem")
    assert ok == (name in SECSIPIDX_ACCEPTS), out


def test_every_mutation_is_classified() -> None:
    iat_only = {"stale-iat", "future-iat", "missing-iat"}
    assert SECSIPIDX_REJECTS | SECSIPIDX_ACCEPTS | iat_only == set(MUTATIONS)


# --- end to end: secsipidx as an HTTP verification service on 127.0.0.1 --------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, data: str) -> str:
    request = urllib.request.Request(url, data=data.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return str(response.read().decode().strip())
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode().strip())


class _Service:
    """secsipidx -http-srv on a loopback port, serving x5u files from its /v1/pub/."""

    def __init__(self, secsipidx: str, folder: Path) -> None:
        self.secsipidx = secsipidx
        self.folder = folder
        self.port = _free_port()
        self.www = folder / "www"
        self.www.mkdir(exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ca: StiCA, *, crl: bool = False, env: dict[str, str] | None = None) -> None:
        folder = self.folder
        ca.root_pem.write_to_path(folder / "root.pem")
        ca.intermediate_pem.write_to_path(folder / "inter.pem")
        ca.crl().write_to_path(folder / "crl.pem")
        self.launch(folder / "root.pem", folder / "inter.pem", folder / "crl.pem", crl, env)

    def launch(
        self,
        root: Path,
        inter: Path,
        crl_file: Path,
        crl: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        args = [self.secsipidx, "-http-srv", f"127.0.0.1:{self.port}", "-http-dir", str(self.www)]
        args += ["-expire", FOREVER, "-timeout", "3", "-ca-file", str(root)]
        args += ["-ca-inter", str(inter), "-crl-file", str(crl_file)]
        args += ["-cert-verify", "29" if crl else "13"]  # time, CA file, inter (, CRL)
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("secsipidx HTTP service did not start")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/v1/pub/{name}"

    def publish(self, cert: StiCert, name: str) -> str:
        cert.chain_pem.write_to_path(self.www / name)
        return cert.identity_header()

    def check(self, identity: str) -> str:
        return _post(f"http://127.0.0.1:{self.port}/v1/check", identity)

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def service(secsipidx: str, tmp_path: Path) -> Iterator[_Service]:
    svc = _Service(secsipidx, tmp_path)
    yield svc
    svc.close()


FAR = datetime(2099, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def live_ca() -> StiCA:
    """A CA on the wall clock: secsipidx judges certificate validity against it."""
    return StiCA(seed="interop-live-e2e")


def test_end_to_end_secsipidx_fetches_and_trusts_our_chain(
    service: _Service, live_ca: StiCA
) -> None:
    identity = service.publish(live_ca.issue_cert(x5u=service.url("a.pem"), not_after=FAR), "a.pem")
    service.start(live_ca)
    assert service.check(identity) == "OK"


def test_end_to_end_untrusted_chain_fails(service: _Service, live_ca: StiCA) -> None:
    stranger = StiCA(seed="stranger", now=NOW)
    identity = service.publish(
        stranger.issue_cert(x5u=service.url("b.pem"), not_after=FAR), "b.pem"
    )
    service.start(live_ca)
    assert service.check(identity) == "FAILED"


def test_end_to_end_expired_certificate_fails(service: _Service, live_ca: StiCA) -> None:
    old = live_ca.issue_cert(
        x5u=service.url("c.pem"),
        not_before=datetime(2025, 1, 1, tzinfo=UTC),
        not_after=datetime(2025, 6, 1, tzinfo=UTC),
    )
    identity = service.publish(old, "c.pem")
    service.start(live_ca)
    assert service.check(identity) == "FAILED"


def test_end_to_end_missing_certificate_fails(service: _Service, live_ca: StiCA) -> None:
    identity = live_ca.issue_cert(x5u=service.url("absent.pem"), not_after=FAR).identity_header()
    service.start(live_ca)
    assert service.check(identity) == "FAILED"


def test_end_to_end_revoked_certificate_fails(service: _Service) -> None:
    ca = StiCA(seed="revoking")  # wall clock: secsipidx checks validity against it
    good = service.publish(ca.issue_cert(x5u=service.url("g.pem"), not_after=FAR), "g.pem")
    revoked = ca.issue_cert(x5u=service.url("r.pem"), not_after=FAR)
    bad = service.publish(revoked, "r.pem")
    ca.revoke(revoked)
    service.start(ca, crl=True)
    assert service.check(good) == "OK"
    assert service.check(bad) == "FAILED"


# --- secsipidx-signed tokens through the whole shakentrace.Verifier -------------------


def test_secsipidx_tokens_pass_the_verifier(secsipidx: str, tmp_path: Path) -> None:
    verify: Any = pytest.importorskip("shakentrace.verify", reason="shakentrace.verify not landed")
    live = StiCA(seed="interop-live")  # wall clock: secsipidx -sign-full signs with iat = now
    cert = live.issue_cert(spc="5678", not_after=datetime(2099, 1, 1, tzinfo=UTC))
    cert.private_key_pem.write_to_path(tmp_path / "key.pem")
    fetcher = StaticFetcher({cert.x5u: bytes(cert.chain_pem)})
    verifier = verify.Verifier(trust=TrustStore.from_pem(live.trust_pem), fetcher=fetcher)
    for attest, orig, dest, origid in SIGN_FULL_CASES:
        args = ["-sign-full", "-fprvkey", str(tmp_path / "key.pem"), "-attest", attest]
        args += ["-orig-tn", orig, "-dest-tn", dest, "-x5u", cert.x5u, "-orig-id", origid or "o"]
        identity = _run(secsipidx, *args).stdout.strip()
        iat = split_token(identity.split(";")[0])[1]["iat"]
        outcome = verifier.verify_identity(identity, now=datetime.fromtimestamp(iat + 1, UTC))
        errors = [r for r in outcome.reasons if r.severity == "error"]
        assert outcome.status == "valid", (orig, dest, errors)
        assert outcome.attestation == attest
        assert outcome.signer.spc == "5678"


# --- secsipidx over the conformance corpus --------------------------------------------

#: Findings ``secsipidx -check -fpubkey`` can reach: it has the key, not the chain or SIP.
TOKEN_LEVEL = {
    "identity-malformed", "passport-malformed", "unsupported-alg", "unsupported-ppt",
    "info-x5u-mismatch", "stale", "iat-in-future", "bad-signature",
}  # fmt: skip

#: Corpus cases where secsipidx 1.2.0 and the corpus disagree, and why.
SECSIPIDX_DISAGREES = {
    "agranig-103-iat-future": "no future-iat check",
    "agranig-104-iat-far-future": "no future-iat check",
    "iat-future-300": "no future-iat check",
    "mutation-future-iat": "no future-iat check",
    "man-12-token-no-ppt": "ppt is neither required in the header nor as a parameter",
    "man-21-no-ppt-param": "ppt parameter not required",
    "man-24-wrong-attest": "attest value not checked",
    "mutation-bad-attest": "attest value not checked",
    "passport-attest-lowercase": "attest value not checked",
    "agranig-300-orig-dest-missing": "required claims not checked",
    "agranig-306-dest-empty": "dest contents not checked",
    "agranig-307-orig-garbage": "orig contents not checked",
    "mutation-missing-attest": "required SHAKEN claims not checked",
    "mutation-missing-dest": "required claims not checked",
    "mutation-missing-orig": "required claims not checked",
    "mutation-missing-origid": "required SHAKEN claims not checked",
    "mutation-missing-x5u": "x5u not required in the header",
    "mutation-crit-header": "crit not processed (RFC 7515 §4.1.11)",
    "jwt-crit-unknown": "crit not processed (RFC 7515 §4.1.11)",
    "jwt-b64-false": "crit/b64 not processed",
    "jwt-duplicate-alg": "Go's JSON decoder keeps the last duplicate member",
    "identity-info-no-brackets": "accepts info without angle brackets",
    "identity-uppercase-param-names": "parameter names compared case-sensitively (RFC 3261 §7.3.1)",
}


def _corpus_in_scope() -> list[tuple[str, str, bytes, float, bool]]:
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).resolve().parent))
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from test_corpus import CASES, CORPUS, identities

    rows = []
    for case in CASES:
        expected = case["expected"]
        codes = set(expected.get("errors", [])) | set(expected.get("errors_include", []))
        if not codes <= TOKEN_LEVEL or case["id"].startswith("man-08"):
            continue  # needs the chain, the SIP headers or the Date header
        served = [v for v in case["certificates"].values() if isinstance(v, str)]
        values = identities(case)
        if not served or not values:
            continue
        try:
            leaf = x509.load_pem_x509_certificates((CORPUS / served[0]).read_bytes())[0]
        except ValueError:
            continue
        key = leaf.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        now = datetime.fromisoformat(case["now"].replace("Z", "+00:00")).timestamp()
        rows.append((case["id"], values[0], key, now, expected["status"] == "valid"))
    return rows


def test_secsipidx_over_the_corpus(secsipidx: str, tmp_path: Path) -> None:
    disagreements = set()
    rows = _corpus_in_scope()
    if time.time() < max(now for *_, now, _valid in rows) + 3600:
        pytest.skip("the wall clock is before the corpus' moments; secsipidx -expire cannot shift")
    for case_id, value, key, now, valid in rows:
        (tmp_path / "pub.pem").write_bytes(key)
        # secsipidx judges iat against the wall clock: shift its window to the case's now.
        # It reads the clock in whole seconds after it starts: begin early in a second,
        # so that the cases 59, 60 and 61 s old are not judged a second later.
        if time.time() % 1 > 0.7:
            time.sleep(1 - time.time() % 1)
        expire = str(int(time.time() - now) + 60)
        ok, _ = _check(secsipidx, value, tmp_path / "pub.pem", expire=expire)
        if ok != valid:
            disagreements.add(case_id)
    assert len(rows) >= 100
    assert disagreements == set(SECSIPIDX_DISAGREES)
    print(f"secsipidx agrees on {len(rows) - len(disagreements)} of {len(rows)} token-level cases")


# --- end to end over HTTPS: our TLS server on 127.0.0.1, secsipidx fetching x5u -------


def _tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A TLS CA and a server certificate for 127.0.0.1 (trustme-style, with cryptography)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name("TLS test CA")).issuer_name(name("TLS test CA"))
        .public_key(ca_key.public_key()).serial_number(1).not_valid_before(start)
        .not_valid_after(end).add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    server = (
        x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(2).not_valid_before(start)
        .not_valid_after(end).add_extension(san, False).sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (folder / "tls-ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "tls-cert.pem").write_bytes(server.public_bytes(pem))
    (folder / "tls-key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "tls-ca.pem", folder / "tls-cert.pem", folder / "tls-key.pem"


def test_end_to_end_over_https(secsipidx: str, live_ca: StiCA, tmp_path: Path) -> None:
    import http.server
    import ssl
    import threading

    tls_ca, tls_cert, tls_key = _tls_files(tmp_path)
    served: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/pem-certificate-chain")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_cert, tls_key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    service, blind = _Service(secsipidx, tmp_path), _Service(secsipidx, tmp_path)
    try:
        port = httpd.server_address[1]
        cert = live_ca.issue_cert(x5u=f"https://127.0.0.1:{port}/sti/1234.pem", not_after=FAR)
        served["/sti/1234.pem"] = bytes(cert.chain_pem)
        # Go's crypto/x509 takes its system pool from SSL_CERT_FILE.
        service.start(live_ca, env={"SSL_CERT_FILE": str(tls_ca)})
        blind.start(live_ca, env={"SSL_CERT_FILE": str(tmp_path / "root.pem")})
        assert service.check(cert.identity_header()) == "OK"
        assert blind.check(cert.identity_header()) == "FAILED"  # TLS not trusted: no fetch
        stranger = StiCA(seed="https-stranger").issue_cert(
            x5u=f"https://127.0.0.1:{port}/sti/other.pem", not_after=FAR
        )
        served["/sti/other.pem"] = bytes(stranger.chain_pem)
        assert service.check(stranger.identity_header()) == "FAILED"
    finally:
        service.close()
        blind.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=TIMEOUT)


def test_minted_files_work_for_secsipidx(service: _Service, tmp_path: Path) -> None:
    # What a non-Python tester does: shakentrace mint, serve chain.pem, trust root.pem.
    from shakentrace.cli import main

    out = tmp_path / "minted"
    assert main(["mint", str(out), "--x5u", service.url("minted.pem"), "--seed", "m"]) == 0
    (service.www / "minted.pem").write_bytes((out / "chain.pem").read_bytes())
    service.launch(out / "root.pem", out / "intermediate.pem", out / "crl.pem")
    identity = (out / "identity.txt").read_text().strip()
    assert service.check(identity) == "OK"
    ok, text = _check(service.secsipidx, identity, out / "public-key.pem", expire="300")
    assert ok, text
