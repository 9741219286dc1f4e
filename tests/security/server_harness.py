"""A session server on loopback for the attack tests, and a client of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import yaml

import scxmlc
from scxmlc.runtime import Machine
from scxmlc.runtime.ors.server import SessionServer
from scxmlc.runtime.sim import parse_scenario
from scxmlc.runtime.sim.serving import play_timeline, simulated_server

LIMIT = 20.0
"""Seconds a wait may last; it only stops a test that hangs."""

NS = (
    'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'xmlns:queue="http://www.genesyslab.com/modules/queue" '
    'xmlns:session="http://www.genesyslab.com/modules/session"'
)


def compiled(tmp_path: Path, source: str, name: str) -> type[Machine]:
    """The class of the document `source` (`{ns}`: the namespaces), saved as `name`."""
    path = tmp_path / f"{name}.scxml"
    path.write_text(source.replace("{ns}", NS), encoding="utf-8")
    cls: type[Machine] = scxmlc.load(path)
    return cls


class Client:
    """An aiohttp client of one server: `status, body = await call(...)`."""

    def __init__(self, server: SessionServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http

    async def call(self, method: str, path: str, **request: Any) -> tuple[int, Any]:
        """(status, body): JSON decoded when the answer is JSON, else text."""
        url = path if path.startswith("http") else self.server.url + path
        async with self.http.request(method, url, **request) as answer:
            if answer.content_type == "application/json":
                return answer.status, await answer.json()
            return answer.status, await answer.text()

    async def start(self, **fields: Any) -> str:
        status, body = await self.call("POST", "/scxml/session/start", data=fields)
        assert status == 200, body
        sessionid: str = body["sessionid"]
        return sessionid

    async def query(self, sessionid: str) -> dict[str, Any]:
        status, body = await self.call("GET", f"/scxml/session/{sessionid}/query")
        assert status == 200, body
        result: dict[str, Any] = body
        return result

    async def until(self, sessionid: str, states: list[str]) -> dict[str, Any]:
        """The session's query once its configuration is `states` (or LIMIT)."""
        deadline = time.monotonic() + LIMIT
        query = await self.query(sessionid)
        while query["configuration"] != states and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            query = await self.query(sessionid)
        return query


@asynccontextmanager
async def serving(
    applications: dict[str, type[Machine]],
    scenario: str | None = None,
    **options: Any,
) -> AsyncIterator[Client]:
    """A server whose resolver knows `applications` by name (the first one
    provisioned at the scenario's routing points), and a client of it."""

    def resolve(uri: str, base: str) -> type[Machine]:
        return applications[uri]

    parsed = None
    if scenario is not None:
        parsed = parse_scenario(yaml.safe_load(scenario), Path("scenario.yaml"))
    server = simulated_server(
        resolve, config=None if parsed is None else parsed.config, **options
    )
    if parsed is not None:
        first = next(iter(applications.values()))
        for dn in parsed.config.dns.values():
            if dn.type == "RoutingPoint":
                server.platform.provision(dn.number, first)
    async with server, aiohttp.ClientSession() as http:
        if parsed is not None:
            play_timeline(server.platform, parsed.timeline)
        yield Client(server, http)


async def only_session(client: Client) -> str:
    """The id of the one session the platform runs, once it runs one."""
    platform = client.server.platform
    deadline = time.monotonic() + LIMIT
    while not platform.sessions and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    (sessionid,) = platform.sessions
    return sessionid
