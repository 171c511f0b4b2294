"""Corpus families about the call: TN comparison, div (RFC 8946) and rcd (RFC 9795)."""

from __future__ import annotations

from cases_claims import _good, _tok
from corpus_kit import (
    DEST,
    IAT,
    ORIG,
    Corpus,
    call,
    invalid,
    replace_header,
    replace_request_uri,
    valid,
)


def tn_variants(c: Corpus) -> None:
    """Telephone numbers: RFC 8224 §8.3 canonical comparison between claims and SIP."""
    cert, _ = _good(c)
    rows: list[tuple[str, str, str, dict[str, str | None], bool, bool]] = [
        ("plus-in-claim", "+12155551212", DEST, {}, True, True),
        (
            "from-tel-uri",
            ORIG,
            DEST,
            {"From": "<tel:+12155551212>;tag=t1", "P-Asserted-Identity": "<tel:+12155551212>"},
            True,
            True,
        ),
        (
            "from-visual-separators",
            ORIG,
            DEST,
            {
                "From": "<sip:+1-215-555-1212@sbc.originating.example;user=phone>;tag=t1",
                "P-Asserted-Identity": None,
            },
            True,
            True,
        ),
        (
            "from-user-params",
            ORIG,
            DEST,
            {
                "P-Asserted-Identity": "<sip:+12155551212;verstat=TN-Validation-Passed@sbc.originating.example>"
            },
            True,
            True,
        ),
        (
            "from-national",
            ORIG,
            DEST,
            {
                "From": "<sip:2155551212@sbc.originating.example>;tag=t1",
                "P-Asserted-Identity": None,
            },
            True,
            False,
        ),
        (
            "pai-matches-from-differs",
            ORIG,
            DEST,
            {"From": "<sip:+12025550100@sbc.originating.example>;tag=t1"},
            True,
            False,
        ),
        ("neither-matches", "12025550199", DEST, {}, False, True),
        ("short-numbers", "1001", "1002", {}, True, True),
        ("french-long", "33612345678", "33987654321", {}, True, True),
        (
            "npdi-rn",
            ORIG,
            DEST,
            {
                "P-Asserted-Identity": "<sip:+12155551212;npdi;rn=+12155550000@sbc.originating.example>"
            },
            True,
            True,
        ),
        ("dest-list-includes-to", ORIG, [DEST, "12155559999"], {}, True, True),  # type: ignore[list-item]
        ("dest-list-excludes-to", ORIG, ["12155559998", "12155559999"], {}, False, True),  # type: ignore[list-item]
        ("dest-plus", ORIG, "+12155551213", {}, True, True),
    ]
    for name, orig, dest, headers, ok, normative in rows:
        value = cert.identity_header(orig=orig, dest=dest, iat=IAT)
        plain_orig = orig.lstrip("+")
        sip_dest = dest if isinstance(dest, str) else DEST
        sip = call(
            value,
            orig=plain_orig if name not in ("neither-matches",) else ORIG,
            dest=sip_dest.lstrip("+") if name != "dest-list-excludes-to" else DEST,
        )
        for header, text in headers.items():
            sip = replace_header(sip, header, text)
        if ok:
            exp = valid(value)
        else:
            exp = invalid("orig-mismatch" if "matches" in name else "dest-mismatch", identity=value)
        c.add(
            f"tn-{name}",
            f"orig {orig} dest {dest} {headers}",
            source="RFC 8224 §8.3",
            sip=sip,
            cert=cert,
            expected=exp,
            normative=normative,
        )
    value = cert.identity_header(iat=IAT)
    sip = replace_request_uri(call(value), "sip:+12155557777@sbc.terminating.example;user=phone")
    c.add(
        "tn-request-uri-retargeted",
        "Request-URI retargeted, To still matches dest",
        source="RFC 8224 §6.2; RFC 8946",
        sip=sip,
        cert=cert,
        expected=valid(value),
        normative=False,
    )


