"""traceback: evidence weighing, the rule tables, infer_hop and link on hand-made calls."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import pytest

from shakentrace.calls import split_calls
from shakentrace.campaigns import CallRecord, find_campaigns
from shakentrace.hop import Evidence, Hop, Originator, TraceRequest, Upstream
from shakentrace.linking import link
from shakentrace.lookup import StaticResolver
from shakentrace.providers import Peer, Provider, ProviderDirectory, TrunkGroup
from shakentrace.report import to_html, to_text
from shakentrace.rules import (
    FINDING_RULES,
    ORIGINATOR_RULES,
    HopFacts,
    rules_table,
)
from shakentrace.sip import parse_sip
from shakentrace.testing import StiCA, StiCert, build_invite, forward_invite, sign_with_wrong_key
from shakentrace.traceback import infer_hop, reverify_hop, weigh
from verified import Signers

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ORIG, DEST = "12155550111", "12025550143"

DIRECTORY = ProviderDirectory(
    providers=(
        Provider(name="Terminus Tel", ocns=("900T",), country="US"),
        Provider(
            name="Origin Voice",
            ocns=("901O",),
            country="US",
            contact="traceback@origin.example",
            rmd="RMD0000901",
        ),
        Provider(name="Transit Co", ocns=("902T",), country="US", contact="noc@transit.example"),
        Provider(name="Gateway Inc", ocns=("903G",), country="US"),
        Provider(name="Abroad Ltd", country="GB"),
    ),
    peers=(
        Peer(
            provider="901O", networks=(ip_network("198.51.100.1/32"),), domains=("origin.example",)
        ),
        Peer(
            provider="902T",
            networks=(ip_network("198.51.100.2/32"),),
            trunk_groups=(TrunkGroup(tgrp="TG2", context="terminus.example"),),
            domains=("transit.example",),
        ),
        Peer(provider="903G", networks=(ip_network("198.51.100.3/32"),), domains=("gw.example",)),
        Peer(provider="Abroad Ltd", networks=(ip_network("203.0.113.0/24"),)),
    ),
)


SIGNERS = Signers(StiCA(seed="traceback", now=NOW))


@pytest.fixture
def ca() -> Signers:
    return SIGNERS


def invite(**kw: object) -> bytes:
    """An INVITE from ORIG to DEST, sent by Transit Co's SBC unless ``via`` says otherwise."""
    kw = {"orig": ORIG, "dest": DEST, "via": ("198.51.100.2:5060",), **kw}
    return build_invite(**kw)  # type: ignore[arg-type]


def with_tgrp(raw: bytes, tgrp: str = "TG2", context: str = "terminus.example") -> bytes:
    """Put RFC 4904 trunk group parameters into the Request-URI user part."""
    user = b"INVITE sip:+12025550143"
    return raw.replace(user + b"@", user + f";tgrp={tgrp};trunk-context={context}@".encode())


def with_verstat(raw: bytes, tn: str, value: str = "TN-Validation-Passed") -> bytes:
    """Put a verstat parameter into the P-Asserted-Identity user part."""
    pai = f"P-Asserted-Identity: <sip:+{tn}".encode()
    return raw.replace(pai + b"@", pai + f";verstat={value}@".encode())


def _identity(
    ca: Signers,
    spc: str,
    attest: str,
    *,
    iat: datetime = NOW,
    orig: str = ORIG,
    org: str | None = None,
) -> str:
    cert = ca.issue(spc, org)
    return cert.identity_header(orig=orig, dest=DEST, attest=attest, iat=iat)


def _hop(
    raw: bytes,
    *,
    provider: str = "900T",
    peer: str | None = "198.51.100.2",
    valid: bool = True,
    reasons: tuple[str, ...] = (),
    at: datetime = NOW,
) -> Hop:
    message = parse_sip(raw)
    outcome = SIGNERS.outcome_for(message, at, valid=valid, reasons=reasons)
    return infer_hop(message, outcome, DIRECTORY, provider=provider, peer=peer, received_at=at)


def test_signed_a_call_points_at_the_signer(ca: Signers) -> None:
    raw = invite(identity=_identity(ca, "901O", "A", org="Origin Voice LLC"))
    hop = _hop(raw)
    assert hop.provider == "Terminus Tel"
    assert hop.upstream.name == "Transit Co"
    assert hop.upstream.confidence == 0.9
    assert hop.signer is not None
    assert hop.signer.organization == "Origin Voice"  # the directory wins over the cert O
    assert hop.signer.organization_source == "directory"
    assert hop.likely_originator.kind == "signer-customer"
    assert hop.likely_originator.provider == "Origin Voice"
    assert hop.next_request.target == "Origin Voice"
    assert hop.next_request.rule == "N1-ask-signer-customer"
    assert hop.signer.origid is not None
    assert hop.signer.origid in hop.next_request.ask
    assert (hop.next_request.contact, hop.next_request.rmd) == (
        "traceback@origin.example",
        "RMD0000901",
    )
    assert hop.findings == ()
    data = hop.to_dict()
    json.dumps(data)
    assert data["signer"]["spc"] == "901O"
    assert set(data["upstream"]) >= {"name", "ocn", "evidence", "confidence"}
    assert set(data["likely_originator"]) == {"kind", "provider", "origid", "reason", "rule"}
    assert set(data["next_request"]) >= {"target", "ocn", "ask"}


def test_certificate_names_an_unknown_signer(ca: Signers) -> None:
    raw = invite(identity=_identity(ca, "777Z", "B", org="Newcomer Voice LLC"))
    hop = _hop(raw)
    assert hop.signer is not None
    assert hop.signer.organization == "Newcomer Voice LLC"
    assert hop.signer.organization_source == "certificate"
    assert hop.likely_originator.kind == "signer-customer"


