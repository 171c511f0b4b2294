"""Building blocks of the conformance corpus generator (see generate.py and corpus/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shakentrace.reasons import REASON_CODES
from shakentrace.testing import Blob, StiCA, StiCert, build_invite, split_token

#: The moment every generated call is verified at (unless a case says otherwise).
NOW = datetime(2026, 3, 1, 12, 0, 2, tzinfo=UTC)
#: The iat of every generated PASSporT (two seconds before NOW).
IAT = int((NOW - timedelta(seconds=2)).timestamp())
ORIG, DEST = "12155551212", "12155551213"


def iso(moment: datetime) -> str:
    """Return ``moment`` as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shaken_facts(identity: str) -> dict[str, Any]:
    """attestation and origid of the PASSporT in an Identity value, for expectations."""
    try:
        claims = split_token(identity.split(";", 1)[0])[1]
    except (ValueError, KeyError, IndexError):
        return {}
    facts: dict[str, Any] = {}
    if isinstance(claims.get("attest"), str):
        facts["attestation"] = claims["attest"]
    if isinstance(claims.get("origid"), str):
        facts["origid"] = claims["origid"]
    return facts


def valid(identity: str | None = None, **extra: Any) -> dict[str, Any]:
    """Expectation of a call that verifies."""
    out: dict[str, Any] = {
        "status": "valid",
        "verstat": "TN-Validation-Passed",
        "sip_code": None,
        "errors": [],
    }
    if identity:
        out.update(shaken_facts(identity))
    out.update(extra)
    return out


def invalid(
    *errors: str, identity: str | None = None, exact: bool = True, **extra: Any
) -> dict[str, Any]:
    """Expectation of a failing call: exactly ``errors``, or at least them unless ``exact``."""
    for code in errors:
        assert code in REASON_CODES, code
    out: dict[str, Any] = {"status": "invalid", "verstat": "TN-Validation-Failed"}
    if len(errors) == 1:
        out["sip_code"] = REASON_CODES[errors[0]].sip_code
    out["errors" if exact else "errors_include"] = sorted(errors)
    if identity:
        out.update(shaken_facts(identity))
    out.update(extra)
    return out


def no_identity() -> dict[str, Any]:
    """Expectation of a call without any Identity header."""
    return {
        "status": "no-identity",
        "verstat": "No-TN-Validation",
        "sip_code": 428,
        "errors": ["no-identity"],
    }


@dataclass
class World:
    """The PKI every generated case shares: one trusted STI-CA and a stranger."""

    ca: StiCA = field(default_factory=lambda: StiCA(seed="shakentrace-corpus-1", now=NOW))
    stranger: StiCA = field(
        default_factory=lambda: StiCA(seed="shakentrace-corpus-stranger", now=NOW)
    )
    certs: dict[str, StiCert] = field(default_factory=dict)

    def cert(self, label: str, **kwargs: Any) -> StiCert:
        """Issue (once) the certificate called ``label``; x5u ``https://cr.sti.example/<label>.pem``."""
        if label not in self.certs:
            ca = kwargs.pop("ca", self.ca)
            kwargs.setdefault("x5u", f"https://cr.sti.example/{label}.pem")
            self.certs[label] = ca.issue_cert(**kwargs)
        return self.certs[label]


@dataclass
class Corpus:
    """Collects cases and the files they refer to, then writes them."""

    root: Path
    world: World = field(default_factory=World)
    cases: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def file(self, name: str, data: bytes | Blob) -> str:
        """Register a file (path relative to the corpus root) and return its name."""
        data = bytes(data)
        assert self.files.get(name, data) == data, f"two contents for {name}"
        self.files[name] = data
        return name

    def chain(self, cert: StiCert, label: str | None = None) -> dict[str, Any]:
        """The certificates map entry serving ``cert``'s chain at its x5u."""
        name = label or cert.x5u.rsplit("/", 1)[-1].removesuffix(".pem")
        return {cert.x5u: self.file(f"certs/{name}.pem", cert.chain_pem)}

    def trust(self, ca: StiCA | None = None, name: str = "corpus-root") -> list[str]:
        """The trust anchor list with ``ca``'s root (default: the shared CA)."""
        return [self.file(f"trust/{name}.pem", (ca or self.world.ca).root_pem)]

    def add(
        self,
        case_id: str,
        title: str,
        *,
        source: str,
        expected: dict[str, Any],
        sip: bytes | None = None,
        identity: str | None = None,
        certificates: dict[str, Any] | None = None,
        cert: StiCert | None = None,
        trust: list[str] | None = None,
        crls: list[str] | None = None,
        now: datetime = NOW,
        normative: bool = True,
        notes: str | None = None,
        policy: dict[str, Any] | None = None,
    ) -> None:
        """Add one case; ``cert`` is a shortcut for serving that certificate's chain."""
        assert all(c["id"] != case_id for c in self.cases), case_id
        certificates = dict(certificates or {})
        if cert is not None:
            certificates.update(self.chain(cert))
        case: dict[str, Any] = {"id": case_id, "title": title, "source": source}
        if sip is not None:
            case["input"] = {"type": "sip", "file": self.file(f"sip/{case_id}.sip", sip)}
        else:
            assert identity is not None
            case["input"] = {"type": "identity", "value": identity}
        case["certificates"] = certificates
        case["trust_anchors"] = trust if trust is not None else self.trust()
        if crls:
            case["crls"] = crls
        case["now"] = iso(now)
        if policy:
            case["policy"] = policy
        case["expected"] = expected
        case["normative"] = normative
        if notes:
            case["notes"] = notes
        self.cases.append(case)

    def write(self) -> None:
        """Write manifest.json and every file under the corpus root."""
        for name, data in sorted(self.files.items()):
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        manifest = {
            "format": 1,
            "generator": "test_vectors/generate.py",
            "now_default": iso(NOW),
            "policy_default": {"max_age": 60, "algorithms": ["ES256"]},
            "cases": self.cases,
        }
        text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
        (self.root / "manifest.json").write_text(text, encoding="utf-8")


def call(identity: str | list[str] | tuple[str, ...] = (), **kwargs: Any) -> bytes:
    """An INVITE from ORIG to DEST carrying ``identity`` (Date = the PASSporT's iat)."""
    kwargs.setdefault("orig", ORIG)
    kwargs.setdefault("dest", DEST)
    kwargs.setdefault("date", datetime.fromtimestamp(IAT, UTC))
    return build_invite(identity=identity, **kwargs)


def replace_header(raw: bytes, name: str, value: str | None) -> bytes:
    """Replace (or with ``None`` delete) every header ``name`` of an INVITE built by ``call``."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    out, done = [lines[0]], False
    for line in lines[1:]:
        if line.split(":", 1)[0].lower() == name.lower():
            if value is not None and not done:
                out.append(f"{name}: {value}")
            done = True
            continue
        out.append(line)
    return "\r\n".join(out).encode() + sep + body


def replace_request_uri(raw: bytes, uri: str) -> bytes:
    """Replace the Request-URI of an INVITE."""
    rest = raw.split(b"\r\n", 1)[1]
    return f"INVITE {uri} SIP/2.0".encode() + b"\r\n" + rest
