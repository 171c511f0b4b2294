"""The capturing provider's knowledge of other providers (DESIGN §6).

A :class:`ProviderDirectory` answers two questions a traceback asks at every hop:

* *Who is this OCN/SPC?* In the U.S. the SPC in an STI certificate's TNAuthList
  is the provider's OCN (STI-GA token policy, 2021); NECA assigns OCNs and a
  company often holds several. :class:`Provider` records name, country and
  contact, and the Robocall Mitigation Database number where known.
* *Which provider is on the other end of this trunk?* :class:`Peer` records the
  peering facts the capturing provider configured: the peer's signalling
  addresses (IP or CIDR), its trunk groups (RFC 4904 ``tgrp`` with
  ``trunk-context``) and its SIP domains.

Directories load from TOML or JSON (see ``examples/directory.toml``) and from CSV
in the column layout of the public ``OCN.csv`` of the shaken-pki-reports
project (``OCN,Org Name,CN,Cert``). Loading raises
:class:`~shakentrace.errors.DirectoryError`; lookups never raise.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from shakentrace.errors import DirectoryError

__all__ = ["Peer", "Provider", "ProviderDirectory", "TrunkGroup", "reach_text"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """A voice service provider (a company, possibly holding several OCNs).

    Attributes:
        name: The company name.
        ocns: Its OCNs (= SHAKEN SPCs in the U.S.), first the main one.
        country: ISO 3166 alpha-2 country of the provider, if known.
        contact: Traceback contact (e-mail or URL), if known.
        rmd: Robocall Mitigation Database number, if known.
        certificates: ``(CN, x5u)`` pairs known for it (``OCN.csv``).
        source: Where this record came from: a directory file, an ``OCN.csv``
            table, or only the subject of a certificate that signed a call.
    """

    name: str
    ocns: tuple[str, ...] = ()
    country: str | None = None
    contact: str | None = None
    rmd: str | None = None
    certificates: tuple[tuple[str, str], ...] = ()
    source: Literal["directory", "ocn-csv", "certificate"] = "directory"

    @property
    def ocn(self) -> str | None:
        """The main OCN, or ``None`` for a provider known only by name."""
        return self.ocns[0] if self.ocns else None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "name": self.name,
            "ocns": list(self.ocns),
            "country": self.country,
            "contact": self.contact,
            "rmd": self.rmd,
            "certificates": [list(pair) for pair in self.certificates],
            "source": self.source,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TrunkGroup:
    """A trunk group (RFC 4904 §5): ``tgrp`` is unique within ``context``.

    Attributes:
        tgrp: The trunk group label.
        context: The ``trunk-context`` (a domain or a global number prefix).
    """

    tgrp: str
    context: str = ""

    def matches(self, tgrp: str, context: str | None) -> bool:
        """Whether ``tgrp``/``context`` name this group (case-insensitive, RFC 4904 §5)."""
        if tgrp.lower() != self.tgrp.lower():
            return False
        return not self.context or (context or "").lower() == self.context.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Peer:
    """Peering facts about one interconnected provider.

    Attributes:
        provider: The OCN or name of the :class:`Provider` on the other side.
        networks: Its signalling addresses, as networks (a host is a /32 or /128).
        trunk_groups: The trunk groups its calls arrive on.
        domains: Its SIP domains; a host matches a domain or any subdomain.
        customer: The peer is a customer of the capturing provider (an enterprise,
            a dialer platform, a reseller), not a carrier: a call from it was
            originated here.
    """

    provider: str
    networks: tuple[_Network, ...] = ()
    trunk_groups: tuple[TrunkGroup, ...] = ()
    domains: tuple[str, ...] = ()
    customer: bool = False

    def has_domain(self, host: str) -> bool:
        """Whether ``host`` is one of the peer's domains or below one."""
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)


