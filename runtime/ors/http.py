"""`<session:fetch>` over real HTTP, with aiohttp.

`fetch_now(request, fetch, clock)` performs the request and completes it with
`session.fetch.done{content, hints}` (`content` is the body as text; `hints`
holds `status` and the response headers) or `error.session.fetch` with
`error` = `http.<status>`, `http.timeout` or `http.error`, and, when `type`
names a content type the response does not have, `http.typemismatch`.

Parameters go in the query string for GET, as a form body for POST with the
form encoding, and as JSON for `application/json` or `method="esp"`; a
`<content>` body is sent as it is. On a running event loop (the session server)
the request runs as a task; without one (a simulation on a virtual clock) it
runs to completion at once, while virtual time stands still.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ..clock import Clock
from .requests import Request
from .services import FetchRequest

__all__ = ["fetch_now"]


def fetch_now(request: Request, fetch: FetchRequest, clock: Clock) -> None:
    """Start the HTTP request; `request` completes through `clock`."""

    def complete(outcome: tuple[bool, dict[str, Any]]) -> None:
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
    task.add_done_callback(lambda done: complete(done.result()))


async def perform(fetch: FetchRequest) -> tuple[bool, dict[str, Any]]:
    """Run one fetch: (True, done data) or (False, error data)."""
    import aiohttp

    method = "post" if fetch.method == "esp" else fetch.method
    options: dict[str, Any] = {"headers": dict(fetch.headers)}
    params = {k: _form_value(v) for k, v in fetch.params.items()}
    if fetch.content is not None:
        options["data"] = fetch.content
        if params:
            options["params"] = params
    elif method in ("get", "delete", "head"):
        options["params"] = params
    elif fetch.method == "esp" or "json" in fetch.enctype:
        options["json"] = fetch.params
    else:
        options["data"] = params
    timeout = aiohttp.ClientTimeout(total=fetch.timeout)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as client:
            async with client.request(method.upper(), fetch.url, **options) as response:
                text = await response.text()
                hints = {"status": response.status, **dict(response.headers)}
                if not 200 <= response.status < 300:
                    return False, _error(
                        f"http.{response.status}", f"{fetch.url}: {response.reason}"
                    )
                if fetch.type and not response.content_type.startswith(
                    fetch.type.split(";")[0]
                ):
                    return False, _error(
                        "http.typemismatch",
                        f"{fetch.url} answered {response.content_type}, not {fetch.type}",
                    )
                return True, {"content": text, "hints": hints}
    except asyncio.TimeoutError:
        return False, _error(
            "http.timeout", f"{fetch.url}: no answer within {fetch.timeout:g}s"
        )
    except aiohttp.ClientError as error:
        return False, _error("http.error", f"{fetch.url}: {error}")


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "description": description}


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
