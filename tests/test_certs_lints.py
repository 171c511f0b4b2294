"""certs.lint: ATIS-1000080 / SHAKEN CP lints agree with the public SHAKEN PKI reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import VECTORS
from shakentrace._lints import LINTS
from shakentrace.certs import lint, load_chain
from shakentrace.testing import StiCA

PKI = VECTORS / "shaken-pki-reports"
MANIFEST: dict[str, dict[str, Any]] = json.loads((PKI / "manifest.json").read_text())
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _ids(reasons: tuple[Any, ...]) -> set[str]:
    return {r.message.split(":", 1)[0] for r in reasons}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_real_certificate_lints_as_the_report_says(name: str) -> None:
    cert = load_chain((PKI / f"{name}.pem").read_bytes())[0]
    reasons = lint(cert)
    assert _ids(reasons) == set(MANIFEST[name]["lint_findings_in_report"])
    assert all(r.code == "cert-nonconformant" for r in reasons)
    assert all(r.severity == "warning" and r.sip_code is None for r in reasons)


def test_about_half_of_the_real_leaves_fail_a_lint() -> None:
    failing = [n for n in MANIFEST if lint(load_chain((PKI / f"{n}.pem").read_bytes())[0])]
    assert 0.4 < len(failing) / len(MANIFEST) < 0.8


def test_lint_ids_are_unique() -> None:
    ids = [rule.id for rule in LINTS]
    assert len(ids) == len(set(ids))


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed=21, now=NOW)


@pytest.mark.parametrize(
    ("deviation", "lint_id"),
    [
        ("no-tnauthlist", "e_atis_tn_auth_list"),
        ("empty-tnauthlist", "e_atis_tn_auth_list"),
        ("tnauthlist-ia5string", "e_atis_tn_auth_list"),
        ("no-basic-constraints", "e_atis_ext_basic_constraints"),
        ("no-key-usage", "e_atis_ext_key_usage"),
        ("key-cert-sign", "e_atis_ext_key_usage_ee"),
        ("rsa-key", "e_atis_subject_public_key"),
        ("p384-key", "e_atis_subject_public_key"),
        ("no-policy", "e_atis_ext_certificate_policies"),
        ("old-policy", "e_shaken_certificate_policies_id"),
        ("no-crl-dp", "e_atis_ext_crl_distribution"),
        ("cn-format", "e_atis_subject_cn_spc"),
        ("short-serial", "e_atis_serial_number_size"),
    ],
)
def test_each_deviation_is_caught(ca: StiCA, deviation: str, lint_id: str) -> None:
    cert = ca.issue_cert(deviations=[deviation])  # type: ignore[list-item]
    assert lint_id in _ids(lint(cert.certificate))
    assert lint_id not in _ids(lint(ca.issue_cert().certificate))


def test_roots_are_judged_as_roots(ca: StiCA) -> None:
    assert lint(ca.root_cert, role="root") == ()
    leaf_only = {"e_atis_tn_auth_list", "e_atis_subject_cn_spc"}
    assert not leaf_only & _ids(lint(ca.root_cert, role="root"))


def test_message_names_the_source(ca: StiCA) -> None:
    (reason,) = [
        r
        for r in lint(ca.issue_cert(deviations=["short-serial"]).certificate)
        if r.message.startswith("e_atis_serial_number_size")
    ]
    assert "ATIS-1000080 v005" in reason.message
    assert "1 bits" in reason.message