def div_rcd(c: Corpus) -> None:
    """div PASSporTs (RFC 8946) and Rich Call Data (RFC 9795)."""
    cert, good = _good(c)
    fwd = "12155557777"
    div = cert.divert(_tok(good), to=fwd)
    sip = call([good, cert.identity_for(div)], dest=fwd)
    sip = replace_header(sip, "To", "<sip:+12155551213@sbc.terminating.example;user=phone>")
    c.add(
        "div-chained",
        "shaken + div to a new target",
        source="RFC 8946 §3",
        sip=sip,
        cert=cert,
        expected=valid(good),
        normative=False,
    )
    div2 = cert.divert(div, to="12155558888")
    sip2 = call([good, cert.identity_for(div), cert.identity_for(div2)], dest="12155558888")
    sip2 = replace_header(sip2, "To", "<sip:+12155551213@sbc.terminating.example;user=phone>")
    c.add(
        "div-two-hops",
        "shaken + div + div",
        source="RFC 8946 §3",
        sip=sip2,
        cert=cert,
        expected=valid(good),
        normative=False,
    )
    for name, kwargs in (
        ("div-not-chained", {"orig": ORIG, "dest": fwd, "div": "12155550000"}),
        ("div-orig-differs", {"orig": "12025550100", "dest": fwd, "div": DEST}),
    ):
        broken = cert.sign_div(iat=IAT, **kwargs)  # type: ignore[arg-type]
        sip = call([good, cert.identity_for(broken)], dest=fwd)
        sip = replace_header(sip, "To", "<sip:+12155551213@sbc.terminating.example;user=phone>")
        c.add(
            name,
            str(kwargs),
            source="RFC 8946 §3",
            sip=sip,
            cert=cert,
            expected=invalid("div-broken", exact=False),
            normative=False,
        )
    for name, kw in (
        ("rcd-nam", {"rcd": {"nam": "Example Bank"}}),
        ("rcd-nam-utf8", {"rcd": {"nam": "Société Générale — Service"}}),
        ("rcd-crn", {"rcd": {"nam": "Pharmacy"}, "crn": "Your prescription is ready"}),
        ("rcd-jcl", {"rcd": {"nam": "Example", "jcl": "https://rcd.example/jcard.json"}}),
    ):
        value = cert.identity_header(iat=IAT, **kw)  # type: ignore[arg-type]
        c.add(
            name,
            f"SHAKEN PASSporT with {kw}",
            source="RFC 9795; ATIS-1000094",
            sip=call(value),
            cert=cert,
            expected=valid(value),
        )
    with_rcd = cert.identity_header(iat=IAT, rcd={"nam": "Example Bank"})
    tampered = with_rcd.replace(_tok(with_rcd), resign_tamper(_tok(with_rcd)))
    c.add(
        "rcd-tampered",
        "rcd nam changed after signing",
        source="RFC 9795",
        sip=call(tampered),
        cert=cert,
        expected=invalid("bad-signature", identity=with_rcd),
    )
    rcd_pp = cert.identity_for(cert.sign_passport(ppt="rcd", iat=IAT, rcd={"nam": "Example"}))
    c.add(
        "rcd-separate-passport",
        "shaken + separate ppt=rcd PASSporT",
        source="RFC 9795",
        sip=call([good, rcd_pp]),
        cert=cert,
        expected={"status": "valid"},
        normative=False,
    )
    vvp = good.replace(";ppt=shaken", ";ppt=vvp")
    c.add(
        "unknown-ppt-alongside",
        "shaken + an Identity with an unknown ppt",
        source="prior-art §1.5",
        sip=call([good, vvp]),
        cert=cert,
        expected={"status": "valid"},
        normative=False,
    )


def resign_tamper(token: str) -> str:
    """Replace rcd.nam after signing, keeping the signature."""
    from shakentrace.testing import tamper_claim

    return tamper_claim(token, "rcd", {"nam": "Your Bank (fraud dept)"})
