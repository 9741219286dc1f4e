"""Nothing runs away: every resource a caller can make the session server spend
has a limit, and going over one is a clear error, never a crash or a silent loss.

Each test is an attack that the server once let through: a reply sent wherever
the caller said (SSRF), unbounded sessions, bodies, nesting, queues, delays and
connections that never finish their headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from scxmlc.runtime.basichttp import OriginAllowList

from server_harness import LIMIT, Client, compiled, serving

QUIET = """<scxml {ns} datamodel="ecmascript" name="quiet" initial="open">
  <datamodel><data id="seen" expr="0"/></datamodel>
  <state id="open">
    <transition event="poke"><assign location="seen" expr="seen + 1"/></transition>
  </state>
</scxml>
"""

REPLIER = """<scxml {ns} datamodel="python" name="replier" initial="open">
  <datamodel><data id="failure" expr="''"/></datamodel>
  <state id="open">
    <transition event="ping">
      <send eventexpr="'pong'" typeexpr="_event.origintype"
            targetexpr="_event.origin"/>
    </transition>
    <transition event="error.communication" target="refused">
      <assign location="failure" expr="_event.data['message']"/>
    </transition>
  </state>
  <state id="refused"/>
</scxml>
"""


def run(tmp_path: Path, scenario: Any, **options: Any) -> Any:
    """Run `scenario(client)` against a server of QUIET and REPLIER."""
    applications = {
        "quiet": compiled(tmp_path, QUIET, "quiet"),
        "replier": compiled(tmp_path, REPLIER, "replier"),
    }

    async def main() -> Any:
        async with serving(applications, **options) as client:
            return await scenario(client)

    return asyncio.run(main())


# -- SSRF: Basic HTTP replies go to allowed origins only -------------------------------


@asynccontextmanager
async def listener() -> AsyncIterator[tuple[str, list[str]]]:
    """A web server on loopback that records every request it gets: (its URL,
    the requests as `METHOD path`)."""
    arrived: list[str] = []

    async def record(request: web.Request) -> web.Response:
        arrived.append(f"{request.method} {request.path}")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", arrived
    finally:
        await runner.cleanup()


async def ping_with_origin(client: Client, origin: str) -> tuple[int, dict[str, Any]]:
    """POST `ping` to a new replier with `SCXML-Origin: origin`; (the status,
    the replier's query once it settled)."""
    sessionid = await client.start(src="replier")
    status, _ = await client.call(
        "POST",
        f"/scxml/{sessionid}",
        data={"_scxmleventname": "ping"},
        headers={"SCXML-Origin": origin},
    )
    await client.until(sessionid, ["refused"])
    await asyncio.sleep(0.1)  # time for a POST under way to arrive
    return status, await client.query(sessionid)


@pytest.mark.parametrize(
    "origin", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1:6379/"]
)
def test_a_reply_to_a_forged_origin_is_error_communication(
    tmp_path: Path, origin: str
) -> None:
    async def scenario(client: Client) -> tuple[int, dict[str, Any]]:
        return await ping_with_origin(client, origin)

    status, query = run(tmp_path, scenario)
    assert status == 204
    assert query["configuration"] == ["refused"]
    assert "not an allowed origin" in query["datamodel"]["failure"]
    assert origin in query["datamodel"]["failure"]


def test_nothing_reaches_a_loopback_service_that_is_not_allowed(
    tmp_path: Path,
) -> None:
    async def scenario(client: Client) -> tuple[dict[str, Any], list[str]]:
        async with listener() as (url, arrived):
            _, query = await ping_with_origin(client, url + "/admin")
            return query, arrived

    query, arrived = run(tmp_path, scenario)
    assert query["configuration"] == ["refused"]
    assert arrived == []


def test_an_allowed_origin_gets_the_reply(tmp_path: Path) -> None:
    async def scenario(client: Client) -> tuple[dict[str, Any], list[str]]:
        async with listener() as (url, arrived):
            client.server.processor.allowed_origins = OriginAllowList([url])
            sessionid = await client.start(src="replier")
            await client.call(
                "POST",
                f"/scxml/{sessionid}",
                data={"_scxmleventname": "ping"},
                headers={"SCXML-Origin": url + "/scxml/caller"},
            )
            deadline = time.monotonic() + LIMIT
            while not arrived and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            return await client.query(sessionid), arrived

    query, arrived = run(tmp_path, scenario)
    assert query["configuration"] == ["open"]
    assert arrived == ["POST /scxml/caller"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/x", True),
        ("http://LOCALHOST:9/x", True),
        ("http://[::1]:1/", True),
        ("https://api.example.com/hook", True),
        ("https://api.example.com:443/hook", True),
        ("http://api.example.com/hook", False),
        ("https://api.example.com:8443/hook", False),
        ("https://api.example.com.evil.test/", False),
        ("http://127.0.0.1:80@169.254.169.254/", False),
        ("http://169.254.169.254/", False),
    ],
)
def test_the_allow_list_compares_scheme_host_and_port(url: str, allowed: bool) -> None:
    allow = OriginAllowList(
        ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
        + ["https://api.example.com"]
    )
    assert allow.allows(url) is allowed


