"""Robocall networks for traceback tests: every hop's INVITE, and the ground truth.

A :class:`NetworkGenerator` builds call paths through fictitious providers:
originators that sign A/B (or do not sign), intermediates that pass the Identity
on, U.S. gateways that sign foreign calls with C, a launderer that re-signs with A,
a TDM segment that strips the Identity, a spoofer that rewrites the caller ID, and
providers that never answer a traceback request. Each responsive provider yields
the INVITE it received (as its SBC logged it) and the packet's source address;
:class:`~shakentrace.testing.HopTruth` and :class:`~shakentrace.testing.PathTruth`
say what a correct analysis concludes from that evidence (``None``/``unknown``
where it does not determine the answer) and who really did what.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from shakentrace.lookup import StaticResolver
from shakentrace.providers import Peer, Provider, ProviderDirectory, TrunkGroup
from shakentrace.testing._ca import StiCA
from shakentrace.testing._cert import StiCert
from shakentrace.testing._invite import build_invite
from shakentrace.testing._jws import format_identity
from shakentrace.testing._truth import (
    SCENARIO_KINDS,
    Call,
    HopTruth,
    NetworkProvider,
    PathTruth,
    Token,
    hop_truth,
    path_truth,
)

__all__ = ["DEST", "NOW", "SCENARIO_KINDS", "NetworkGenerator", "NetworkHop", "Scenario"]

#: When generated calls are placed (scenario ``n`` starts ``7 n`` seconds later).
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
#: The called number of every generated call.
DEST = "12025550143"

# Fictitious companies: (name, OCN) in the U.S., (name, country) abroad.
_US = (
    ("Lakeside Telephone Co", "994L"),
    ("Prairie Wholesale Voice", "993W"),
    ("Midwest Transit Inc", "992T"),
    ("Harbor Gateway LLC", "991G"),
    ("Keystone Carrier Services", "985K"),
    ("Bluegrass Voice Exchange", "984B"),
    ("Cascade Interconnect", "983C"),
    ("Mesa Digital Voice", "982M"),
    ("Tidewater Networks", "981T"),
    ("Summit Dialer Cloud", "980S"),
    ("Granite State Telecom", "979G"),
    ("Redwood Routing LLC", "978R"),
)
_FOREIGN = (("Globex Telecom Ltd", "GB"), ("Oceanic Voice SA", "PA"), ("Nordwind Tel GmbH", "DE"))


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkHop:
    """One responsive provider's capture of the call.

    Attributes:
        provider: The capturing provider's name.
        peer: Source address of the packet that carried the INVITE (``None``: not logged).
        received_at: When it received the INVITE.
        invite: The INVITE as received.
        truth: What a correct analysis of this capture concludes.
    """

    provider: str
    peer: str | None
    received_at: datetime
    invite: bytes
    truth: HopTruth


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One generated robocall and everything needed to trace it.

    Attributes:
        number: The scenario number.
        kind: One of :data:`~shakentrace.testing.SCENARIO_KINDS`.
        path: The providers, origin first.
        hops: The captures, terminating provider first.
        directory: Providers and peering facts (what the capturing providers know).
        resolver: PTR names of the providers' SBC addresses.
        chains: x5u URL → PEM chain, for a static fetcher.
        trust_pem: The STI-CA root to trust.
        truth: The path-level ground truth.
    """

    number: int
    kind: str
    path: tuple[NetworkProvider, ...]
    hops: tuple[NetworkHop, ...]
    directory: ProviderDirectory
    resolver: StaticResolver
    chains: dict[str, bytes] = field(default_factory=dict)
    trust_pem: bytes = b""
    truth: PathTruth


