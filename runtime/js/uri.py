"""The global URI functions of compiled ECMAScript: `encodeURIComponent`,
`encodeURI`, their `decode...` inverses, and the legacy `escape` / `unescape`.

Encoding writes UTF-8 bytes as `%XX`; decoding reads them back strictly, so a
malformed sequence is a URIError, as in JavaScript. Each function takes
(this, value) and ignores further arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

from .values import JSError, to_string, undefined

__all__ = ["URI_FUNCTIONS"]

_UNRESERVED: Final = "-_.!~*'()"
_RESERVED: Final = ";/?:@&=+$,#"


def _encode(text: str, safe: str) -> str:
    try:
        return quote(text, safe=safe, encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        raise JSError("URIError: URI malformed (a lone surrogate)") from None


_ESCAPES: Final = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode(text: str, keep: str) -> str:
    """Decode runs of `%XX` as UTF-8; characters in `keep` stay escaped."""
    if "%" in _ESCAPES.sub("", text):
        raise JSError("URIError: URI malformed")

    def decode(run: re.Match[str]) -> str:
        escaped = run.group(0)
        data = bytes(int(escaped[i + 1 : i + 3], 16) for i in range(0, len(escaped), 3))
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JSError("URIError: URI malformed") from None
        if not keep:
            return decoded
        return "".join(quote(c, safe="") if c in keep else c for c in decoded)

    return _ESCAPES.sub(decode, text)


_ESCAPE_SAFE: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@*_+-./"
)


def _escape(text: str) -> str:
    """`escape`: %XX below 256, %uXXXX above, except letters, digits and @*_+-./."""
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPE_SAFE:
            out.append(char)
        elif code < 256:
            out.append(f"%{code:02X}")
        else:
            out.append(f"%u{code:04X}")
    return "".join(out)


_UNESCAPES: Final = re.compile(r"%u([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})")


def _unescape(text: str) -> str:
    return _UNESCAPES.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _text(function: Callable[[str], str]) -> Callable[..., str]:
    def apply(this: Any, value: Any = undefined, *_: Any) -> str:
        return function(to_string(value))

    return apply


URI_FUNCTIONS: Final[dict[str, Callable[..., str]]] = {
    "encodeURIComponent": _text(lambda s: _encode(s, _UNRESERVED)),
    "encodeURI": _text(lambda s: _encode(s, _UNRESERVED + _RESERVED)),
    "decodeURIComponent": _text(lambda s: _decode(s, "")),
    "decodeURI": _text(lambda s: _decode(s, _RESERVED)),
    "escape": _text(_escape),
    "unescape": _text(_unescape),
}
"""The URI functions, as (this, value) implementations."""