def test_c_attestation_is_beyond_the_gateway(ca: Signers) -> None:
    raw = invite(identity=_identity(ca, "903G", "C"))
    hop = _hop(raw)
    assert hop.likely_originator.kind == "beyond-gateway"
    assert hop.next_request.rule == "N2-ask-gateway-upstream"
    assert "upstream provider" in hop.next_request.ask
    assert hop.finding_codes == ("c-attested-domestic-cli",)


@pytest.mark.parametrize(
    ("cli", "domestic"),
    [
        ("12155550111", True),
        ("2155550111", True),  # national NANP form
        ("8613812345678", False),  # China mobile: +86 138…, the 11th digit from the end is 1
        ("5215512345678", False),  # Mexico mobile: +52 1 55…
        ("442079460000", False),
        ("4930123456", False),  # Germany, Berlin: ten digits, but no NPA-NXX (its 4th is 0)
        ("10215550111", False),  # 1 and a ten-digit number whose area code starts with 0
    ],
)
def test_c_attested_domestic_cli_needs_a_nanp_number(ca: Signers, cli: str, domestic: bool) -> None:
    """A NANP number is +1 and ten digits (ITU-T E.164 country code 1): a foreign mobile CLI whose
    eleventh digit from the end happens to be 1 is not the U.S.-CLI pattern of FCC 22-37."""
    raw = invite(identity=_identity(ca, "903G", "C", orig=cli), orig=cli)
    codes = _hop(raw).finding_codes
    assert ("c-attested-domestic-cli" in codes) is domestic


def test_unsigned_call_continues_hop_by_hop() -> None:
    hop = _hop(invite())
    assert hop.signer is None
    assert hop.to_dict()["signer"] is None
    assert hop.likely_originator.kind == "upstream-unsigned"
    assert hop.next_request.target == "Transit Co"
    assert hop.next_request.rule == "N3-ask-upstream"


def test_failed_verification_is_not_trusted(ca: Signers) -> None:
    raw = invite(identity=_identity(ca, "901O", "A"))
    hop = _hop(raw, valid=False, reasons=("bad-signature",))
    assert hop.signer is not None
    assert not hop.signer.verified
    assert hop.likely_originator.kind == "upstream-unsigned"
    assert hop.likely_originator.rule == "O2-unusable-passport"


FORWARDED = "13125550100"


def _diverted(ca: Signers) -> tuple[Hop, StiCert]:
    """Origin Voice signed A; Transit Co (the certificate returned) forwarded the call to
    FORWARDED with a div PASSporT."""
    signer, diverter = ca.issue("901O"), ca.issue("902T")
    token = signer.sign_passport(orig=ORIG, dest=DEST, attest="A", iat=NOW)
    div = diverter.divert(token, to=FORWARDED)
    raw = invite(identity=[signer.identity_for(token), diverter.identity_for(div)], dest=FORWARDED)
    return _hop(raw), diverter


def test_a_diverted_call_points_at_the_originating_signer_not_the_diverter(ca: Signers) -> None:
    """Transit Co forwarded the call to a new number and added a div PASSporT (RFC 8946,
    ATIS-1000085), rewriting To and the Request-URI: the originator is still the shaken
    PASSporT's signer; the diverter's signature neither replaces it nor counts as a re-sign."""
    hop, _ = _diverted(ca)
    assert hop.signer is not None
    assert hop.signer.verified
    assert (hop.signer.spc, hop.signer.attestation) == ("901O", "A")
    assert hop.likely_originator.kind == "signer-customer"
    assert hop.next_request.target == "Origin Voice"
    assert f"the call to {DEST}" in hop.next_request.ask  # as the signer saw it
    assert hop.finding_codes == ()
    assert len(hop.passport_keys) == 1


def test_the_hop_record_names_who_diverted_the_call_and_where(ca: Signers) -> None:
    """The div PASSporT's signer retargeted the call (RFC 8946; ATIS-1000085): the hop
    record, its JSON and both reports name the diverter and both numbers."""
    hop, diverter = _diverted(ca)
    (diversion,) = hop.diversions
    assert (diversion.spc, diversion.organization) == ("902T", "Transit Co")
    assert diversion.verified
    assert (diversion.div, diversion.dest) == (DEST, FORWARDED)
    assert diversion.iat == NOW
    assert diversion.x5u == diverter.x5u
    assert hop.dest_tns == (DEST,)  # the number as signed: the same at hops before the diversion
    record = hop.to_dict()["diversions"]
    assert record == [json.loads(json.dumps(diversion.to_dict()))]
    assert record[0]["iat"] == "2026-03-02T15:00:00Z"
    said = f"diverted    from {DEST} to {FORWARDED} by Transit Co (verified)"
    assert said in to_text(link([hop]))
    assert f"diverted from {DEST} to {FORWARDED} by Transit Co (verified)" in to_html(link([hop]))


def test_an_unverified_diversion_reads_as_a_claim(ca: Signers) -> None:
    """A div PASSporT that does not verify names Transit Co's certificate, but nobody
    vouched for it (RFC 8224 §6.2): the record and the report say it is only claimed."""
    forwarded = "13125550100"
    signer, diverter = ca.issue("901O"), ca.issue("902T")
    token = signer.sign_passport(orig=ORIG, dest=DEST, attest="A", iat=NOW)
    forged = sign_with_wrong_key(diverter.divert(token, to=forwarded))
    raw = invite(
        identity=[signer.identity_for(token), diverter.identity_for(forged)], dest=forwarded
    )
    hop = _hop(raw)
    (diversion,) = hop.diversions
    assert not diversion.verified
    assert (diversion.spc, diversion.div, diversion.dest) == ("902T", DEST, forwarded)
    said = f"claimed from {DEST} to {forwarded} by Transit Co (NOT verified)"
    assert said in to_text(link([hop]))
    assert _hop(invite(identity=_identity(ca, "901O", "A"))).diversions == ()


