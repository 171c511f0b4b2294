"""The command line's own small parsers are total: a value, or a ConfigurationError.

``--at`` (:func:`parse_moment`), ``--policy`` / ``--fetch-policy``
(:func:`replaced`) and the HTML-escape undoing of pasted heads.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from shakentrace._cli_options import replaced
from shakentrace._cli_verify import parse_moment
from shakentrace._framing import _html_unescaped
from shakentrace.errors import ConfigurationError
from shakentrace.fetch import FetchPolicy
from shakentrace.verify import Policy

_NAMES = st.sampled_from(
    ["max_age", "future_skew", "algorithms", "require_alg", "max_identities", "ports",
     "allow_networks", "total_timeout", "max_bytes", "limits", "_allowed", "nope", ""]
)  # fmt: skip
_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1", "0", "-1", "nan", "inf", "1e400", "true", "off", "443,8443", "x,"]),
)


@given(st.text(max_size=40))
def test_at_is_an_aware_moment_or_a_configuration_error(text: str) -> None:
    try:
        moment = parse_moment(text)
    except ConfigurationError as exc:
        message = exc.message
    else:
        assert isinstance(moment, datetime)
        assert moment.tzinfo is not None
        return
    assert "--at" in message


@given(st.lists(st.tuples(_NAMES, _VALUES), max_size=3), st.booleans())
def test_name_value_options_give_a_config_or_a_configuration_error(
    pairs: list[tuple[str, str]], fetch: bool
) -> None:
    config: Policy | FetchPolicy = FetchPolicy() if fetch else Policy()
    flag = "--fetch-policy" if fetch else "--policy"
    try:
        result = replaced(config, [f"{name}={value}" for name, value in pairs], flag)
    except ConfigurationError as exc:
        message = exc.message
    else:
        assert type(result) is type(config)
        return
    assert message.startswith(flag)


_PIECES = st.sampled_from(
    [b"&lt;", b"&gt;", b"&amp;", b"&quot;", b"<", b"&", b";", b"sip:", b"\xff"]
)
_HEADS = st.binary(max_size=200) | st.lists(_PIECES | st.binary(max_size=3)).map(b"".join)


@given(_HEADS)
def test_a_head_with_an_angle_bracket_is_never_touched(head: bytes) -> None:
    if b"<" in head or b"&lt;" not in head:
        assert _html_unescaped(head) == head
    else:  # copied out of a web page: at least its &lt; undone
        assert _html_unescaped(head).count(b"<") >= head.count(b"&lt;")
