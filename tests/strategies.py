"""Hypothesis strategies for shakentrace's inputs (SIP messages, URIs, numbers).

``sip_messages()`` draws a :class:`MessageModel` and its rendered bytes, in any
mix of full/compact header names, CRLF/LF line ends, folded lists and
comma-joined Identity headers, so that a property can compare what was rendered
with what :func:`shakentrace.parse_sip` reads back.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

__all__ = [
    "MessageModel",
    "display_names",
    "hosts",
    "identity_values",
    "mutated",
    "name_addrs",
    "sip_messages",
    "sip_uris",
    "tokens",
    "vias",
]

_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"
_JUNK = (b"\r", b"\n", b" ", b"\t", b",", b";", b"<", b">", b'"', b"\\", b":", b"@", b"=")
_B64URL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def tokens(max_size: int = 12) -> st.SearchStrategy[str]:
    """RFC 3261 ``token`` values."""
    return st.text(_TOKEN_CHARS, min_size=1, max_size=max_size)


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def _labels() -> st.SearchStrategy[str]:
    middle = st.text(_LOWER + _DIGITS + "-", max_size=8)
    return st.tuples(st.sampled_from(_LOWER), middle, st.sampled_from(_LOWER + _DIGITS)).map(
        "".join
    )


def hosts() -> st.SearchStrategy[str]:
    """Host names and IPv4 addresses."""
    names = st.lists(_labels(), min_size=1, max_size=3).map(".".join)
    ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
    return st.one_of(names, ipv4)


def display_names() -> st.SearchStrategy[str]:
    """Display names, any printable Unicode including quotes and backslashes."""
    return st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20
    )


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _numbers() -> st.SearchStrategy[str]:
    """E.164 NANP numbers, ``+1NXXNXXXXXX``."""
    parts = st.tuples(st.integers(200, 999), st.integers(200, 999), st.integers(0, 9999))
    return parts.map(lambda t: f"+1{t[0]}{t[1]}{t[2]:04d}")


def identity_values() -> st.SearchStrategy[str]:
    """Identity header values shaped like RFC 8224 §4 ones (contents are random)."""
    segment = st.text(_B64URL, min_size=1, max_size=40)
    token = st.tuples(segment, segment, segment).map(".".join)
    info = st.tuples(hosts(), st.text(_B64URL, max_size=10)).map(
        lambda t: f";info=<https://{t[0]}/{t[1]}.pem>"
    )
    tail = st.sampled_from(["", ";alg=ES256", ";alg=ES256;ppt=shaken", ';ppt="div"'])
    return st.tuples(token, info, tail).map("".join)


def sip_uris() -> st.SearchStrategy[str]:
    """SIP/SIPS URI text in common and odd shapes, valid or not."""
    pieces = st.sampled_from(
        ["sip:", "sips:", "SIP:", "+12155551212", "alice", "a;npdi", "u:pw", "@", "host.example",
         "[2001:db8::1]", ":5060", ":99999", ";user=phone", ";lr", ";", ";=x", ";a=b=c", "?h=v",
         '"', ",", " ", "%2B1", "x_y", "-bad", "1.2.3.4", "*67#"]
    )  # fmt: skip
    return st.lists(pieces, min_size=1, max_size=7).map("".join)


_ADDRESS_PIECES = st.sampled_from(
    ['"Alice" ', "Alice ", '"A\\"b" ', '"x<y" ', " ", "\t", "<", ">", "sip:", "sips:", "SIP:",
     "tel:", "+12155551212", "2155551212", "+1-215-555-1212", "alice", "anonymous", "@",
     "host.example", "Anonymous.Invalid", "1.2.3.4", "[::1]", "host.", ":5060", ":0", ":99999",
     ";user=phone", ";tag=a1", ";verstat=TN-Validation-Passed", ";verstat=", ";VerStat=x",
     ";phone-context=+1", ";=x", ";;", ",", '"', "%2B1", "é", ".", "-", "*"]
)  # fmt: skip


def _usual_uris() -> st.SearchStrategy[str]:
    """``sip:number@host[:port];params`` or ``tel:number``, as carriers send them."""
    number = st.sampled_from(["+12155551212", "2155551212", "12155551212", "5551212"])
    host = st.sampled_from(
        ["@host.example", "@192.0.2.1", "@anonymous.invalid", "@A.Anonymous.INVALID", "@a_b-1.c"]
    )
    port = st.sampled_from(["", "", ":5060", ":65536"])
    params = st.sampled_from(["", ";user=phone", ";transport=udp;User=phone;user=x", ";lr"])
    sip = st.tuples(st.sampled_from(["sip:", "sips:"]), number, host, port, params)
    return sip.map("".join) | number.map(lambda n: "tel:" + n)


@st.composite
def name_addrs(draw: st.DrawFn) -> str:
    """``[name] <usual URI>;params``, about half of them with one or two pieces changed."""
    parts = [
        draw(st.sampled_from(["", '"Alice" ', "Alice  Smith ", '"" ', " Bob\t"])),
        "<",
        draw(_usual_uris()),
        ">",
        draw(st.sampled_from(["", ";tag=76629d4bd6", ";tag=a;x", ";verstat=No-TN-Validation"])),
    ]
    return _altered(draw, parts, _ADDRESS_PIECES)


@st.composite
def request_uris(draw: st.DrawFn) -> str:
    """A usual URI bare (a Request-URI), some with one or two pieces changed."""
    usual = draw(_usual_uris())
    return usual if draw(st.booleans()) else _altered(draw, [usual], _ADDRESS_PIECES)


def _altered(draw: st.DrawFn, parts: list[str], pieces: st.SearchStrategy[str]) -> str:
    """``parts`` joined, most often as they are, else with one or two ``pieces`` put in."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        at = draw(st.integers(0, len(parts)))
        piece = draw(pieces)
        if draw(st.booleans()) and at < len(parts):
            parts[at] = piece
        else:
            parts.insert(at, piece)
    return "".join(parts)