class NetworkGenerator:
    """Make reproducible traceback scenarios (one STI-CA, a certificate per signer).

    Args:
        seed: Seeds the CA and every random choice.
        now: When calls are placed.
    """

    def __init__(self, *, seed: int = 0, now: datetime = NOW) -> None:
        self.now = now
        self.ca = StiCA(seed=f"network-{seed}", now=now)
        self._certs: dict[str, StiCert] = {}
        self._seed = seed

    def cert_for(self, provider: NetworkProvider) -> StiCert:
        """The STI certificate of a signing provider (issued once per name)."""
        if provider.name not in self._certs:
            self._certs[provider.name] = self.ca.issue_cert(
                spc=provider.ocn, organization=provider.name
            )
        return self._certs[provider.name]

    def scenarios(self, count: int) -> Iterator[Scenario]:
        """Scenarios ``0 .. count-1``, cycling through the scenario kinds."""
        return (self.scenario(n) for n in range(count))

    def scenario(self, number: int, kind: str | None = None) -> Scenario:
        """Build scenario ``number`` (of ``kind``; default chosen by the number)."""
        rng = random.Random(f"{self._seed}:{number}")
        kind = kind or SCENARIO_KINDS[number % len(SCENARIO_KINDS)]
        path = cast(rng, kind, _US, _FOREIGN)
        customer = _customer(rng, path[0])
        when = self.now + timedelta(seconds=7 * number)
        seen = self._walk(rng, path, when)
        senders = (customer, *path)
        hops = [
            self._capture(rng, path, senders[i], i, c, when)
            for i, c in enumerate(seen)
            if c is not None
        ]
        hops.reverse()
        signers = {t.signer.name: t.signer for c in seen if c for t in c.tokens}
        signers.update({t.signer.name: t.signer for t in self._last.tokens})
        certs = [self.cert_for(p) for p in signers.values()]
        return Scenario(
            number=number,
            kind=kind,
            path=path,
            hops=tuple(hops),
            directory=_directory(path, customer),
            resolver=StaticResolver(ptrs={p.address: p.host for p in senders}),
            chains={c.x5u: bytes(c.chain_pem) for c in certs},
            trust_pem=self.ca.trust_pem,
            truth=path_truth(path, [h.truth for h in hops]),
        )

    def _sign(self, provider: NetworkProvider, call: Call, attest: str, iat: datetime) -> Token:
        cert = self.cert_for(provider)
        token = cert.sign_passport(orig=call.cli, dest=DEST, attest=attest, iat=iat)
        return Token(value=format_identity(token, info=cert.x5u), signer=provider, attest=attest)

    def _walk(
        self, rng: random.Random, path: tuple[NetworkProvider, ...], when: datetime
    ) -> list[Call | None]:
        """The call as each provider receives it, origin first (``None``: no capture)."""
        cli = f"1{rng.choice(('215', '312', '646', '702'))}555{rng.randrange(1000, 9999)}"
        call = Call(cli=cli, from_tn=cli, from_host=path[0].domain)
        seen: list[Call | None] = []
        for provider in path:
            seen.append(call.copy() if provider.responsive else None)
            call = self._act(provider, call, when)
        self._last = call
        return seen

    def _act(self, p: NetworkProvider, call: Call, when: datetime) -> Call:
        out = call.copy()
        if p.action == "sign":
            out.tokens = [self._sign(p, call, p.attest, when)]
        elif p.action == "replay":  # a PASSporT signed ten minutes earlier, sent again
            out.tokens = [self._sign(p, call, p.attest, when - timedelta(minutes=10))]
            out.replayed = True
        elif p.action == "gateway" and not call.tokens:
            out.tokens = [self._sign(p, call, "C", when)]
        elif p.action == "launder":
            mine = self._sign(p, call, "A", when)
            out.tokens = [mine, *call.tokens] if p.variant == "append" else [mine]
        elif p.action == "strip":
            out.tokens = []
            out.verstat = "TN-Validation-Passed" if p.variant == "verstat" else None
        elif p.action == "spoof":
            out.from_tn = call.cli[:-4] + ("0000" if call.cli[-4:] != "0000" else "0001")
            out.verstat = "TN-Validation-Passed" if p.variant == "verstat" else call.verstat
        return out

    def _capture(
        self,
        rng: random.Random,
        path: tuple[NetworkProvider, ...],
        sender: NetworkProvider,
        i: int,
        call: Call,
        when: datetime,
    ) -> NetworkHop:
        me = path[i]
        received_at = when + timedelta(milliseconds=150 * i)
        peer = None if me.capture == "no-peer" else sender.address
        rivals = [p for p in path if p is not sender and p.listed]
        forged = rng.choice(rivals) if me.capture == "forged-ioi" and rivals else None
        return NetworkHop(
            provider=me.name,
            peer=peer,
            received_at=received_at,
            invite=_invite(call, me, sender, received_at, forged, hop=i),
            truth=hop_truth(me, sender, call, peer=peer, forged=forged),
        )


def _customer(rng: random.Random, origin: NetworkProvider) -> NetworkProvider:
    """The calling customer of the originating provider (a dialer platform)."""
    address = f"100.64.{rng.randrange(1, 254)}.{rng.randrange(1, 254)}"
    domain = f"dialer-{rng.randrange(100, 999)}.example"
    return NetworkProvider(
        name=f"{origin.name} customer {domain.split('.')[0]}",
        ocn=None,
        country="US",
        action="customer",
        responsive=False,
        listed=rng.random() < 0.9,
        address=address,
        host=f"pbx.{domain}",
        domain=domain,
        via_host=address,
    )


def _headers(
    sender: NetworkProvider, forged: NetworkProvider | None, icid: str
) -> list[tuple[str, str]]:
    extra: list[tuple[str, str]] = []
    ioi = forged.domain if forged else (sender.domain if sender.send_ioi else None)
    if ioi:  # RFC 7315 §4.6
        extra.append(("P-Charging-Vector", f"icid-value={icid};orig-ioi={ioi}"))
    if sender.record_route:
        extra.append(("Record-Route", f"<sip:{sender.host};lr>"))
    return extra