@pytest.mark.parametrize(
    "entry", ["ftp://x.test", "http://x.test/path", "x.test", "http://u@x.test"]
)
def test_an_allow_list_entry_must_be_an_origin(entry: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        OriginAllowList([entry])


# -- sessions ------------------------------------------------------------------------


def test_sessions_over_the_server_limit_are_503(tmp_path: Path) -> None:
    async def scenario(client: Client) -> list[tuple[int, Any]]:
        return [
            await client.call("POST", "/scxml/session/start", data={"src": "quiet"})
            for _ in range(3)
        ]

    answers = run(tmp_path, scenario, max_sessions=2)
    assert [status for status, _ in answers] == [200, 200, 503]
    assert answers[2][1]["error"] == "toomanysessions"
    assert "max_sessions" in answers[2][1]["description"]
    assert "2" in answers[2][1]["description"]


def test_sessions_over_the_caller_limit_are_429_until_one_ends(tmp_path: Path) -> None:
    async def scenario(client: Client) -> list[tuple[int, Any]]:
        first = await client.start(src="quiet")
        refused = await client.call(
            "POST", "/scxml/session/start", data={"src": "quiet"}
        )
        await client.call("POST", f"/scxml/session/{first}/terminate")
        again = await client.call("POST", "/scxml/session/start", data={"src": "quiet"})
        return [refused, again]

    refused, again = run(tmp_path, scenario, max_sessions_per_caller=1)
    assert refused[0] == 429
    assert refused[1]["error"] == "toomanysessions"
    assert "max_sessions_per_caller" in refused[1]["description"]
    assert again[0] == 200


def test_the_caller_limit_counts_by_authenticated_user(tmp_path: Path) -> None:
    import base64

    from scxmlc.runtime.ors.auth import Credentials

    users = Credentials(users=(("ann", "secret-ann"), ("bob", "secret-bob")))

    async def scenario(client: Client) -> list[int]:
        async def start(user: str) -> int:
            pair = base64.b64encode(f"{user}:secret-{user}".encode()).decode()
            status, _ = await client.call(
                "POST",
                "/scxml/session/start",
                data={"src": "quiet"},
                headers={"Authorization": f"Basic {pair}"},
            )
            return status

        return [await start("ann"), await start("ann"), await start("bob")]

    statuses = run(tmp_path, scenario, auth=users, max_sessions_per_caller=1)
    assert statuses == [200, 429, 200]


SPAWNER = """<scxml {ns} datamodel="ecmascript" name="spawner" initial="spawning">
  <datamodel><data id="errors" expr="[]"/><data id="started" expr="0"/></datamodel>
  <state id="spawning">
    <onentry>
      <session:start src="'quiet'"/>
      <session:start src="'quiet'"/>
      <session:start src="'quiet'"/>
    </onentry>
    <transition event="session.start.done">
      <assign location="started" expr="started + 1"/>
    </transition>
    <transition event="error.session.start">
      <script>errors.push(_event.data.error)</script>
    </transition>
  </state>
</scxml>
"""


def test_session_start_from_a_document_meets_the_same_limit(tmp_path: Path) -> None:
    applications = {
        "spawner": compiled(tmp_path, SPAWNER, "spawner"),
        "quiet": compiled(tmp_path, QUIET, "quiet"),
    }

    async def main() -> dict[str, Any]:
        async with serving(applications, max_sessions=3) as client:
            sessionid = await client.start(src="spawner")
            deadline = time.monotonic() + LIMIT
            query = await client.query(sessionid)
            while not query["datamodel"]["errors"] and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
                query = await client.query(sessionid)
            return query

    query = asyncio.run(main())
    assert query["datamodel"]["started"] == 2
    assert query["datamodel"]["errors"] == ["toomanysessions"]


def test_a_session_without_events_for_the_idle_timeout_is_terminated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
        idle = await client.start(src="quiet")
        busy = await client.start(src="quiet")
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            await client.call("POST", f"/scxml/session/{busy}/event/poke")
            await asyncio.sleep(0.05)
        return await client.query(idle), await client.query(busy)

    with caplog.at_level(logging.WARNING, logger="scxmlc.server"):
        idle, busy = run(tmp_path, scenario, idle_timeout=0.3)
    assert (idle["running"], idle["ended"] is not None) == (False, True)
    assert busy["running"] is True
    assert any(
        idle["sessionid"] in record.getMessage()
        and "idle_timeout" in record.getMessage()
        for record in caplog.records
    )


# -- idealtime -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "idealtime", ["1e308", "inf", "-inf", "nan", "Infinity", 1e308, "9" * 400]
)
def test_an_idealtime_that_is_no_time_or_too_far_is_400(
    tmp_path: Path, idealtime: Any
) -> None:
    async def scenario(client: Client) -> tuple[int, Any]:
        return await client.call(
            "POST",
            "/scxml/session/start",
            json={"src": "quiet", "idealtime": idealtime},
        )

    status, body = run(tmp_path, scenario)
    assert status == 400
    assert body["error"] == "invalidparameter"
    assert "idealtime" in body["description"]