def _as_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderDirectory:
    """Providers by OCN and name, and peers by address, trunk group and domain.

    Attributes:
        providers: The known providers.
        peers: The peering facts of the capturing provider.
    """

    providers: tuple[Provider, ...] = ()
    peers: tuple[Peer, ...] = ()
    _by_key: dict[str, Provider] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Later records win, so a merged directory prefers what it was given last.
        for provider in self.providers:
            for key in (*provider.ocns, provider.name):
                self._by_key[key.strip().upper()] = provider

    # -- loading ---------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> ProviderDirectory:
        """Load a directory file by its suffix: ``.toml``, ``.json`` or ``.csv``.

        Raises:
            DirectoryError: The file cannot be read or does not hold a directory.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:  # the reason alone, not Python's "[Errno 2] ...: 'path'"
            raise DirectoryError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise DirectoryError(f"cannot read {path}: not UTF-8 text (TOML, JSON or CSV)") from exc
        loaders = {".toml": cls.from_toml, ".json": cls.from_json, ".csv": cls.from_ocn_csv}
        loader = loaders.get(path.suffix.lower())
        if loader is None:
            raise DirectoryError(
                f"{path}: unknown directory format {path.suffix or '(no suffix)'}"
                " (give a .toml, .json or OCN .csv file)"
            )
        return loader(text)

    @classmethod
    def from_toml(cls, text: str) -> ProviderDirectory:
        """Parse the TOML form (``[[providers]]`` and ``[[peers]]`` tables).

        Raises:
            DirectoryError: Not TOML, or not a directory.
        """
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:  # too deeply nested
            raise DirectoryError(f"not TOML: {exc}") from exc
        return cls.from_mapping(data)

    @classmethod
    def from_json(cls, text: str) -> ProviderDirectory:
        """Parse the JSON form (an object with ``providers`` and ``peers`` arrays).

        Raises:
            DirectoryError: Not JSON, or not a directory.
        """
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # too deeply nested
            raise DirectoryError(f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise DirectoryError("a directory is a JSON object")
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ProviderDirectory:
        """Build a directory from parsed TOML/JSON data.

        Raises:
            DirectoryError: A record is missing a field or has one of the wrong type.
        """
        try:
            providers = tuple(_provider(item) for item in data.get("providers", ()))
            peers = tuple(_peer(item) for item in data.get("peers", ()))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DirectoryError(f"bad directory record: {exc!r}") from exc
        return cls(providers=providers, peers=peers)

    @classmethod
    def from_ocn_csv(cls, text: str) -> ProviderDirectory:
        """Parse ``OCN,Org Name,CN,Cert`` rows (shaken-pki-reports ``OCN.csv``).

        Rows of one OCN become one provider, named by its most frequent
        ``Org Name``, with every ``(CN, Cert)`` pair kept.

        Raises:
            DirectoryError: The header lacks the ``OCN`` or ``Org Name`` column.
        """
        reader = csv.DictReader(io.StringIO(text, newline=""))  # lines end in CR, LF or CRLF
        try:
            if not {"OCN", "Org Name"} <= set(reader.fieldnames or ()):
                raise DirectoryError("OCN.csv needs the columns OCN, Org Name, CN, Cert")
            rows: dict[str, list[dict[str, str]]] = {}
            for row in reader:
                ocn = (row.get("OCN") or "").strip().upper()
                if ocn:
                    rows.setdefault(ocn, []).append(row)
        except csv.Error as exc:
            raise DirectoryError(f"not CSV (line {reader.line_num}): {exc}") from exc
        return cls(providers=tuple(_csv_provider(ocn, group) for ocn, group in rows.items()))

    def merge(self, other: ProviderDirectory) -> ProviderDirectory:
        """Return a directory with the records of both; ``other`` wins on conflicts."""
        return ProviderDirectory(
            providers=self.providers + other.providers, peers=self.peers + other.peers
        )

    # -- lookups ---------------------------------------------------------------

    def provider(self, key: str | None) -> Provider | None:
        """Return the provider with this OCN or name (case-insensitive), if any."""
        return self._by_key.get(key.strip().upper()) if key else None

    def find(self, *keys: str | None) -> Provider | None:
        """Return the provider of the first of ``keys`` (OCNs or names) it knows, if any."""
        return next((p for p in map(self.provider, keys) if p is not None), None)

    def for_signer(self, spc: str | None, organization: str | None) -> Provider | None:
        """Name the provider behind a certificate's SPC, filling gaps from its subject.

        The directory wins; if it lacks the SPC, the certificate's subject ``O``
        names the company, marked ``source="certificate"`` (only meaningful for a
        verified certificate: the STI-CA vetted that name).
        """
        known = self.provider(spc)
        if known is not None or not organization:
            return known
        return Provider(name=organization, ocns=(spc.upper(),) if spc else (), source="certificate")

    def peer_for_address(self, address: str) -> Peer | None:
        """The peer whose networks contain ``address`` (longest prefix wins)."""
        ip = _as_address(address)
        if ip is None:
            return None
        found = [(n.prefixlen, p) for p in self.peers for n in p.networks if ip in n]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def peer_for_trunk(self, tgrp: str, context: str | None = None) -> Peer | None:
        """The peer that owns trunk group ``tgrp`` (within ``context`` if the record has one)."""
        return next(
            (p for p in self.peers for t in p.trunk_groups if t.matches(tgrp, context)), None
        )

    def peer_for_host(self, host: str) -> Peer | None:
        """The peer for a host: an IP address by network, a name by SIP domain."""
        if _as_address(host) is not None:
            return self.peer_for_address(host)
        return next((p for p in self.peers if p.has_domain(host)), None)

    def is_customer(self, name: str | None) -> bool:
        """Whether ``name`` is a customer peer of the capturing provider."""
        key = (name or "").strip().upper()
        return any(p.customer and p.provider.strip().upper() == key for p in self.peers)

    def provider_of(self, peer: Peer | None) -> Provider | None:
        """The provider record of ``peer``, or a bare one named after it."""
        if peer is None:
            return None
        return self.provider(peer.provider) or Provider(name=peer.provider)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data (the same shape :meth:`from_mapping` reads)."""
        return {
            "providers": [p.to_dict() for p in self.providers],
            "peers": [_peer_dict(p) for p in self.peers],
        }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value.strip() or None


