"""SIP grammar pieces as named, compiled regular expressions.

Each name is the ABNF rule it implements, with the RFC section it comes from
(RFC 3261 §25.1 unless said otherwise). Rules are compiled once and applied with
``fullmatch``. Where real carrier traffic is looser than the ABNF, the regex says
so in a comment (forensics must read what was sent, not only what is correct).
"""

from __future__ import annotations

import re

__all__ = [
    "CALL_ID",
    "CSEQ",
    "DIGITS",
    "HEADER_LINE",
    "HEADER_NAME",
    "HOST",
    "LIST_TOKEN",
    "PARAM",
    "PLAIN_HEAD",
    "REQUEST_LINE",
    "RFC1123_DATE",
    "SCHEME",
    "SENT_PROTOCOL",
    "SIMPLE_SIP_URI",
    "STATUS_LINE",
    "TEL_NUMBER",
    "TOKEN",
    "UNFOLDED_FIELD",
    "UNFOLDED_HEAD",
    "USER",
    "VISUAL_SEPARATORS",
]

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
TOKEN = re.compile(_TOKEN)

# quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE   (§25.1)
_QUOTED = r'"(?:[^"\\]|\\.)*"'

# SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT                    (§25.1)
_VERSION = r"SIP/[0-9]+\.[0-9]+"

# Request-Line = Method SP Request-URI SP SIP-Version CRLF        (§7.1)
REQUEST_LINE = re.compile(rf"(?P<method>{_TOKEN}) (?P<uri>\S+) (?P<version>{_VERSION})")

# Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF  (§7.2)
STATUS_LINE = re.compile(rf"(?P<version>{_VERSION}) (?P<code>[1-6][0-9][0-9])(?: (?P<reason>.*))?")

# header-name = token; HCOLON = *( SP / HTAB ) ":" SWS            (§7.3.1)
HEADER_NAME = re.compile(_TOKEN)
HEADER_LINE = re.compile(rf"(?P<name>{_TOKEN})[ \t]*:[ \t]*(?P<value>.*)")

# A run of header lines without folding, each ending in CRLF or LF, and one such
# field with its value trimmed of SP/HTAB: the fast path of the framer.
UNFOLDED_HEAD = re.compile(rf"(?:{_TOKEN}[ \t]*:[^\r\n]*\r?\n)*")
# The same, also refusing CTL characters (RFC 3261 §25.1 TEXT-UTF8char): one pass
# of C code that validates a whole head without folding. The value class lists
# what it allows (HTAB, VCHAR and SP, anything above DEL): the same set as
# [^\x00-\x08\x0a-\x1f\x7f], which the engine tests twice as slowly per character.
PLAIN_HEAD = re.compile(rf"(?:{_TOKEN}[ \t]*:[\t\x20-\x7e\x80-\U0010ffff]*\r?\n)*")
UNFOLDED_FIELD = re.compile(rf"({_TOKEN})[ \t]*:[ \t]*((?:[^\r\n]*[^\r\n \t])?)[ \t]*\r?\n")

# One piece of a comma-separated header list (§7.3.1), read left to right: text,
# a quoted string, an <...> span (commas inside those two do not separate
# elements), a separating comma, or a quote or "<" that never closes ("open").
# Possessive, and one pass: an unclosed quote is scanned once, not once from
# every position after it (findall of whole elements took seconds on 16 KiB).
LIST_TOKEN = re.compile(r'[^,"<]+|"(?:[^"\\]|\\.)*+"|<[^>]*+>|(?P<comma>,)|(?P<open>["<])')

# generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string
# (§25.1). Real traffic also carries characters outside token in values
# (e.g. ``verstat=TN-Validation-Passed``, URLs in ``info``), so any run of
# non-separator characters is accepted as a value.
PARAM = re.compile(
    rf"[ \t]*(?P<name>[^\s;=,]+)[ \t]*(?:=[ \t]*(?P<value>{_QUOTED}|[^;\s]*))?[ \t]*"
)

# scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )            (RFC 3986 §3.1)
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")

# user = 1*( unreserved / escaped / user-unreserved )             (§25.1)
# Looser on purpose: any visible character but the URI delimiters, because
# carriers send unescaped ``#`` and ``*`` in user parts.
USER = re.compile(r"[^\s@<>\"]+")

# host = hostname / IPv4address / IPv6reference; port = 1*DIGIT    (§25.1)
# hostname labels are checked loosely (``_`` occurs in real host names).
_HOST = r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?\.?"
HOST = re.compile(rf"(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?")

# The most common SIP-URI shape, ``sip:user@host[:port][;params]``, with no
# user-part parameters, password, URI headers, quotes, commas or spaces: one
# regex instead of the general parse (same result, checked by a property test).
SIMPLE_SIP_URI = re.compile(
    rf'(?P<scheme>sips?):(?P<user>[^\s@<>";:?]+)@(?P<host>{_HOST})'
    rf'(?::(?P<port>[0-9]{{1,5}}))?(?P<params>(?:;[^;?\s",]*)*)'
)

# telephone-subscriber digits: global-number-digits / local-number-digits
# (RFC 3966 §3): phonedigit-hex = HEXDIG / "*" / "#" / visual-separator
TEL_NUMBER = re.compile(r"\+?[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")

# visual-separator = "-" / "." / "(" / ")"                        (RFC 3966 §3)
# plus whitespace and "/" as written in documents and databases.
VISUAL_SEPARATORS = re.compile(r"[\s\-.()/]")

# sent-protocol = protocol-name SLASH protocol-version SLASH transport  (§20.42)
SENT_PROTOCOL = re.compile(
    rf"(?P<name>{_TOKEN})\s*/\s*(?P<version>{_TOKEN})\s*/\s*(?P<transport>{_TOKEN})\s+(?P<rest>.*)",
    re.DOTALL,
)

# CSeq = "CSeq" HCOLON 1*DIGIT LWS Method                          (§20.16)
CSEQ = re.compile(rf"(?P<seq>[0-9]{{1,10}})\s+(?P<method>{_TOKEN})")

# callid = word [ "@" word ]                                       (§25.1)
CALL_ID = re.compile(r"[!-~]+")

DIGITS = re.compile(r"[0-9]{1,10}")

# rfc1123-date = wkday "," SP date1 SP time SP "GMT"               (§25.1, RFC 2616 §3.3.1)
# Also accepted: a missing weekday and "UTC"/"UT" for "GMT".
RFC1123_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(?P<day>[0-9]{1,2})\s+(?P<month>[A-Za-z]{3})\s+(?P<year>[0-9]{4})\s+"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})\s+(?:GMT|UTC|UT)"
)