def test_a_reported_diversion_is_verified_again_by_the_reader(ca: Signers) -> None:
    """``reverify_hop`` holds a reported hop's diversions to its Identity values too: a
    diversion reported verified whose div PASSporT fails here, names another signer,
    or is not among them at all, is a ``verdict-differs`` finding."""
    hop, _ = _diverted(ca)
    (diversion,) = hop.diversions
    assert reverify_hop(hop, ca.verifier) == replace(hop, reverified=True)
    what = f"reported diversion {DEST} -> {FORWARDED} "
    lied = replace(hop, diversions=(replace(diversion, spc="000X"),))
    assert _differs(reverify_hop(lied, ca.verifier)) == [
        f"{what}signer SPC 000X, its certificate names 902T"
    ]
    shaken, div = hop.identities
    token, params = div.split(";", 1)
    forged = replace(hop, identities=(shaken, f"{sign_with_wrong_key(token)};{params}"))
    assert _differs(reverify_hop(forged, ca.verifier)) == [
        f"{what}verified, here not (bad-signature)"
    ]
    dropped = reverify_hop(replace(hop, identities=(shaken,)), ca.verifier)
    assert dropped.reverified is True  # the call's own PASSporT is sound
    assert _differs(dropped) == [f"its Identity values hold no diversion {DEST} -> {FORWARDED}"]


def _differs(hop: Hop) -> list[str]:
    """The ``verdict-differs`` finding's differences."""
    return [
        difference
        for f in hop.findings
        if f.code == "verdict-differs"
        for difference in f.message.split("; ")
    ]


def test_requests_for_the_upstream_quote_the_number_we_received(ca: Signers) -> None:
    """The upstream handed us the call to the Request-URI's number; a PASSporT that
    failed (here its dest is another number) is not what the upstream's CDRs show."""
    raw = invite(identity=_identity(ca, "901O", "A"), dest="13125550100")
    hop = _hop(raw)
    assert hop.likely_originator.rule == "O2-unusable-passport"
    assert hop.next_request.rule == "N3-ask-upstream"
    assert "the call to 13125550100 at" in hop.next_request.ask
    unknown = _hop(raw.replace(b"198.51.100.2", b"192.0.2.99"), peer="192.0.2.99")
    assert unknown.next_request.rule == "N4-ask-own-records"
    assert "the call to 13125550100 at" in unknown.next_request.ask


def test_a_forged_passport_is_shown_as_a_claim_not_as_the_signers_word(ca: Signers) -> None:
    """A PASSporT whose signature does not verify names Origin Voice's certificate, but
    Origin Voice never vouched for it (RFC 8224 §6.2): the record says what is claimed."""
    cert = ca.issue("901O")
    forged = sign_with_wrong_key(cert.sign_passport(orig=ORIG, dest=DEST, attest="A", iat=NOW))
    hop = _hop(invite(identity=cert.identity_for(forged)))
    assert hop.signer is not None
    assert not hop.signer.verified
    assert hop.likely_originator.provider is None
    assert hop.next_request.target == "Transit Co"  # not the claimed signer
    assert "identity    claimed A by Origin Voice (NOT verified)" in to_text(link([hop]))
    # Nor is its orig the call's number: the record keeps what the network asserted.
    other = sign_with_wrong_key(cert.sign_passport(orig="12155550999", dest=DEST, iat=NOW))
    assert _hop(invite(identity=cert.identity_for(other))).orig_tn == ORIG


def test_a_call_from_our_own_customer_was_originated_here(ca: Signers) -> None:
    """Origin Voice captured the call arriving from Dialer Co, one of its customers: the
    traceback has reached the originating provider (ITG P&P), which identifies and acts
    on its customer's caller; Dialer Co is no provider to ask for an upstream."""
    directory = replace(
        DIRECTORY,
        peers=(
            *DIRECTORY.peers,
            Peer(provider="Dialer Co", networks=(ip_network("192.0.2.50/32"),), customer=True),
        ),
    )
    message = parse_sip(invite(via=("192.0.2.50:5060",)))
    outcome = SIGNERS.outcome_for(message, NOW)
    hop = infer_hop(
        message, outcome, directory, provider="901O", peer="192.0.2.50", received_at=NOW
    )
    assert (hop.upstream.name, hop.upstream.customer) == ("Dialer Co", True)
    origin = hop.likely_originator
    assert (origin.kind, origin.provider, origin.rule) == (
        "signer-customer",
        "Origin Voice",
        "O7-our-customer",
    )
    request = hop.next_request
    assert (request.target, request.rule) == ("Origin Voice", "N5-act-on-customer")
    assert "your customer Dialer Co" in request.ask
    assert request.contact == "traceback@origin.example"
    trace = link([hop], directory=directory)
    assert trace.gaps == ()
    assert trace.originator == origin
    # Already signed by another provider: the "customer" carried someone else's call,
    # and the verified PASSporT points there.
    signed = parse_sip(invite(identity=_identity(ca, "903G", "B"), via=("192.0.2.50:5060",)))
    elsewhere = infer_hop(
        signed, SIGNERS.outcome_for(signed, NOW), directory, provider="901O", peer="192.0.2.50"
    )
    assert (elsewhere.likely_originator.rule, elsewhere.likely_originator.provider) == (
        "O3-full-or-partial",
        "Gateway Inc",
    )