def _required(value: Any, what: str) -> str:
    # An empty or null entry was read as the text "None": a provider named so.
    text = _text(value)
    if text is None:
        raise ValueError(f"{what} is empty")
    return text


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    return tuple(_required(v, "a list entry") for v in value or ())


def _flag(value: Any, what: str) -> bool:
    # bool("false") is True: a carrier would have been taken for a customer.
    if not isinstance(value, bool):
        raise TypeError(f"{what} is true or false, not {value!r}")
    return value


def _provider(item: Mapping[str, Any]) -> Provider:
    ocns = _strings(item.get("ocns", ())) or _strings(item.get("ocn", ()))
    return Provider(
        name=_required(item["name"], "name"),
        ocns=tuple(o.upper() for o in ocns),
        country=(_text(item.get("country")) or "").upper() or None,
        contact=_text(item.get("contact")),
        rmd=_text(item.get("rmd")),
    )


def _trunk(value: Any) -> TrunkGroup:
    if isinstance(value, str):
        tgrp, _, context = value.partition(";")
        return TrunkGroup(tgrp=_required(tgrp, "tgrp"), context=context.strip())
    return TrunkGroup(
        tgrp=_required(value["tgrp"], "tgrp"), context=_text(value.get("context")) or ""
    )


def _peer(item: Mapping[str, Any]) -> Peer:
    return Peer(
        provider=_required(item["provider"], "provider"),
        networks=tuple(
            ipaddress.ip_network(a, strict=False) for a in _strings(item.get("addresses"))
        ),
        trunk_groups=tuple(_trunk(t) for t in item.get("trunk_groups", ())),
        domains=tuple(d.lower().rstrip(".") for d in _strings(item.get("domains"))),
        customer=_flag(item.get("customer", False), "customer"),
    )


def _peer_dict(peer: Peer) -> dict[str, Any]:
    return {
        "provider": peer.provider,
        "addresses": [str(n) for n in peer.networks],
        "trunk_groups": [{"tgrp": t.tgrp, "context": t.context} for t in peer.trunk_groups],
        "domains": list(peer.domains),
        "customer": peer.customer,
    }


def _csv_provider(ocn: str, rows: Iterable[Mapping[str, str]]) -> Provider:
    rows = list(rows)
    names = [(r.get("Org Name") or "").strip() for r in rows]
    name = max(set(names), key=lambda n: (names.count(n), n)) or ocn
    certs = tuple(
        ((r.get("CN") or "").strip(), (r.get("Cert") or "").strip())
        for r in rows
        if r.get("CN") or r.get("Cert")
    )
    return replace(Provider(name=name, ocns=(ocn,), source="ocn-csv"), certificates=certs)


def reach_text(contact: str | None, rmd: str | None) -> str:
    """How to reach a provider for a traceback, as one line (empty if neither is known).

    >>> from shakentrace.providers import reach_text
    >>> reach_text("traceback@harbor-gw.example", "RMD0000991")
    'traceback@harbor-gw.example (Robocall Mitigation Database: RMD0000991)'
    """
    database = f"Robocall Mitigation Database: {rmd}" if rmd else ""
    if contact and database:
        return f"{contact} ({database})"
    return contact or database
