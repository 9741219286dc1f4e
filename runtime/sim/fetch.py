"""Scripted web services: how the simulator answers `<session:fetch>`.

A scenario's `fetch:` is a list of rules; the first rule that matches the
request answers it, on the center's clock, after its `delay`:

```yaml
fetch:
  - {url: "http://crm.example/customer/*", method: get, status: 200,
     body: {segment: gold}, headers: {X-Trace: abc}, delay: 0.5}
  - {prefix: "http://crm.example/", status: 503, body: "down for maintenance"}
```

- `url` is matched against the whole URL of the request (`srcexpr`, without
  the `<param>`s) and against that URL without its query string; `*` stands for
  any characters, everything else is literal. `prefix` matches URLs that start
  with it. A rule has exactly one of the two.
- `method` (optional) is the request's method, in any case (`get`, `post`,
  `esp`, ...); without it the rule answers every method.
- `status` (200 by default): 2xx answers `session.fetch.done{content, hints}`,
  any other `error.session.fetch` with `error="http.<status>"`.
- `body`: text is sent as it is (`text/plain`); any other YAML value (mapping,
  list, number, boolean, null) as its JSON text (`application/json`). A
  `Content-Type` in `headers` overrides the type. `hints` holds `status` and the
  headers, as for a real answer; a fetch whose `type` the answer's content type
  does not start with fails with `http.typemismatch`.
- `delay` (seconds of virtual time, 0 by default); a delay longer than the
  fetch's `timeout` fails with `http.timeout` when the timeout runs out.

The short form of earlier scenarios, a mapping of URL to answer
(`fetch: {"http://crm/api": {status: 200, body: {...}}}`), is read as `url`
rules in the mapping's order.

A fetch no rule matches fails at once (on the next turn of the clock) with
`error="http.error"` (as an unreachable service would), `url`, and a
`description` saying the URL was not scripted in the scenario: a simulation
never uses the network.

Scenario files are untrusted: `parse_rules` accepts only the keys above, only
plain YAML values (no dates, binary or sets), and bounds sizes (`MAX_RULES`,
`MAX_BODY_BYTES`, `MAX_URL_CHARS`, `MAX_HEADERS`, `MAX_DELAY`, nesting and node
counts); every problem is a `RuleError` naming the rule and key.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ..ors.requests import Request
from ..ors.services import FetchRequest

if TYPE_CHECKING:
    from .center import ContactCenter

__all__ = [
    "MAX_BODY_BYTES",
    "FetchRule",
    "RuleError",
    "ScriptedWeb",
    "parse_rules",
]

MAX_RULES: Final = 1000
MAX_BODY_BYTES: Final = 1 << 20
"""A body's text (or JSON text) is at most 1 MiB, in UTF-8."""
MAX_URL_CHARS: Final = 2048
MAX_HEADERS: Final = 100
MAX_HEADER_CHARS: Final = 8192
MAX_DELAY: Final = 86_400.0
MAX_DEPTH: Final = 64
MAX_NODES: Final = 100_000
"""Values in a body at most (YAML aliases can make a small file a huge value)."""

_KEYS: Final = frozenset(
    {"url", "prefix", "method", "status", "body", "headers", "delay"}
)
_ANSWER_KEYS: Final = _KEYS - {"url", "prefix"}
_TOKEN: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class RuleError(ValueError):
    """A fetch rule that cannot be read: `where` names the rule and key."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True, slots=True)
class FetchRule:
    """One scripted answer: what it matches and what it answers."""

    url: str | None = None
    prefix: str | None = None
    method: str | None = None
    status: int = 200
    content: str = ""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def matches(self, method: str, url: str) -> bool:
        """Whether this rule answers a `method` request for `url`."""
        if self.method is not None and self.method != method:
            return False
        if self.prefix is not None:
            return url.startswith(self.prefix)
        assert self.url is not None
        bare = url.split("?", 1)[0]
        return _glob(self.url, url) or (bare != url and _glob(self.url, bare))

    def describe(self) -> str:
        """The rule as a person would name it (`prefix http://crm/`)."""
        pattern = f"url {self.url}" if self.url is not None else f"prefix {self.prefix}"
        return pattern if self.method is None else f"{self.method} {pattern}"


def _glob(pattern: str, text: str) -> bool:
    """`*` in `pattern` stands for any characters; the rest must match exactly."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    first, *middle, last = parts
    if not text.startswith(first) or not text[len(first) :].endswith(last):
        return False
    position = len(first)
    end = len(text) - len(last)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return position <= end