def test_findings_about_what_was_signed_need_a_verified_passport(ca: Signers) -> None:
    """A forged C PASSporT proves no gateway signed anything (RFC 8224 §6.2), nor does
    a forged B show what attestation was signed: neither finding rests on its claims."""
    gateway = ca.issue("903G")
    forged_c = sign_with_wrong_key(gateway.sign_passport(orig=ORIG, dest=DEST, attest="C"))
    assert _hop(invite(identity=gateway.identity_for(forged_c))).finding_codes == ()
    origin = ca.issue("901O")
    forged_b = sign_with_wrong_key(origin.sign_passport(orig=ORIG, dest=DEST, attest="B"))
    raw = with_verstat(
        invite(identity=origin.identity_for(forged_b)), ORIG, "TN-Validation-Passed-A"
    )
    assert _hop(raw).finding_codes == ("verstat-mismatch",)


def test_unknown_peer_asks_our_own_records() -> None:
    hop = _hop(invite(via=("192.0.2.99:5060",)), peer="192.0.2.99")
    assert hop.upstream.name is None
    assert hop.upstream.confidence == 0.0
    assert hop.next_request.target is None
    assert hop.next_request.rule == "N4-ask-own-records"


def test_findings_orig_spoofed_stale_verstat(ca: Signers) -> None:
    old = NOW - timedelta(minutes=5)
    raw = invite(identity=_identity(ca, "901O", "A", iat=old), orig="12155550999", dest=DEST)
    raw = raw.replace(
        b"P-Asserted-Identity: <sip:+12155550999@",
        b"P-Asserted-Identity: <sip:+12155550999;verstat=TN-Validation-Passed@",
    )
    hop = _hop(raw, valid=False)
    assert set(hop.finding_codes) == {"orig-spoofed", "stale-at-hop", "verstat-mismatch"}
    assert all(f.source for f in hop.findings)


def test_a_rewritten_p_asserted_identity_is_spoofing_even_if_from_agrees(ca: Signers) -> None:
    """orig comes from P-Asserted-Identity when there is one, else From (RFC 8224 §5.2),
    and downstream shows the asserted number: a PAI that no longer matches orig was
    changed after signing, whatever From says."""
    raw = invite(identity=_identity(ca, "901O", "A")).replace(
        b"P-Asserted-Identity: <sip:+12155550111@", b"P-Asserted-Identity: <sip:+12155550999@"
    )
    hop = _hop(raw)
    assert hop.finding_codes == ("orig-spoofed",)
    assert hop.likely_originator.kind == "signer-customer"  # verified: the signer's word stands
    # From rewritten, PAI as signed: what the network asserts is what was signed.
    raw = invite(identity=_identity(ca, "901O", "A")).replace(
        b"From: <sip:+12155550111@", b"From: <sip:+12155550999@"
    )
    assert _hop(raw).finding_codes == ()


def test_stale_at_hop_is_judged_when_the_hop_received_the_call(ca: Signers) -> None:
    """A capture verified a day later (a pasted INVITE without a capture time, judged
    as of now) fails as stale, but the hop received it fresh: no replay indicator."""
    message = parse_sip(invite(identity=_identity(ca, "901O", "A")))
    late = SIGNERS.verifier.verify(message, now=NOW + timedelta(days=1))
    assert "stale" in {r.code for r in late.reasons}
    hop = infer_hop(message, late, DIRECTORY, provider="900T", received_at=NOW)
    assert "stale-at-hop" not in hop.finding_codes
    replayed = infer_hop(
        message, late, DIRECTORY, provider="900T", received_at=NOW + timedelta(minutes=2)
    )
    assert "stale-at-hop" in replayed.finding_codes


@pytest.mark.parametrize(
    ("verstat", "findings"),
    [
        ("TN-Validation-Passed-B", ()),  # a carrier's suffix: passed, attestation B
        ("tn-validation-passed", ()),
        ("TN-Validation-Passed-A", ("verstat-attestation-mismatch",)),
        ("TN-Validation-Passed-X", ("verstat-mismatch",)),  # no verstat 3GPP or a carrier gives
        ("TN-Validation-Failed", ("verstat-mismatch",)),
        ("No-TN-Validation", ()),  # the upstream claims no result: nothing to contradict
    ],
)
def test_verstat_suffix_names_the_attestation(
    ca: Signers, verstat: str, findings: tuple[str, ...]
) -> None:
    raw = with_verstat(invite(identity=_identity(ca, "901O", "B")), ORIG, verstat)
    assert _hop(raw).finding_codes == findings


def test_stripped_identity_shows_in_a_leftover_verstat() -> None:
    raw = invite().replace(
        b"P-Asserted-Identity: <sip:+12155550111@",
        b"P-Asserted-Identity: <sip:+12155550111;verstat=TN-Validation-Passed@",
    )
    assert _hop(raw).finding_codes == ("identity-stripped",)


@pytest.mark.parametrize(
    ("verstat", "stripped"), [("TN-Validation-Failed", True), ("No-TN-Validation", False)]
)
def test_only_a_verstat_with_a_result_shows_a_stripped_identity(
    verstat: str, stripped: bool
) -> None:
    """No-TN-Validation says no validation was done (3GPP TS 24.229 §7.2A.20), as a
    verifier writes for a call without an Identity: no sign one was ever there."""
    raw = with_verstat(invite(), ORIG, verstat)
    assert ("identity-stripped" in _hop(raw).finding_codes) is stripped


