"""`<session:fetch>` over real HTTP, with aiohttp.

`fetch_now(request, fetch, clock)` performs the request and completes it with
`session.fetch.done{content, hints}` (`content` is the body as text; `hints`
holds `status` and the response headers, a header given twice joined with
`, `) or `error.session.fetch` with `error` = `http.<status>` for an answer
other than 2xx, `http.timeout` when none comes within `timeout` seconds,
`http.typemismatch` when `type` names a content type the response does not
have, and `http.error` for anything else (refused connection, bad URL, a body
that is not text).

Parameters go in the query string for GET (and DELETE, HEAD), as a form body
for POST with the form encoding, and as JSON for `application/json` or
`method="esp"`; a `<content>` body is sent as it is, with `enctype` as its
content type. On a running event loop (the session server) the request runs as
a task, which the module keeps until it ends; without one (a simulation on a
virtual clock) it runs to completion at once, while virtual time stands still.
Either way the outcome reaches the session through `clock`, never inside the
action.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

from ..clock import Clock
from .api import as_text
from .plain import plain
from .requests import Request
from .services import FetchRequest

__all__ = ["fetch_now", "perform"]

Outcome = tuple[bool, dict[str, Any]]
"""(True, done data) or (False, error data with `error` and `description`)."""

_TASKS: Final[set[asyncio.Task[Outcome]]] = set()
"""Fetches under way on a running loop (asyncio keeps only weak references)."""


def fetch_now(request: Request, fetch: FetchRequest, clock: Clock) -> None:
    """Start the HTTP request; `request` completes through `clock`."""

    def complete(outcome: Outcome) -> None:
        succeeded, data = outcome
        if succeeded:
            clock.call_later(0.0, lambda: request.done(**data))
        else:
            clock.call_later(0.0, lambda: request.fail(data.pop("error"), **data))

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        complete(asyncio.run(perform(fetch)))
        return
    task = loop.create_task(perform(fetch))
    _TASKS.add(task)

    def finished(done: asyncio.Task[Outcome]) -> None:
        _TASKS.discard(done)
        if not done.cancelled():  # the loop is shutting down otherwise
            complete(done.result())

    task.add_done_callback(finished)


async def perform(fetch: FetchRequest) -> Outcome:
    """Run one fetch: (True, done data) or (False, error data). Never raises,
    but for cancellation."""
    method = "post" if fetch.method == "esp" else fetch.method
    try:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=fetch.timeout)
        options = _options(fetch, method)
        async with aiohttp.ClientSession(timeout=timeout) as client:
            async with client.request(method.upper(), fetch.url, **options) as response:
                return _outcome(fetch, response, await response.text())
    except asyncio.TimeoutError:
        return False, _error(
            "http.timeout", f"{fetch.url}: no answer within {fetch.timeout:g}s"
        )
    except Exception as error:  # noqa: BLE001 - every failure is the error event
        reason = str(error) or type(error).__name__
        return False, _error("http.error", f"{fetch.url}: {reason}")


def _options(fetch: FetchRequest, method: str) -> dict[str, Any]:
    """The keyword arguments of the aiohttp request: headers, params, body."""
    headers = dict(fetch.headers)
    options: dict[str, Any] = {"headers": headers}
    params = {k: _form_value(v) for k, v in fetch.params.items()}
    if fetch.content is not None:
        options["data"] = fetch.content.encode("utf-8")
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = fetch.enctype
        if params:
            options["params"] = params
    elif method in ("get", "delete", "head"):
        options["params"] = params
    elif fetch.method == "esp" or "json" in fetch.enctype:
        options["json"] = plain(fetch.params)
    else:
        options["data"] = params
    return options


def _outcome(fetch: FetchRequest, response: Any, text: str) -> Outcome:
    """Done with the body and hints, or the error the answer makes."""
    if not 200 <= response.status < 300:
        return False, _error(
            f"http.{response.status}",
            f"{fetch.url} answered {response.status} {response.reason or ''}".rstrip(),
        )
    wanted = fetch.type.split(";")[0].strip().lower()
    if wanted and not response.content_type.lower().startswith(wanted):
        return False, _error(
            "http.typemismatch",
            f"{fetch.url} answered {response.content_type}, not {fetch.type}",
        )
    return True, {"content": text, "hints": _hints(response)}


def _hints(response: Any) -> dict[str, Any]:
    """`status` and the response headers (a header given twice joined by `, `)."""
    hints: dict[str, Any] = {"status": response.status}
    for key in response.headers.keys():
        if key not in hints:
            hints[key] = ", ".join(response.headers.getall(key))
    return hints


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "description": description}


def _form_value(value: Any) -> str:
    """A parameter as query or form text: objects and arrays as JSON, null and
    undefined as the empty string."""
    value = plain(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return as_text(value)
