"""The ORS session server: its REST API, `<session:response>`, Basic HTTP on the
same port, `<session:fetch>` over real HTTP, and `scxmlc serve`.

Servers listen on port 0 inside the test; clients are aiohttp clients on the
same loop. Waits end when what they wait for happens; their limits only stop a
test that hangs.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

import scxmlc
from scxmlc.runtime import Machine, VirtualClock
from scxmlc.runtime.ors import Platform
from scxmlc.runtime.ors.plain import plain
from scxmlc.runtime.ors.server import SessionServer
from scxmlc.runtime.sim import Config, ContactCenter, parse_scenario
from scxmlc.runtime.sim.serving import simulated_server

LIMIT = 20.0

NS = (
    'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'xmlns:session="http://www.genesyslab.com/modules/session"'
)

ACCOUNT = f"""<scxml {NS} datamodel="ecmascript" name="account" initial="open">
  <datamodel>
    <data id="customer" expr="'nobody'"/>
    <data id="balance" expr="0"/>
    <data id="history" expr="[]"/>
    <data id="access" expr="_ioprocessors['basichttp'].location"/>
    <data id="nothing"/>
  </datamodel>
  <state id="open">
    <transition event="deposit">
      <assign location="balance" expr="balance + Number(_event.data.amount)"/>
      <script>history.push({{amount: _event.data.amount, note: _event.data.note}})</script>
    </transition>
    <transition event="statement">
      <session:response requestid="_event.data.requestid">
        <param name="customer" expr="customer"/>
        <param name="balance" expr="balance"/>
        <param name="asked" expr="_event.data.who"/>
      </session:response>
    </transition>
    <transition event="greeting">
      <session:response requestid="_event.data.requestid">
        <content expr="'hello ' + customer"/>
      </session:response>
    </transition>
    <transition event="ignore"/>
    <transition event="close" target="closed"/>
    <transition event="poke" target="poked"/>
  </state>
  <state id="poked"/>
  <final id="closed"/>
</scxml>
"""


def compiled(tmp_path: Path, source: str, name: str) -> type[Machine]:
    path = tmp_path / f"{name}.scxml"
    path.write_text(source, encoding="utf-8")
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


@asynccontextmanager
async def serving(
    applications: dict[str, type[Machine]], **options: Any
) -> AsyncIterator[Client]:
    """A server whose resolver knows `applications` by name, and a client."""

    def resolve(uri: str, base: str) -> type[Machine]:
        return applications[uri]

    server = simulated_server(resolve, **options)
    async with server, aiohttp.ClientSession() as http:
        yield Client(server, http)


def run(scenario: Callable[[Client], Awaitable[Any]], **kwargs: Any) -> Any:
    """Run `scenario` against a server of `applications` (kwargs: options)."""
    applications = kwargs.pop("applications")

    async def main() -> Any:
        async with serving(applications, **kwargs) as client:
            return await scenario(client)

    return asyncio.run(main())


# -- the REST API --------------------------------------------------------------------


def test_start_with_a_parameter_send_an_event_and_query(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")
    before = time.time()

    async def scenario(client: Client) -> tuple[dict[str, Any], list[Any]]:
        sessionid = await client.start(src="account", customer="Ann", unknown="x")
        answers = [
            await client.call(
                "POST",
                f"/scxml/session/{sessionid}/event/deposit?amount=5",
                data={"note": "cash"},
            ),
            await client.call(
                "POST",
                f"/scxml/session/{sessionid}/event/deposit",
                json={"amount": 7, "note": {"kind": "cheque", "ids": [1, 2]}},
            ),
        ]
        return await client.query(sessionid), answers

    query, answers = run(scenario, applications={"account": account})
    assert answers == [(204, ""), (204, "")]
    started = query.pop("started")
    assert before * 1000 - 1 <= started <= time.time() * 1000 + 1
    access = query["datamodel"].pop("access")
    assert access == f"{access.rsplit('/', 1)[0]}/{query['sessionid']}"
    assert query == {
        "sessionid": query["sessionid"],
        "application": "account",
        "running": True,
        "ended": None,
        "configuration": ["open"],
        "datamodel": {
            "customer": "Ann",
            "balance": 12,
            "history": [
                {"amount": "5", "note": "cash"},
                {"amount": 7, "note": {"kind": "cheque", "ids": [1, 2]}},
            ],
            "nothing": None,
        },
        "interactions": [],
    }


def test_request_waits_for_the_session_response(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> list[tuple[int, Any]]:
        sessionid = await client.start(src="account", customer="Bob")
        base = f"/scxml/session/{sessionid}"
        return [
            await client.call("POST", f"{base}/request/statement?who=teller"),
            await client.call("POST", f"{base}/request/greeting"),
        ]

    statement, greeting = run(scenario, applications={"account": account})
    assert statement == (200, {"customer": "Bob", "balance": 0, "asked": "teller"})
    assert greeting == (200, "hello Bob")


TELLER = f"""<scxml {NS} datamodel="python" name="teller" initial="idle">
  <datamodel><data id="n" expr="3"/></datamodel>
  <state id="idle">
    <transition event="ask">
      <session:response requestid="_event.data['requestid']">
        <param name="n" expr="n"/>
        <content expr="{{'a': [1, 2], 'n': 0}}"/>
      </session:response>
    </transition>
    <transition event="mixed">
      <session:response requestid="_event.data['requestid']">
        <param name="n" expr="n"/>
        <content expr="'text'"/>
      </session:response>
    </transition>
    <transition event="stale">
      <session:response requestid="'request-999'"/>
    </transition>
    <transition event="error.execution" target="broken"/>
  </state>
  <state id="broken"/>