def test_two_signers_mean_resigned(ca: Signers) -> None:
    raw = invite(
        identity=[_identity(ca, "902T", "A"), _identity(ca, "903G", "C")], orig=ORIG, dest=DEST
    )
    hop = _hop(raw)
    assert "resigned" in hop.finding_codes
    assert len(hop.passport_keys) == 2


def test_a_base_passport_beside_the_shaken_one_is_no_second_signer(ca: Signers) -> None:
    """An enterprise's own PASSporT without ppt (RFC 8225 base, e.g. from an ATIS-1000092
    delegate certificate) travels beside its provider's SHAKEN PASSporT: nobody re-signed."""
    enterprise = ca.issue("777E", "Enterprise Delegate")
    base = enterprise.identity_for(
        enterprise.sign_passport(orig=ORIG, dest=DEST, ppt=None, iat=NOW)
    )
    hop = _hop(invite(identity=[_identity(ca, "901O", "A"), base]))
    assert hop.finding_codes == ()
    assert len(hop.passport_keys) == 1
    assert (hop.likely_originator.kind, hop.likely_originator.provider) == (
        "signer-customer",
        "Origin Voice",
    )


@pytest.mark.parametrize("launderer_first", [True, False])
def test_two_signers_name_no_originator_whatever_the_header_order(
    ca: Signers, launderer_first: bool
) -> None:
    """Gateway Inc signed C, Transit Co added its own A (47 CFR 64.6302 asks it to pass
    the PASSporT unaltered). Header order does not say who signed first, so neither
    signer is named the originator: the call goes back hop by hop, to the upstream."""
    gateway, launderer = _identity(ca, "903G", "C"), _identity(ca, "902T", "A")
    order = [launderer, gateway] if launderer_first else [gateway, launderer]
    hop = _hop(invite(identity=order))
    assert hop.likely_originator.kind == "unknown"
    assert hop.likely_originator.rule == "O6-several-signers"
    assert hop.likely_originator.provider is None
    assert (hop.next_request.target, hop.next_request.rule) == ("Transit Co", "N3-ask-upstream")
    assert "resigned" in hop.finding_codes


def test_calls_with_several_signers_group_without_a_signer_and_ask_the_upstream(
    ca: Signers,
) -> None:
    """Two signers at the hop name no originator (O6-several-signers), so the campaign
    names no signer either (the first Identity header's would be a guess) and its
    request goes to the upstream that handed the calls over (N3), as the hop's does."""
    gateway, launderer = ca.issue("903G"), ca.issue("902T")
    traces = []
    for n in range(2):
        orig = f"1215555010{n}"
        ids = [
            cert.identity_header(orig=orig, dest=DEST, attest=attest, origid=f"{attest}-1", iat=NOW)
            for cert, attest in ((launderer, "A"), (gateway, "C"))
        ]
        hop = _hop(invite(identity=ids[:: 1 - 2 * n], orig=orig), at=NOW + timedelta(seconds=n))
        assert hop.likely_originator.rule == "O6-several-signers"
        traces.append(link([hop]))
    record = CallRecord.from_traceback(traces[0])
    assert record.several_signers
    assert (record.signer_spc, record.origid, record.attestation) == (None, None, None)
    assert record.status == "valid"
    (campaign,) = find_campaigns(map(CallRecord.from_traceback, traces))
    assert (campaign.key.signer, campaign.key.origid, campaign.key.orig_pattern) == (
        "several signers",
        "-",
        "1215555XXXX",
    )
    assert campaign.signer_name is None
    request = campaign.next_request
    assert (request.kind, request.party, request.rule) == (
        "upstream",
        "Transit Co",
        "N3-ask-upstream",
    )


def test_a_replayed_passport_joins_each_call_by_the_number_it_was_sent_to(ca: Signers) -> None:
    """A robocaller replays one PASSporT (signed for DEST) on calls to other numbers: its
    dest is only a claim (dest-mismatch, RFC 8224 §6.2), so each hop's called number is
    the Request-URI's, and split_calls joins Terminus Tel's capture of each call to
    Transit Co's capture of the same call, not to the one closest in time."""
    identity = _identity(ca, "901O", "A")
    first, second = "13125550101", "13125550102"
    transit = [
        _hop(
            invite(identity=identity, dest=callee, via=("198.51.100.1:5060",)),
            provider="902T",
            peer="198.51.100.1",
            at=NOW + timedelta(seconds=offset),
        )
        for callee, offset in ((first, 0.0), (second, 1.0))
    ]
    terminus = [
        _hop(invite(identity=identity, dest=callee), at=NOW + timedelta(seconds=offset))
        for callee, offset in ((first, 1.2), (second, 1.4))
    ]
    assert not any(h.signer and h.signer.verified for h in (*transit, *terminus))
    assert [h.dest_tns for h in terminus] == [(first,), (second,)]
    calls = split_calls([*transit, *terminus])
    assert sorted([h.dest_tns[0] for h in call] for call in calls) == [[first] * 2, [second] * 2]
    verified = _hop(invite(identity=identity))
    assert verified.signer is not None
    assert verified.signer.verified
    assert verified.dest_tns == (DEST,)  # as signed