_VIA_PIECES = st.sampled_from(
    ["SIP/2.0/", "sip/2.0/", "SIP / 2.0 / ", "UDP", "tls", " ", "  ", "\t", "host.example",
     "[2001:db8::1]", "a_b.", ":5060", ":99999", ";branch=z9hG4bK1", ";rport", ";rport=",
     ";rport=5x", ";RPort=1", ";received=1.2.3.4", ";maddr=m", ";=x", ";;", '"', ",", "é"]
)  # fmt: skip


@st.composite
def vias(draw: st.DrawFn) -> str:
    """``SIP/2.0/UDP host[:port];params``, about half of them with one or two pieces changed."""
    parts = [
        "SIP/2.0/",
        draw(st.sampled_from(["UDP", "TCP", "TLS", "WSS"])),
        " ",
        draw(hosts()),
        draw(st.sampled_from(["", ":5060", ":0", ":70000"])),
        draw(st.sampled_from(["", ";branch=z9hG4bKa1", ";branch=z9hG4bKa1;rport=5062;lr"])),
        draw(st.sampled_from(["", ";received=192.0.2.9", ";rport", ";rport=5x", ";maddr=m;ttl=1"])),
    ]
    return _altered(draw, parts, _VIA_PIECES)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageModel:
    """What a generated message says, to compare with the parse."""

    method: str
    ruri_user: str
    ruri_host: str
    from_display: str | None
    from_user: str
    from_host: str
    from_tag: str
    to_user: str
    via: tuple[tuple[str, str, int | None, str], ...]
    call_id: str
    cseq: int
    max_forwards: int
    pai: tuple[str, ...]
    identities: tuple[str, ...]


def _models() -> st.SearchStrategy[MessageModel]:
    via = st.tuples(
        st.sampled_from(["UDP", "TCP", "TLS"]),
        hosts(),
        st.none() | st.integers(1, 65535),
        tokens(),
    )
    return st.builds(
        MessageModel,
        method=st.sampled_from(["INVITE", "OPTIONS", "BYE", "MESSAGE"]),
        ruri_user=_numbers(),
        ruri_host=hosts(),
        from_display=st.none() | display_names(),
        from_user=_numbers() | _labels(),
        from_host=hosts(),
        from_tag=tokens(),
        to_user=_numbers(),
        via=st.lists(via, min_size=1, max_size=4).map(tuple),
        call_id=st.text("".join(map(chr, range(0x21, 0x7F))), min_size=1, max_size=30),
        cseq=st.integers(0, 2**31 - 1),
        max_forwards=st.integers(0, 255),
        pai=st.lists(_numbers(), max_size=2).map(tuple),
        identities=st.lists(identity_values(), max_size=3).map(tuple),
    )


@st.composite
def sip_messages(draw: st.DrawFn) -> tuple[MessageModel, bytes]:
    """A :class:`MessageModel` and the bytes of a message that says it."""
    model = draw(_models())
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    compact = draw(st.booleans())
    fold = draw(st.sampled_from([", ", "," + eol + " ", "," + eol + "\t"]))

    def name(full: str, short: str) -> str:
        return short if compact else full

    via = fold.join(
        f"SIP/2.0/{t} {h}{f':{p}' if p else ''};branch=z9hG4bK{b}" for t, h, p, b in model.via
    )
    display = _quoted(model.from_display) + " " if model.from_display is not None else ""
    lines = [
        f"{model.method} sip:{model.ruri_user}@{model.ruri_host};user=phone SIP/2.0",
        f"{name('Via', 'v')}: {via}",
        f"{name('From', 'f')}: {display}<sip:{model.from_user}@{model.from_host}>"
        f";tag={model.from_tag}",
        f"{name('To', 't')}: <tel:{model.to_user}>",
        f"{name('Call-ID', 'i')}: {model.call_id}",
        f"CSeq: {model.cseq} {model.method}",
        f"Max-Forwards: {model.max_forwards}",
        *(f"P-Asserted-Identity: <sip:{n}@{model.from_host};user=phone>" for n in model.pai),
    ]
    joined: bool = draw(st.booleans())
    if model.identities and joined:
        lines.append(f"{name('Identity', 'y')}: " + fold.join(model.identities))
    else:
        lines += [f"{name('Identity', 'y')}: {value}" for value in model.identities]
    body = draw(st.sampled_from(["", "v=0" + eol]))
    lines.append(f"{name('Content-Length', 'l')}: {len(body.encode())}")
    return model, (eol.join(lines) + eol + eol + body).encode("utf-8")


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """One of ``seeds`` with a few bytes inserted, deleted or replaced."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        junk = draw(
            st.sampled_from([b"\r", b"\n", b" ", b",", b";", b"<", b">", b'"', b"\\", b":"])
        )
        junk = draw(st.just(junk) | st.binary(min_size=1, max_size=3))
        if action == "insert":
            data[at:at] = junk
        elif action == "delete":
            del data[at : at + len(junk)]
        else:
            data[at : at + len(junk)] = junk
    return bytes(data)