# -- reading rules ------------------------------------------------------------------


def parse_rules(raw: Any, where: str = "fetch") -> list[FetchRule]:
    """The rules of a scenario's `fetch:` value (a list of rules, or the short
    form's mapping of URL to answer); raises `RuleError`."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        entries = [
            _short_form(url, answer, f"{where}[{url!r}]") for url, answer in raw.items()
        ]
    elif isinstance(raw, list):
        entries = list(raw)
    else:
        raise RuleError(where, "expected a list of rules")
    if len(entries) > MAX_RULES:
        raise RuleError(where, f"more than {MAX_RULES} rules")
    return [_rule(entry, f"{where}[{index}]") for index, entry in enumerate(entries)]


def _short_form(url: Any, answer: Any, where: str) -> dict[str, Any]:
    """A rule from the short form's `URL: answer` entry."""
    if answer is None:
        answer = {}
    if not isinstance(answer, dict):
        raise RuleError(where, "expected a mapping of status, body, headers, delay")
    unknown = sorted(str(k) for k in answer if k not in _ANSWER_KEYS)
    if unknown:
        raise RuleError(where, f"unknown key {unknown[0]!r}")
    return {**answer, "url": url}


def _rule(entry: Any, where: str) -> FetchRule:
    if not isinstance(entry, dict):
        raise RuleError(where, "expected a mapping with 'url' or 'prefix'")
    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        raise RuleError(
            where,
            f"unknown key {unknown[0]!r} (one of {', '.join(sorted(_KEYS))})",
        )
    patterns = [key for key in ("url", "prefix") if key in entry]
    if len(patterns) != 1:
        raise RuleError(where, "needs exactly one of 'url' and 'prefix'")
    pattern = _url(entry[patterns[0]], f"{where}.{patterns[0]}")
    content, content_type = _body(entry.get("body", ""), f"{where}.body")
    headers = _headers(entry.get("headers"), f"{where}.headers")
    for name, value in headers.items():
        if name.lower() == "content-type":
            content_type = value
    return FetchRule(
        url=pattern if patterns[0] == "url" else None,
        prefix=pattern if patterns[0] == "prefix" else None,
        method=_method(entry.get("method"), f"{where}.method"),
        status=_status(entry.get("status", 200), f"{where}.status"),
        content=content,
        content_type=content_type,
        headers=headers,
        delay=_delay(entry.get("delay", 0), f"{where}.delay"),
    )


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RuleError(where, "expected a URL (text)")
    if len(value) > MAX_URL_CHARS:
        raise RuleError(where, f"longer than {MAX_URL_CHARS} characters")
    return value