def test_evidence_from_every_header_and_ptr() -> None:
    raw = invite(
        orig=ORIG,
        dest=DEST,
        via=("sbc.transit.example:5060",),
        extra_headers=(
            ("P-Charging-Vector", "icid-value=1;orig-ioi=transit.example"),
            ("Record-Route", "<sip:rr.transit.example;lr>"),
        ),
    ).replace(
        b"INVITE sip:+12025550143@",
        b"INVITE sip:+12025550143;tgrp=TG2;trunk-context=terminus.example@",
    )
    raw = raw.replace(
        b"sbc.transit.example:5060;", b"sbc.transit.example:5060;received=198.51.100.2;", 1
    )
    message = parse_sip(raw)
    resolver = StaticResolver(ptrs={"198.51.100.2": "edge1.transit.example"})
    hop = infer_hop(
        message,
        SIGNERS.outcome_for(message, NOW),
        DIRECTORY,
        provider="900T",
        peer="198.51.100.2",
        resolver=resolver,
    )
    sources = {e.source: e.provider for e in hop.upstream.evidence}
    assert sources == dict.fromkeys(
        (
            "packet-source",
            "trunk-group",
            "via-received",
            "orig-ioi",
            "via-sent-by",
            "record-route",
            "ptr",
        ),
        "Transit Co",
    )
    assert hop.upstream.confidence == 0.9
    assert not hop.upstream.conflicting


def test_conflicting_evidence_lowers_confidence_or_names_nobody() -> None:
    forged = invite(
        orig=ORIG,
        dest=DEST,
        extra_headers=(("P-Charging-Vector", "icid-value=1;orig-ioi=origin.example"),),
    )
    hop = _hop(forged)
    assert hop.upstream.name == "Transit Co"
    assert hop.upstream.conflicting
    assert 0 < hop.upstream.confidence < 0.9
    # a mislabelled trunk group (as strong as the packet source) leaves it undetermined
    clash = invite().replace(
        b"INVITE sip:+12025550143@",
        b"INVITE sip:+12025550143;tgrp=TG2;trunk-context=terminus.example@",
    )
    hop = _hop(clash, peer="198.51.100.1")
    assert hop.upstream.name is None
    assert len(hop.upstream.evidence) >= 2


def test_weigh_unmatched_evidence_blocks_a_weak_name() -> None:
    evidence = (
        Evidence(source="packet-source", value="192.0.2.7", weight=0.9),
        Evidence(source="orig-ioi", value="origin.example", provider="Origin Voice", weight=0.4),
    )
    assert weigh(evidence, DIRECTORY).name is None
    assert weigh(evidence[1:], DIRECTORY).name == "Origin Voice"
    assert weigh((), DIRECTORY) == Upstream()


def test_rules_tables_are_ordered_and_documented() -> None:
    assert ORIGINATOR_RULES[-1].applies(HopFacts())
    assert (
        next(r for r in ORIGINATOR_RULES if r.applies(HopFacts())).conclusion == "upstream-unsigned"
    )
    assert {r.id for r in FINDING_RULES} == {
        "orig-spoofed",
        "identity-stripped",
        "resigned",
        "stale-at-hop",
        "c-attested-domestic-cli",
        "verstat-mismatch",
        "verstat-attestation-mismatch",
    }
    table = rules_table()
    for rule in (*ORIGINATOR_RULES, *FINDING_RULES):
        assert f"``{rule.id}``" in table
        assert rule.source in table


def _chain_hop(
    name: str,
    ocn: str | None,
    upstream: str | None,
    *,
    key: str | None,
    at: int,
    up_country: str = "US",
) -> Hop:
    """A hand-made hop record for link() tests."""
    return Hop(
        provider=name,
        provider_ocn=ocn,
        provider_country="US",
        received_at=NOW + timedelta(milliseconds=at),
        upstream=Upstream(name=upstream, country=up_country if upstream else None),
        likely_originator=Originator(
            kind="upstream-unsigned", provider=None, origid=None, reason="", rule=""
        ),
        next_request=TraceRequest(target=upstream, ocn=None, ask="", rule="N3-ask-upstream"),
        passport_key=key,
        passport_keys=(key,) if key else (),
    )


def test_link_orders_marks_gaps_and_events() -> None:
    # Origin -> Transit -> [Silent, no capture] -> Stripper -> Terminus
    hops = [
        _chain_hop("Stripper", None, "Silent", key="K1", at=300),
        _chain_hop("Terminus Tel", "900T", "Stripper", key=None, at=400),
        _chain_hop("Transit Co", "902T", "Origin Voice", key=None, at=100),
        _chain_hop("Silent", None, "Transit Co", key="K1", at=200),
    ]
    hops.pop()  # Silent never answers
    trace = link(hops)
    assert trace.providers == ("Terminus Tel", "Stripper", "Transit Co")
    assert [(g.after, g.provider) for g in trace.gaps] == [(1, "Silent"), (2, "Origin Voice")]
    assert [(e.code, e.hop) for e in trace.events] == [
        ("identity-stripped", 0),
        ("order-uncertain", 1),  # Stripper names Silent: Transit Co is placed by time
        ("first-signed", 1),
    ]
    assert trace.signing_hop == 1
    assert "identity-stripped" in trace.hops[0].finding_codes
    json.dumps(trace.to_dict())
    # Max-Forwards dropped from Transit Co's capture to Stripper's: the order is confirmed
    forwards = {"Transit Co": 69, "Stripper": 68, "Terminus Tel": 67}
    counted = [replace(h, max_forwards=forwards[h.provider]) for h in hops]
    assert [e.code for e in link(counted).events] == ["identity-stripped", "first-signed"]