</scxml>
"""


def test_params_add_to_object_content_and_a_stale_response_is_an_error(
    tmp_path: Path,
) -> None:
    teller = compiled(tmp_path, TELLER, "teller")

    async def scenario(client: Client) -> list[Any]:
        sessionid = await client.start(src="teller")
        base = f"/scxml/session/{sessionid}"
        asked = await client.call("POST", f"{base}/request/ask")
        stale = await client.call("POST", f"{base}/event/stale")
        after_stale = (await client.query(sessionid))["configuration"]
        other = await client.start(src="teller")
        mixed = await client.call("POST", f"/scxml/session/{other}/request/mixed")
        return [asked, stale, after_stale, mixed[0], (await client.query(other))]

    asked, stale, after_stale, mixed, query = run(
        scenario, applications={"teller": teller}, request_timeout=0.5
    )
    assert asked == (200, {"a": [1, 2], "n": 3})
    assert (stale, after_stale) == ((204, ""), ["broken"])
    # params with string content: error.execution, and no answer
    assert (mixed, query["configuration"]) == (504, ["broken"])


def test_a_request_without_a_response_times_out_with_504(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> tuple[tuple[int, Any], tuple[int, Any]]:
        sessionid = await client.start(src="account")
        base = f"/scxml/session/{sessionid}"
        ignored = await client.call("POST", f"{base}/request/ignore")
        # the session still answers later requests
        return ignored, await client.call("POST", f"{base}/request/greeting")

    ignored, greeting = run(
        scenario, applications={"account": account}, request_timeout=0.2
    )
    status, body = ignored
    assert status == 504
    assert body["error"] == "timeout"
    assert greeting == (200, "hello nobody")


def test_a_request_to_a_session_that_ends_instead_is_404(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> tuple[int, Any]:
        sessionid = await client.start(src="account")
        return await client.call("POST", f"/scxml/session/{sessionid}/request/close")

    status, body = run(scenario, applications={"account": account})
    assert status == 404
    assert body["error"] == "sessionended"


def test_terminate_ends_the_session_and_query_still_tells(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> list[Any]:
        sessionid = await client.start(src="account")
        base = f"/scxml/session/{sessionid}"
        terminated = await client.call("POST", f"{base}/terminate")
        query = await client.query(sessionid)
        return [
            sessionid,
            terminated,
            (query["running"], query["ended"] is not None, query["configuration"]),
            await client.call("POST", f"{base}/event/deposit"),
            await client.call("POST", f"{base}/terminate"),
        ]

    sessionid, terminated, query, event, again = run(
        scenario, applications={"account": account}
    )
    assert terminated == (200, {"sessionid": sessionid})
    assert query == (False, True, ["open"])
    assert event == (
        404,
        {"error": "notfound", "description": f"session {sessionid} has ended"},
    )
    assert again[0] == 404


def test_unknown_sessions_are_404(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> list[tuple[int, Any]]:
        base = "/scxml/session/nosuchsession"
        return [
            await client.call("POST", f"{base}/event/deposit"),
            await client.call("POST", f"{base}/request/statement"),
            await client.call("POST", f"{base}/terminate"),
            await client.call("GET", f"{base}/query"),
        ]

    answers = run(scenario, applications={"account": account})
    assert [status for status, _ in answers] == [404, 404, 404, 404]
    assert answers[0][1] == {
        "error": "notfound",
        "description": "session nosuchsession does not exist",
    }
    assert answers[3][1] == {
        "error": "notfound",
        "description": "no session nosuchsession",
    }


@pytest.mark.parametrize(
    ("request_args", "error"),
    [
        ({"data": {"customer": "Ann"}}, "missingparameter"),
        ({"data": {"src": ""}}, "missingparameter"),
        ({"data": {"src": "elsewhere"}}, "invalidsrc"),
        ({"data": {"src": "account", "idealtime": "soon"}}, "invalidparameter"),
        ({"json": ["account"]}, "invalidparameter"),
        (
            {"data": b"{src", "headers": {"Content-Type": "application/json"}},
            "invalidparameter",
        ),
        (
            {"data": b"src=account", "headers": {"Content-Type": "text/plain"}},
            "invalidparameter",
        ),
    ],
    ids=[
        "no-src",
        "empty-src",
        "unknown-src",
        "bad-idealtime",
        "json-array",
        "bad-json",
        "text-body",
    ],
)
def test_bad_starts_are_400(
    tmp_path: Path, request_args: dict[str, Any], error: str
) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> tuple[int, Any]:
        return await client.call("POST", "/scxml/session/start", **request_args)

    status, body = run(scenario, applications={"account": account})
    assert status == 400
    assert body["error"] == error
    assert isinstance(body["description"], str) and body["description"]


def test_start_takes_json_parameters_and_a_later_idealtime(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")
    later = int((time.time() + 3600) * 1000)

    async def scenario(client: Client) -> dict[str, Any]:
        status, body = await client.call(
            "POST",
            "/scxml/session/start",
            json={"src": "account", "balance": 40, "idealtime": later},
        )
        assert status == 200, body
        sessionid = body["sessionid"]
        queued = await client.call(
            "POST", f"/scxml/session/{sessionid}/event/deposit", data={"amount": "2"}
        )
        assert queued == (204, "")
        return await client.query(sessionid)

    query = run(scenario, applications={"account": account})
    # not started yet: no configuration, data not initialised, event waiting
    assert (query["running"], query["started"], query["configuration"]) == (
        False,
        None,
        [],
    )


def test_routing_errors_are_json_and_help_lists_the_api(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> list[tuple[int, Any]]:
        return [
            await client.call("GET", "/scxml/session/start"),
            await client.call("GET", "/no/such/path"),
            await client.call("GET", "/ors/help"),
        ]

    wrong_method, no_path, help_ = run(scenario, applications={"account": account})
    assert wrong_method == (
        405,
        {
            "error": "methodnotallowed",
            "description": "GET /scxml/session/start: not allowed (allowed: POST)",
        },
    )
    assert no_path[0] == 404 and no_path[1]["error"] == "notfound"
    assert help_[0] == 200
    assert [(m["method"], m["path"]) for m in help_[1]["methods"]] == [
        ("POST", "/scxml/session/start"),
        ("POST", "/scxml/session/{id}/terminate"),
        ("POST", "/scxml/session/{id}/event/{name}"),
        ("POST", "/scxml/session/{id}/request/{name}"),
        ("GET", "/scxml/session/{id}/query"),
        ("GET", "/ors/help"),
        ("POST", "/scxml/{id}"),
    ]


def test_the_basic_http_location_of_a_served_session_works(tmp_path: Path) -> None:
    account = compiled(tmp_path, ACCOUNT, "account")

    async def scenario(client: Client) -> tuple[str, tuple[int, Any], list[str]]:
        sessionid = await client.start(src="account")
        access = (await client.query(sessionid))["datamodel"]["access"]
        posted = await client.call(
            "POST", access, data={"_scxmleventname": "poke", "x": "1"}
        )
        return access, posted, (await client.query(sessionid))["configuration"]

    access, posted, configuration = run(scenario, applications={"account": account})
    assert access.startswith("http://127.0.0.1:")
    assert posted == (204, "")
    assert configuration == ["poked"]


SCENARIO = """
dns: [{number: "5000", type: RoutingPoint}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", ani: "+15550100"}}
"""

ANSWERING = f"""<scxml {NS} datamodel="ecmascript" name="answering" initial="waiting">
  <state id="waiting">
    <transition event="interaction.present" target="present"/>
  </state>
  <state id="present"/>
</scxml>
"""


def test_a_scenario_timeline_plays_in_real_time(tmp_path: Path) -> None:
    from scxmlc.runtime.sim.serving import play_timeline

    import yaml

    answering = compiled(tmp_path, ANSWERING, "answering")
    scenario = parse_scenario(yaml.safe_load(SCENARIO), tmp_path / "s.yaml")

    async def main() -> dict[str, Any]:
        server = simulated_server(None, config=scenario.config)
        server.platform.provision("5000", answering)
        async with server, aiohttp.ClientSession() as http:
            client = Client(server, http)
            play_timeline(server.platform, scenario.timeline)
            deadline = time.monotonic() + LIMIT
            while not server.platform.sessions and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            (sessionid,) = server.platform.sessions
            while time.monotonic() < deadline:
                query = await client.query(sessionid)
                if query["configuration"] == ["present"]:
                    return query
                await asyncio.sleep(0.01)
            return query

    query = asyncio.run(main())
    assert query["configuration"] == ["present"]
    [interaction] = query["interactions"]
    assert interaction["g_uid"] == "c1"
    assert interaction["ani"] == "+15550100"
    assert interaction["udata"] == {"OP-Session-ID": query["sessionid"]}


# -- <session:fetch> over real HTTP ------------------------------------------------------

FETCHER = f"""<scxml {NS} datamodel="ecmascript" name="fetcher" initial="idle">
  <datamodel>
    <data id="url" expr="''"/>
    <data id="method" expr="'get'"/>
    <data id="enctype" expr="'application/x-www-form-urlencoded'"/>
    <data id="type" expr="''"/>
    <data id="body"/>
    <data id="wait" expr="10"/>
    <data id="asker" expr="''"/>
    <data id="result" expr="null"/>
  </datamodel>
  <state id="idle">
    <transition event="fetch" target="fetching">
      <assign location="asker" expr="_event.data.requestid || ''"/>
      <assign location="url" expr="_event.data.url"/>
      <assign location="method" expr="_event.data.method || 'get'"/>
      <assign location="enctype" expr="_event.data.enctype || enctype"/>
      <assign location="type" expr="_event.data.type || ''"/>
      <assign location="body" expr="_event.data.body"/>
      <assign location="wait" expr="Number(_event.data.wait || 10)"/>
    </transition>
  </state>
  <state id="fetching">
    <onentry>
      <session:fetch srcexpr="url" method="method" enctype="enctype" type="type"
          timeout="wait">
        <param name="q" expr="'a b'"/>
        <param name="o" expr="({{n: 1, gone: undefined}})"/>
        <content expr="body"/>
      </session:fetch>
    </onentry>
    <transition event="session.fetch.done" target="answer">
      <assign location="result" expr="({{content: _event.data.content,
          status: _event.data.hints.status,
          type: _event.data.hints['Content-Type']}})"/>
    </transition>
    <transition event="error.session.fetch" target="answer">
      <assign location="result" expr="({{error: _event.data.error}})"/>
    </transition>
  </state>
  <state id="answer">
    <onentry>
      <if cond="asker">
        <session:response requestid="asker"><content expr="result"/></session:response>
      </if>
    </onentry>
    <transition target="idle"/>
  </state>