def test_an_idealtime_beyond_the_start_delay_limit_is_400(tmp_path: Path) -> None:
    later = int((time.time() + 2 * 3600) * 1000)

    async def scenario(client: Client) -> list[tuple[int, Any]]:
        body = {"src": "quiet", "idealtime": later}
        return [
            await client.call("POST", "/scxml/session/start", json=body),
            await client.call(
                "POST",
                "/scxml/session/start",
                json={**body, "idealtime": later - 3600 * 1000},
            ),
        ]

    too_far, near = run(tmp_path, scenario, max_start_delay=5400)
    assert too_far[0] == 400
    assert "max_start_delay" in too_far[1]["description"]
    assert near[0] == 200


# -- queues --------------------------------------------------------------------------


def test_a_full_queue_refuses_events_with_503_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    later = int((time.time() + 3600) * 1000)

    async def scenario(client: Client) -> tuple[list[int], Any, int]:
        status, body = await client.call(
            "POST", "/scxml/session/start", json={"src": "quiet", "idealtime": later}
        )
        sessionid = body["sessionid"]
        statuses = [
            (await client.call("POST", f"/scxml/session/{sessionid}/event/poke"))[0]
            for _ in range(4)
        ]
        basic = await client.call(
            "POST", f"/scxml/{sessionid}", data={"_scxmleventname": "poke"}
        )
        session = client.server.platform.sessions[sessionid]
        queued = len(session.machine._external or ())
        return statuses + [basic[0]], basic[1], queued

    statuses, text, queued = run(tmp_path, scenario, max_queued_events=3)
    assert statuses == [204, 204, 204, 503, 503]
    assert "max_queued_events" in text
    assert queued == 3


def test_the_queue_full_answer_over_rest_names_the_limit(tmp_path: Path) -> None:
    later = int((time.time() + 3600) * 1000)

    async def scenario(client: Client) -> tuple[int, Any]:
        _, body = await client.call(
            "POST", "/scxml/session/start", json={"src": "quiet", "idealtime": later}
        )
        base = f"/scxml/session/{body['sessionid']}"
        await client.call("POST", f"{base}/event/poke")
        return await client.call("POST", f"{base}/request/poke")

    status, body = run(tmp_path, scenario, max_queued_events=1)
    assert status == 503
    assert body["error"] == "queuefull"
    assert "max_queued_events" in body["description"]


# -- bodies --------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 400, 100_000])
def test_json_nested_too_deep_is_400_and_the_session_is_unaffected(
    tmp_path: Path, depth: int
) -> None:
    async def scenario(client: Client) -> list[Any]:
        sessionid = await client.start(src="quiet")
        body = '{"x": ' + nested(depth) + "}"
        headers = {"Content-Type": "application/json"}
        rest = await client.call(
            "POST",
            f"/scxml/session/{sessionid}/event/poke",
            data=body,
            headers=headers,
        )
        basic_json = await client.call(
            "POST", f"/scxml/{sessionid}", data=body, headers=headers
        )
        basic_form = await client.call(
            "POST",
            f"/scxml/{sessionid}",
            data={"_scxmleventname": "poke", "x": nested(depth)},
        )
        start = await client.call(
            "POST", "/scxml/session/start", data=body, headers=headers
        )
        fine = await client.call(
            "POST", f"/scxml/session/{sessionid}/event/poke", json={"x": [[1]]}
        )
        return [
            rest,
            basic_json,
            basic_form,
            start,
            fine,
            await client.query(sessionid),
        ]

    rest, basic_json, basic_form, start, fine, query = run(tmp_path, scenario)
    assert rest[0] == 400 and rest[1]["error"] == "toodeep"
    assert "max_json_depth" in rest[1]["description"]
    assert basic_json[0] == 400 and "max_json_depth" in basic_json[1]
    assert basic_form[0] == 400 and "max_json_depth" in basic_form[1]
    assert start[0] == 400 and start[1]["error"] == "toodeep"
    assert fine == (204, "")
    assert (query["running"], query["datamodel"]["seen"]) == (True, 1)