def _invite(
    call: Call,
    me: NetworkProvider,
    sender: NetworkProvider,
    received_at: datetime,
    forged: NetworkProvider | None,
    *,
    hop: int,
) -> bytes:
    via_host = sender.via_host
    stamp = f"{received_at.timestamp():.3f}"
    raw = build_invite(
        identity=[t.value for t in call.tokens],
        orig=call.from_tn,
        dest=DEST,
        from_host=call.from_host,
        to_host=me.host,
        via=(f"{via_host}:5060",),
        call_id=f"{hop}-{stamp}@{via_host}",
        date=received_at,
        max_forwards=70 - hop,  # passed on, decremented, at each hop (RFC 7332 §3)
        extra_headers=_headers(sender, forged, f"{hop}-{stamp}"),
    ).decode()
    if via_host != sender.address:  # RFC 3261 §18.2.1: our edge adds received
        top = f"Via: SIP/2.0/UDP {via_host}:5060;"
        raw = raw.replace(top, f"{top}received={sender.address};", 1)
    if sender.trunk_group:  # RFC 4904 §5: tgrp in the Request-URI user part
        user = f"INVITE sip:+{DEST}"
        tgrp = f"tgrp={sender.trunk_group};trunk-context={me.domain}"
        raw = raw.replace(f"{user}@", f"{user};{tgrp}@", 1)
    if call.verstat:  # 3GPP TS 24.229: verstat in the P-Asserted-Identity user part
        pai = f"P-Asserted-Identity: <sip:+{call.from_tn}"
        raw = raw.replace(f"{pai}@", f"{pai};verstat={call.verstat}@", 1)
    return raw.encode()


def _directory(path: tuple[NetworkProvider, ...], customer: NetworkProvider) -> ProviderDirectory:
    providers = tuple(
        Provider(name=p.name, ocns=(p.ocn,) if p.ocn else (), country=p.country) for p in path
    )
    peers = tuple(
        Peer(
            provider=p.ocn or p.name,
            networks=(ipaddress.ip_network(p.address),),
            trunk_groups=(TrunkGroup(tgrp=p.trunk_group),) if p.trunk_group else (),
            domains=(p.domain,),
            customer=p is customer,
        )
        for p in (customer, *path)
        if p.listed
    )
    return ProviderDirectory(providers=providers, peers=peers)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:20]


def _dress(rng: random.Random, p: NetworkProvider, k: int) -> NetworkProvider:
    """Addresses, names and the optional SIP evidence a provider's SBC emits."""
    net = "198.51.100" if p.country == "US" else "203.0.113"
    address, slug = f"{net}.{10 + k}", _slug(p.name)
    host = f"sbc{k}.{slug}.example"
    return replace(
        p,
        address=address,
        host=host,
        domain=f"{slug}.example",
        via_host=address if rng.random() < 0.5 else host,
        send_ioi=rng.random() < 0.5,
        record_route=rng.random() < 0.3,
        trunk_group=f"TG-{p.ocn or slug[:6]}" if rng.random() < 0.4 else None,
        listed=p.listed and (p.action == "terminate" or rng.random() > 0.08),
        capture=rng.choice((None,) * 7 + ("no-peer", "forged-ioi", "forged-ioi")),
    )


def cast(
    rng: random.Random,
    kind: str,
    us: Sequence[tuple[str, str]],
    foreign: Sequence[tuple[str, str]],
) -> tuple[NetworkProvider, ...]:
    """Choose the providers of a ``kind`` scenario and what each does, origin first."""
    names = rng.sample(list(us), 8)
    pick = iter(names)

    def domestic(action: str, **kw: object) -> NetworkProvider:
        name, ocn = next(pick)
        return NetworkProvider(name=name, ocn=ocn, country="US", action=action, **kw)  # type: ignore[arg-type]

    def middle(low: int = 0) -> list[NetworkProvider]:
        return [domestic("forward") for _ in range(rng.randint(low, 2))]

    abroad_name, abroad_country = rng.choice(list(foreign))
    abroad = NetworkProvider(
        name=abroad_name, ocn=None, country=abroad_country, action="originate", responsive=False
    )
    path: list[NetworkProvider]
    if kind == "signed-origin":
        path = [domestic("sign", attest=rng.choice("AB")), *middle(1)]
    elif kind == "replay":
        path = [domestic("replay", attest="A"), *middle(1)]
    elif kind == "unsigned-origin":
        path = [domestic("originate"), *middle(1)]
    elif kind == "foreign-gateway":
        path = [abroad, domestic("gateway"), *middle(1)]
    elif kind == "launderer":
        head = rng.choice(([abroad], [abroad, domestic("gateway")], [domestic("originate")]))
        launder = domestic("launder", variant=rng.choice(("append", None)))
        path = [*head, *middle(), launder, *middle()]
    elif kind == "tdm-strip":
        strip = domestic("strip", variant=rng.choice(("verstat", None)))
        path = [domestic("sign", attest="A"), *middle(), strip, *middle()]
    elif kind == "spoofer":
        spoof = domestic("spoof", variant=rng.choice(("verstat", None)))
        path = [domestic("sign", attest="A"), *middle(), spoof, *middle()]
    else:
        raise ValueError(f"unknown scenario kind {kind!r}")
    path.append(domestic("terminate"))
    path = [
        p
        if p.country != "US" or p.action == "terminate" or rng.random() > 0.2
        else replace(p, responsive=False)
        for p in path
    ]
    return tuple(_dress(rng, p, k) for k, p in enumerate(path))