@pytest.mark.parametrize("fast", [0, 10])
def test_captures_no_hop_names_are_ordered_by_time_only_with_a_warning(
    ca: Signers, fast: int
) -> None:
    """Terminus Tel cannot name who handed it the call, so only the receipt times order
    its capture and Transit Co's. Max-Forwards dropped on the way (RFC 3261 §16.6, RFC 7332
    §3): while the clocks agree it confirms the order; with Transit Co's clock 10 s fast,
    time puts Transit Co downstream, Max-Forwards does not confirm it, and the path says
    its order is uncertain instead of passing a wrong one off as fact."""
    sent = invite(identity=_identity(ca, "901O", "A"), via=("198.51.100.1:5060",))
    later = forward_invite(forward_invite(sent, by="198.51.100.2:5060"), by="192.0.2.77:5060")
    at = NOW + timedelta(seconds=fast)
    transit = _hop(sent, provider="902T", peer="198.51.100.1", at=at - timedelta(seconds=0.2))
    terminus = _hop(later, peer="192.0.2.77")
    assert (transit.max_forwards, terminus.max_forwards) == (70, 68)
    trace = link([terminus, transit])
    codes = [e.code for e in trace.events]
    if not fast:
        assert trace.providers == ("Terminus Tel", "Transit Co")
        assert "order-uncertain" not in codes
    else:
        assert trace.providers == ("Transit Co", "Terminus Tel")  # by time: wrong
        assert codes == ["order-uncertain"]
        assert "order-uncertain at #0 (Terminus Tel): the two captures are ordered" in (
            to_text(trace)
        )
    assert trace.to_dict()["hops"][0]["max_forwards"] == trace.hops[0].max_forwards


def test_next_request_says_how_to_reach_its_target() -> None:
    """The directory's contact and RMD number, by the target's OCN or else its name."""
    ask = TraceRequest(target="Transit Co", ocn=None, ask="identify", rule="N3-ask-upstream")
    assert ask.addressed(DIRECTORY).contact == "noc@transit.example"
    by_ocn = replace(ask, target="Someone", ocn="901O").addressed(DIRECTORY)
    assert (by_ocn.contact, by_ocn.rmd) == ("traceback@origin.example", "RMD0000901")
    unknown = replace(ask, target="Nobody")
    assert unknown.addressed(DIRECTORY) is unknown
    hops = [
        _chain_hop("Terminus Tel", "900T", "Transit Co", key="K1", at=200),
        _chain_hop("Transit Co", "902T", "Origin Voice", key="K1", at=100),
    ]
    assert link(hops).next_request == hops[1].next_request  # no directory: as the hop says
    request = link(hops, directory=DIRECTORY).next_request
    assert request is not None
    assert (request.target, request.contact) == ("Origin Voice", "traceback@origin.example")
    assert request.to_dict()["rmd"] == "RMD0000901"
    assert "Contact: traceback@origin.example (Robocall Mitigation Database: RMD0000901)" in (
        to_text(link(hops, directory=DIRECTORY))
    )
    assert "<li>Contact: traceback@origin.example (Robocall" in to_html(
        link(hops, directory=DIRECTORY)
    )


def test_link_hops_with_and_without_a_receipt_time() -> None:
    """A hop without a time (a pasted INVITE with no Date) beside timed ones: no
    naive datetime.min compared with aware times (it raised TypeError)."""
    untimed = replace(_chain_hop("Stripper", None, "Silent", key=None, at=0), received_at=None)
    timed = _chain_hop("Terminus Tel", "900T", "Somebody", key=None, at=400)
    # Neither names the other: both head the path, ordered by time, the untimed last.
    assert link([untimed, timed]).providers == ("Terminus Tel", "Stripper")
    assert link([timed, untimed]).providers == ("Terminus Tel", "Stripper")


def test_link_entry_point_by_country() -> None:
    hops = [
        _chain_hop("Terminus Tel", "900T", "Gateway Inc", key=None, at=200),
        _chain_hop("Gateway Inc", "903G", "Abroad Ltd", key=None, at=100, up_country="GB"),
    ]
    assert link(hops).entry_point == "Gateway Inc"
    assert link([]).hops == ()


def test_a_c_signer_seen_receiving_a_domestic_call_is_no_entry_point(ca: Signers) -> None:
    """FCC 23-18: the first intermediate signs unauthenticated calls from a U.S.
    originating provider, with C. Its own capture shows it received the call from
    Origin Voice (U.S.), so it is not where the call entered the U.S. (FCC 22-37)."""
    signed = invite(identity=_identity(ca, "902T", "C"))
    unsigned = invite(via=("198.51.100.1:5060",))
    earlier = NOW - timedelta(seconds=1)
    transit = _hop(unsigned, provider="902T", peer="198.51.100.1", at=earlier)
    assert transit.upstream.name == "Origin Voice"
    trace = link([_hop(signed), transit])
    assert [e.code for e in trace.events] == ["first-signed"]
    assert trace.entry_point is None
    # Without the signer's own capture, the C signer is still the best lead.
    assert link([_hop(signed)]).entry_point == "Transit Co"


@pytest.mark.parametrize(
    ("transit_clock", "skewed"),
    [
        (timedelta(seconds=-1), False),  # received a second before Terminus Tel: as it should be
        (timedelta(minutes=3), True),  # "received" three minutes after the hop it handed it to
        (timedelta(seconds=2), False),  # within the skew a verifier allows a clock
        (timedelta(minutes=-5), True),  # an INVITE does not wait five minutes (Timer B: 32 s)
    ],
)
def test_captures_whose_clocks_disagree_are_flagged(
    ca: Signers, transit_clock: timedelta, skewed: bool
) -> None:
    """Transit Co handed the call to Terminus Tel, so it received it first, and within
    Timer B: capture times that say otherwise show a wrong clock at one of the two, and
    then the freshness verdicts and the times quoted in requests are suspect."""
    identity = _identity(ca, "901O", "A")
    raw = invite(identity=identity, via=("198.51.100.1:5060",))
    transit = _hop(raw, provider="902T", peer="198.51.100.1", at=NOW + transit_clock)
    trace = link([_hop(invite(identity=identity)), transit])
    codes = [(e.code, e.hop) for e in trace.events]
    assert (("clock-skew", 0) in codes) is skewed
    assert ("clock-skew" in trace.hops[0].finding_codes) is skewed