</scxml>
"""


async def _json(request: web.Request) -> web.Response:
    return web.json_response({"q": request.query.get("q"), "segment": "gold"})


async def _text(request: web.Request) -> web.Response:
    return web.Response(text="plain words")


async def _binary(request: web.Request) -> web.Response:
    return web.Response(body=b"\xff\xfe\xfa", content_type="text/plain")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(LIMIT)
    return web.Response(text="too late")


async def _echo(request: web.Request) -> web.Response:
    """What the request was: method, query, content type and the body, decoded."""
    text = await request.text()
    body: Any = text
    if request.content_type == "application/x-www-form-urlencoded":
        body = dict(parse_qsl(text))
    elif request.content_type == "application/json":
        body = json.loads(text)
    return web.json_response(
        {
            "method": request.method,
            "query": dict(request.query),
            "type": request.content_type if text else None,
            "body": body,
        }
    )


def web_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/json", _json)
    app.router.add_get("/text", _text)
    app.router.add_get("/binary", _binary)
    app.router.add_get("/slow", _slow)
    app.router.add_route("*", "/echo", _echo)
    return app


@asynccontextmanager
async def web_server() -> AsyncIterator[str]:
    """A local web server on the running loop; its base URL."""
    runner = web.AppRunner(web_app(), shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@contextmanager
def web_server_thread() -> Iterator[str]:
    """The same local web server, on a loop of its own in another thread."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(web_app(), shutdown_timeout=0.1)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(LIMIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(LIMIT)
        loop.close()