def test_json_as_deep_as_the_limit_is_accepted(tmp_path: Path) -> None:
    async def scenario(client: Client) -> tuple[int, Any]:
        sessionid = await client.start(src="quiet")
        return await client.call(
            "POST",
            f"/scxml/session/{sessionid}/event/poke",
            data='{"x": ' + nested(31) + "}",
            headers={"Content-Type": "application/json"},
        )

    assert run(tmp_path, scenario) == (204, "")


@pytest.mark.parametrize("limit", [1000, None])
def test_a_body_over_the_size_limit_is_413(tmp_path: Path, limit: int | None) -> None:
    size = (limit or 1024 * 1024) + 1
    options = {} if limit is None else {"max_body_size": limit}

    async def scenario(client: Client) -> list[tuple[int, Any]]:
        sessionid = await client.start(src="quiet")
        body = json.dumps({"x": "a" * size})
        headers = {"Content-Type": "application/json"}
        return [
            await client.call(
                "POST",
                f"/scxml/session/{sessionid}/event/poke",
                data=body,
                headers=headers,
            ),
            await client.call(
                "POST", f"/scxml/{sessionid}", data=body, headers=headers
            ),
        ]

    rest, basic = run(tmp_path, scenario, **options)
    assert rest[0] == 413 and rest[1]["error"] == "toolarge"
    assert "max_body_size" in rest[1]["description"]
    assert basic[0] == 413 and "max_body_size" in basic[1]


def test_too_many_fields_are_400(tmp_path: Path) -> None:
    async def scenario(client: Client) -> list[tuple[int, Any]]:
        sessionid = await client.start(src="quiet")
        form = "&".join(f"f{i}=1" for i in range(6))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return [
            await client.call(
                "POST",
                f"/scxml/session/{sessionid}/event/poke?a=1",
                data=form,
                headers=headers,
            ),
            await client.call(
                "POST",
                f"/scxml/{sessionid}",
                data="_scxmleventname=poke&" + form,
                headers=headers,
            ),
            await client.call("POST", f"/scxml/session/{sessionid}/event/poke?a=1&b=2"),
        ]

    rest, basic, fine = run(tmp_path, scenario, max_fields=5)
    assert rest[0] == 400 and rest[1]["error"] == "toomanyfields"
    assert "max_fields" in rest[1]["description"]
    assert basic[0] == 400 and "max_fields" in basic[1]
    assert fine == (204, "")


# -- slow clients --------------------------------------------------------------------


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the server closes the connection within `seconds` (whatever it
    sends before)."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


def test_headers_sent_a_byte_at_a_time_are_cut_off(tmp_path: Path) -> None:
    async def scenario(client: Client) -> tuple[bool, float, int]:
        server = client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        head = (
            b"POST /scxml/session/start HTTP/1.1\r\nHost: x\r\n"
            + b"X-Slow: "
            + b"a" * 200
            + b"\r\n\r\n"
        )
        began = time.monotonic()
        sent = 0
        try:
            for byte in head:
                writer.write(bytes([byte]))
                await writer.drain()
                sent += 1
                await asyncio.sleep(0.05)
                if reader.at_eof() or time.monotonic() - began > 2 * LIMIT:
                    break
        except ConnectionError:
            pass
        closed = await closed_within(reader, LIMIT)
        writer.close()
        return closed, time.monotonic() - began, sent

    closed, took, sent = run(tmp_path, scenario, header_timeout=0.5)
    assert closed
    assert sent < 100  # cut off long before the head was complete
    assert took < 10


def test_a_body_sent_too_slowly_is_408(tmp_path: Path) -> None:
    async def scenario(client: Client) -> bytes:
        server = client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(
            b"POST /scxml/session/start HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\nsrc=quiet"
        )
        await writer.drain()
        async with asyncio.timeout(LIMIT):
            answer = await reader.read(1024)
        writer.close()
        return answer

    answer = run(tmp_path, scenario, body_timeout=0.3)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"body_timeout" in answer