def test_one_origid_is_one_campaign_whatever_numbers_it_sends(ca: Signers) -> None:
    """Origin Voice's customer behind origid cafe-0001 rotates its caller ID across area
    codes: origid names that customer at the signer (RFC 8588 §4), so the calls are one
    campaign and one request, ranked by all their calls, not five campaigns of one."""
    cert = ca.issue("901O")
    traces = []
    for n, orig in enumerate(("13125550101", "14045550102", "17025550103", "16465550104")):
        ident = cert.identity_header(orig=orig, dest=DEST, attest="B", origid="cafe-0001", iat=NOW)
        traces.append(
            link([_hop(invite(identity=ident, orig=orig), at=NOW + timedelta(seconds=n))])
        )
    for n in range(2):  # another customer, one area code
        orig = f"1215555020{n}"
        ident = cert.identity_header(orig=orig, dest=DEST, attest="B", origid="beef-0002", iat=NOW)
        traces.append(link([_hop(invite(identity=ident, orig=orig))]))
    for n in range(2):  # unsigned calls: the calling-number pattern is all there is
        traces.append(link([_hop(invite(orig=f"1{n + 2}125550300"))]))
    campaigns = find_campaigns(map(CallRecord.from_traceback, traces))
    assert [(c.key.origid, c.key.orig_pattern, c.calls) for c in campaigns] == [
        ("cafe-0001", "*", 4),
        ("beef-0002", "*", 2),
        ("-", "1212555XXXX", 1),
        ("-", "1312555XXXX", 1),
    ]
    top = campaigns[0]
    assert "for 4 calls attested B from 4 calling-number patterns" in top.next_request.ask
    assert [pattern for pattern, _ in top.orig_patterns] == [
        "1312555XXXX",
        "1404555XXXX",
        "1702555XXXX",
        "1646555XXXX",
    ]
    assert "from 1215555XXXX" in campaigns[1].next_request.ask  # one pattern: named


def test_an_identity_change_across_an_unknown_gap_blames_nobody(ca: Signers) -> None:
    """Terminus Tel cannot name who handed it the call, so providers it does not know of
    may sit between it and Transit Co's capture: the Identity vanished somewhere there,
    not necessarily at Transit Co (47 CFR 64.6302 obliges each of them)."""
    signed = invite(identity=_identity(ca, "901O", "A"), via=("198.51.100.1:5060",))
    transit = _hop(signed, provider="902T", peer="198.51.100.1", at=NOW - timedelta(seconds=1))
    terminus = _hop(invite(via=("192.0.2.77:5060",)), peer="192.0.2.77")
    assert terminus.upstream.name is None
    trace = link([terminus, transit])
    assert [(e.code, e.hop, e.by) for e in trace.events] == [
        ("order-uncertain", 0, "Transit Co"),
        ("identity-stripped", 0, None),
    ]
    (finding,) = (f for f in trace.hops[0].findings if f.code == "identity-stripped")
    assert "Transit Co" not in finding.message
    assert "identity-stripped at #0 (?)" in to_text(trace)


def test_linked_calls_group_into_campaigns_by_their_first_signer(ca: Signers) -> None:
    cert = ca.issue("901O")
    traces = []
    for n in range(3):
        orig = f"1215555010{n}"
        ident = cert.identity_header(orig=orig, dest=DEST, attest="A", origid="cafe-0001", iat=NOW)
        traces.append(link([_hop(invite(identity=ident, orig=orig))]))
    other = cert.identity_header(orig=ORIG, dest=DEST, attest="A", origid="beef-0002", iat=NOW)
    traces.append(link([_hop(invite(identity=other))]))
    traces.append(link([_hop(invite())]))
    # Transit Co replaced Gateway Inc's C PASSporT with its own A: the gateway is asked
    gateway = ca.issue("903G").identity_header(
        orig=ORIG, dest=DEST, attest="C", origid="gw-1", iat=NOW
    )
    laundered = ca.issue("902T").identity_header(
        orig=ORIG, dest=DEST, attest="A", origid="tr-9", iat=NOW
    )
    upstream = invite(identity=gateway, via=("198.51.100.3:5060",))
    traces.append(
        link(
            [
                _hop(invite(identity=laundered)),
                _hop(upstream, provider="902T", peer="198.51.100.3", at=NOW - timedelta(seconds=1)),
            ]
        )
    )
    assert [e.code for e in traces[-1].events] == ["resigned"]
    campaigns = find_campaigns(map(CallRecord.from_traceback, traces))
    assert [(c.key.signer, c.key.origid, c.key.attestation, c.calls) for c in campaigns] == [
        ("SPC 901O", "cafe-0001", "A", 3),
        ("SPC 901O", "beef-0002", "A", 1),
        ("SPC 903G", "gw-1", "C", 1),
        ("unsigned", "-", "-", 1),
    ]
    assert campaigns[0].next_request.rule == "N1-ask-signer-customer"
    assert campaigns[2].call_ids == (traces[-1].hops[-1].call_id,)
    unsigned = campaigns[3]
    assert (unsigned.statuses, unsigned.next_request.party) == ((("no-identity", 1),), "Transit Co")
    json.dumps([c.to_dict() for c in campaigns])