def fetch_in_the_server(tmp_path: Path, fields: dict[str, str]) -> Any:
    """The fetcher's result, asked for over `/request/fetch` of a served session."""
    fetcher = compiled(tmp_path, FETCHER, "fetcher")

    async def main() -> Any:
        async with (
            web_server() as base,
            serving({"fetcher": fetcher}, request_timeout=LIMIT) as client,
        ):
            sessionid = await client.start(src="fetcher")
            data = {**fields, "url": base + fields["url"]}
            status, result = await client.call(
                "POST", f"/scxml/session/{sessionid}/request/fetch", json=data
            )
            assert status == 200, result
            return result

    return asyncio.run(main())


def fetch_in_a_simulation(tmp_path: Path, fields: dict[str, str]) -> Any:
    """The fetcher's result in a session on a virtual clock, with no event loop,
    on a center that allows the network (a simulation of a scenario never does)."""
    fetcher = compiled(tmp_path, FETCHER, "fetcher")
    clock = VirtualClock()
    center = ContactCenter(Config(network=True), clock)
    platform = Platform(center, clock)
    center.attach(platform)
    with web_server_thread() as base:
        session = platform.start_session(fetcher)
        session.deliver("fetch", {**fields, "url": base + fields["url"]})
        clock.run_until_idle()
    assert session.machine.configuration == {"idle"}
    return plain(session.machine.dm["result"])