# -- the Basic HTTP processor on its own -----------------------------------------------

SENDER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Sender" initial="sending">
  <datamodel>
    <data id="url" expr="''"/>
    <data id="name" expr="'note'"/>
    <data id="failure" expr="''"/>
  </datamodel>
  <state id="sending">
    <onentry><send eventexpr="name" type="basichttp" targetexpr="url"/></onentry>
    <transition event="error.communication" target="failed">
      <assign location="failure" expr="_event.data['message']"/>
    </transition>
  </state>
  <final id="failed"/>
</scxml>
"""


RECEIVER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Receiver" initial="waiting">
  <state id="waiting"><transition event="*" target="received"/></state>
  <final id="received"/>
</scxml>
"""


def send_once(tmp_path: Path, url: str, name: str = "note", **options: Any) -> Any:
    """Run SENDER to `url` with a processor of `options` (`{own}`: the
    processor's origin; `{receiver}`: the access URI of a RECEIVER session it
    serves); (the sender's failure message, whether the receiver got an event)."""
    import scxmlc
    from scxmlc.runtime import AsyncioClock
    from scxmlc.runtime.basichttp import HttpEventProcessor

    classes = []
    for text, stem in [(SENDER, "sender"), (RECEIVER, "receiver")]:
        path = tmp_path / f"{stem}.scxml"
        path.write_text(text, encoding="utf-8")
        classes.append(scxmlc.load(path))
    sender_class, receiver_class = classes

    async def main() -> Any:
        async with HttpEventProcessor(**options) as http:
            receiver = receiver_class(AsyncioClock())
            target = url.replace("{own}", http.origin)
            target = target.replace("{receiver}", http.register(receiver))
            receiver.start()
            sender = sender_class(AsyncioClock(), data={"url": target, "name": name})
            http.register(sender)
            sender.start()
            await asyncio.sleep(0.2)
            return sender.dm.failure, receiver.finished

    return asyncio.run(main())


def test_a_processor_with_no_allowed_origins_sends_to_itself_only(
    tmp_path: Path,
) -> None:
    failure, _ = send_once(tmp_path, "http://127.0.0.1:9/scxml/x", allowed_origins=())
    assert "not an allowed origin" in failure
    # its own origin stays allowed: the POST goes out and is answered 404
    failure, _ = send_once(tmp_path, "{own}/scxml/nobody", allowed_origins=())
    assert "HTTP status 404" in failure


def test_a_reserved_name_between_two_sessions_is_error_communication(
    tmp_path: Path,
) -> None:
    from scxmlc.runtime.ors.reserved import reserved_descriptor

    failure, received = send_once(
        tmp_path,
        "{receiver}",
        name="queue.submit.done",
        reserved_events=reserved_descriptor,
    )
    assert "platform event" in failure
    assert received is False
    failure, received = send_once(
        tmp_path, "{receiver}", reserved_events=reserved_descriptor
    )
    assert (failure, received) == ("", True)


PARENT = """<scxml {ns} datamodel="ecmascript" name="parent" initial="waiting">
  <datamodel><data id="told" expr="''"/></datamodel>
  <state id="waiting">
    <invoke id="kid"><content>
      <scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
             datamodel="ecmascript" name="kid">
        <state id="k"><onentry><send event="tick"/></onentry></state>
      </scxml>
    </content></invoke>
    <transition event="error.execution" cond="_event.invokeid === 'kid'" target="told">
      <assign location="told" expr="_event.data.message"/>
    </transition>
  </state>
  <state id="told"/>
</scxml>
"""


def test_an_invoked_session_ended_by_the_server_tells_its_parent(
    tmp_path: Path,
) -> None:
    """The idle timeout or the REST API ending an invoked session: its parent,
    which waits for it, gets error.execution with its invokeid."""
    applications = {"parent": compiled(tmp_path, PARENT, "parent")}

    async def main() -> tuple[dict[str, Any], str]:
        async with serving(applications) as client:
            parent = await client.start(src="parent")
            platform = client.server.platform
            deadline = time.monotonic() + LIMIT
            while len(platform.sessions) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            (child,) = [s for s in platform.sessions if s != parent]
            status, _ = await client.call("POST", f"/scxml/session/{child}/terminate")
            assert status == 200
            return await client.until(parent, ["told"]), child

    query, child = asyncio.run(main())
    assert query["datamodel"]["told"] == (
        f"the invoked session {child} was terminated through the REST API"
    )