def _method(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _TOKEN.match(value) or len(value) > 32:
        raise RuleError(where, f"not an HTTP method: {value!r}")
    return value.lower()


def _status(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise RuleError(
            where, f"expected an HTTP status from 100 to 599, got {value!r}"
        )
    return value


def _delay(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleError(where, f"expected a number of seconds, got {value!r}")
    if not 0 <= value <= MAX_DELAY:
        raise RuleError(where, f"expected 0 to {MAX_DELAY:g} seconds, got {value!r}")
    return float(value)


def _headers(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleError(where, "expected a mapping of header names to values")
    if len(value) > MAX_HEADERS:
        raise RuleError(where, f"more than {MAX_HEADERS} headers")
    headers: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise RuleError(where, f"not a header name: {name!r}")
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise RuleError(f"{where}.{name}", "expected text or a number")
        text = str(raw)
        if len(text) > MAX_HEADER_CHARS or any(c in text for c in "\r\n\0"):
            raise RuleError(
                f"{where}.{name}",
                f"a header value is one line of at most {MAX_HEADER_CHARS} characters",
            )
        headers[name] = text
    return headers


def _body(value: Any, where: str) -> tuple[str, str]:
    """The body's text and content type: text as it is, other values as JSON."""
    if isinstance(value, str):
        text, content_type = value, "text/plain"
    else:
        _check_plain(value, where, 0, [0])
        text, content_type = json.dumps(value, ensure_ascii=False), "application/json"
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise RuleError(where, f"larger than {MAX_BODY_BYTES} bytes")
    return text, content_type


def _check_plain(value: Any, where: str, depth: int, count: list[int]) -> None:
    """Raise `RuleError` unless `value` is plain JSON data within the limits."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise RuleError(where, f"more than {MAX_NODES} values")
    if depth > MAX_DEPTH:
        raise RuleError(where, f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RuleError(where, f"{value!r} has no JSON form")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]", depth + 1, count)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RuleError(where, f"a key is not text: {key!r}")
            _check_plain(item, f"{where}.{key}", depth + 1, count)
        return
    raise RuleError(where, f"{_kind(value)} is not JSON data")


def _kind(value: Any) -> str:
    """What a YAML value that JSON lacks is, for messages."""
    if isinstance(value, (datetime.date, datetime.time)):
        return "a date or time (quote it to send it as text)"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return f"a {type(value).__name__} value"


# -- answering ------------------------------------------------------------------------


class ScriptedWeb:
    """The simulator's web: answers fetches from the scenario's rules only."""

    def __init__(self, center: ContactCenter) -> None:
        self.center = center

    def fetch(self, request: Request, fetch: FetchRequest) -> None:
        """Answer `fetch` from the first matching rule, or fail it at once."""
        rule = next(
            (r for r in self.center.config.fetch if r.matches(fetch.method, fetch.url)),
            None,
        )
        if rule is None:
            self._unscripted(request, fetch)
            return
        outcome, delay = self._outcome(rule, fetch)
        if self.center.tracing:
            self.center.trace(
                "fetch",
                f"{fetch.method.upper()} {fetch.url} -> {rule.status} "
                f"(scenario: {rule.describe()})",
            )
        self.center.later(lambda: outcome(request), delay)

    def _unscripted(self, request: Request, fetch: FetchRequest) -> None:
        description = (
            f"{fetch.method.upper()} {fetch.url} was not scripted in the scenario "
            "(no fetch rule matches it; a simulation never uses the network)"
        )
        self.center.trace("fetch", description)
        self.center.later(
            lambda: request.fail("http.error", description, url=fetch.url)
        )

    def _outcome(
        self, rule: FetchRule, fetch: FetchRequest
    ) -> tuple[Callable[[Request], None], float]:
        """How the request completes, and after how many seconds."""
        if rule.delay > fetch.timeout:
            description = f"{fetch.url}: no answer within {fetch.timeout:g}s"
            return _failing("http.timeout", description), fetch.timeout
        if not 200 <= rule.status < 300:
            description = f"{fetch.url} answered {rule.status}"
            return _failing(f"http.{rule.status}", description), rule.delay
        wanted = fetch.type.split(";")[0].strip().lower()
        if wanted and not rule.content_type.lower().startswith(wanted):
            description = f"{fetch.url} answered {rule.content_type}, not {fetch.type}"
            return _failing("http.typemismatch", description), rule.delay
        hints: dict[str, Any] = {
            "status": rule.status,
            "Content-Type": rule.content_type,
        }
        hints.update(rule.headers)
        content = rule.content
        return (lambda request: request.done(content=content, hints=hints)), rule.delay


def _failing(error: str, description: str) -> Callable[[Request], None]:
    return lambda request: request.fail(error, description)