FETCHES = [
    (
        {"url": "/json", "type": "application/json"},
        {
            "content": '{"q": "a b", "segment": "gold"}',
            "status": 200,
            "type": "application/json; charset=utf-8",
        },
    ),
    (
        {"url": "/text"},
        {"content": "plain words", "status": 200, "type": "text/plain; charset=utf-8"},
    ),
    ({"url": "/missing"}, {"error": "http.404"}),
    ({"url": "/text", "type": "application/json"}, {"error": "http.typemismatch"}),
    ({"url": "/slow", "wait": "0.2"}, {"error": "http.timeout"}),
    ({"url": "/binary"}, {"error": "http.error"}),
]
FETCH_IDS = ["json", "text", "404", "typemismatch", "timeout", "not-text"]

HOW = [fetch_in_the_server, fetch_in_a_simulation]
HOW_IDS = ["server", "simulation"]


@pytest.mark.parametrize("fetch", HOW, ids=HOW_IDS)
@pytest.mark.parametrize(("fields", "expected"), FETCHES, ids=FETCH_IDS)
def test_fetch_outcomes(
    tmp_path: Path,
    fetch: Callable[[Path, dict[str, str]], Any],
    fields: dict[str, str],
    expected: dict[str, Any],
) -> None:
    assert fetch(tmp_path, fields) == expected


PARAMS = {"q": "a b", "o": '{"n": 1}'}
"""The fetcher's `<param>`s as query or form fields (undefined left out)."""

REQUESTS = [
    ({}, {"method": "GET", "query": PARAMS, "type": None, "body": ""}),
    (
        {"method": "post"},
        {
            "method": "POST",
            "query": {},
            "type": "application/x-www-form-urlencoded",
            "body": PARAMS,
        },
    ),
    (
        {"method": "post", "enctype": "application/json"},
        {
            "method": "POST",
            "query": {},
            "type": "application/json",
            "body": {"q": "a b", "o": {"n": 1}},
        },
    ),
    (
        {"method": "esp"},
        {
            "method": "POST",
            "query": {},
            "type": "application/json",
            "body": {"q": "a b", "o": {"n": 1}},
        },
    ),
    (
        {"method": "put", "enctype": "application/json", "body": '{"raw": true}'},
        {
            "method": "PUT",
            "query": PARAMS,
            "type": "application/json",
            "body": {"raw": True},
        },
    ),
]
REQUEST_IDS = ["get", "post-form", "post-json", "esp", "content"]


@pytest.mark.parametrize("fetch", HOW, ids=HOW_IDS)
@pytest.mark.parametrize(("fields", "expected"), REQUESTS, ids=REQUEST_IDS)
def test_fetch_sends_params_and_content_as_the_method_and_enctype_say(
    tmp_path: Path,
    fetch: Callable[[Path, dict[str, str]], Any],
    fields: dict[str, str],
    expected: dict[str, Any],
) -> None:
    result = fetch(tmp_path, {**fields, "url": "/echo"})
    assert result["status"] == 200, result
    assert json.loads(result["content"]) == expected


# -- scxmlc serve ------------------------------------------------------------------------


def test_scxmlc_serve_serves_until_interrupted(tmp_path: Path) -> None:
    (tmp_path / "account.scxml").write_text(ACCOUNT, encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve", "account.scxml"]
        + ["--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("scxmlc serve: listening on http://127.0.0.1:"), line
        assert line.rstrip().endswith("(account.scxml)")
        url = line.split()[4]

        async def statement() -> tuple[int, Any]:
            async with aiohttp.ClientSession() as http:
                start = f"{url}/scxml/session/start"
                async with http.post(start, data={"src": "account.scxml"}) as answer:
                    sessionid = (await answer.json())["sessionid"]
                request = f"{url}/scxml/session/{sessionid}/request/statement"
                async with http.post(request) as answer:
                    return answer.status, await answer.json()

        assert asyncio.run(statement()) == (
            200,
            {"customer": "nobody", "balance": 0},
        )
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=LIMIT)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0
    assert errors.strip().endswith("scxmlc serve: stopped")
