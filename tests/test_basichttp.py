"""The Basic HTTP Event I/O Processor: real POSTs on a loopback port.

Sessions run on an `AsyncioClock` and register with an `HttpEventProcessor`;
outside clients are aiohttp clients. Waits end when a session finishes; their
limits only stop a session that hangs.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import scxmlc
from scxmlc.runtime import AsyncioClock, AttrDict, Event, EventData, Machine
from scxmlc.runtime import Observer, VirtualClock
from scxmlc.runtime.basichttp import BASICHTTP_TYPE, HttpEventProcessor
from scxmlc.runtime.basichttp import decode, encode

from realtime import until_finished

LIMIT = 20.0

RECEIVER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Receiver" initial="waiting">
  <state id="waiting"><transition event="*" target="received"/></state>
  <final id="received"/>
</scxml>
"""

SENDER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Sender" initial="sending">
  <datamodel>
    <data id="url" expr="''"/>
    <data id="failure" expr="None"/>
  </datamodel>
  <state id="sending">
    <onentry>
      <send id="order-7" event="order.placed" type="basichttp" targetexpr="url">
        <param name="qty" expr="3"/>
      </send>
    </onentry>
    <transition event="error" target="failed">
      <assign location="failure" expr="_event"/>
    </transition>
  </state>
  <final id="failed"/>
</scxml>
"""

PINGER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Pinger" initial="asking">
  <datamodel>
    <data id="url" expr="''"/>
    <data id="answer" expr="None"/>
  </datamodel>
  <state id="asking">
    <onentry>
      <send event="ping" type="http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
          targetexpr="url">
        <param name="count" expr="2"/>
        <param name="urgent" expr="True"/>
        <param name="detail" expr="{'tags': ['a', 'b']}"/>
      </send>
    </onentry>
    <transition event="pong" target="answered">
      <assign location="answer" expr="_event"/>
    </transition>
    <transition event="error" target="broken"/>
  </state>
  <final id="answered"/>
  <final id="broken"/>
</scxml>
"""

PONGER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Ponger" initial="listening">
  <datamodel><data id="question" expr="None"/></datamodel>
  <state id="listening">
    <transition event="ping" target="replied">
      <assign location="question" expr="_event"/>
      <send event="pong" typeexpr="_event.origintype" targetexpr="_event.origin">
        <param name="count" expr="_event.data['count'] + 1"/>
      </send>
    </transition>
  </state>
  <final id="replied"/>
</scxml>
"""

DELAYED = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Delayed" initial="waiting">
  <datamodel>
    <data id="url" expr="''"/>
    <data id="cancel" expr="False"/>
  </datamodel>
  <state id="waiting">
    <onentry>
      <send id="later" event="ping" type="basichttp" targetexpr="url" delay="5s"/>
      <if cond="cancel"><cancel sendid="later"/></if>
    </onentry>
  </state>
</scxml>
"""


class Events(Observer):
    """The events a session processes, and the error events it queues."""

    def __init__(self) -> None:
        self.seen: list[Event] = []
        self.errors: list[Event] = []

    def on_event(self, machine: Machine, event: Event) -> None:
        self.seen.append(event)

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        self.errors.append(event)


def load(tmp_path: Path, source: str, name: str = "document") -> Any:
    """The machine class compiled from `source`, saved as `name`.scxml."""
    path = tmp_path / f"{name}.scxml"
    path.write_text(source, encoding="utf-8")
    return scxmlc.load(path)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL whose port is bound but not listening: connections fail."""
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{reserved.getsockname()[1]}/scxml/nobody"


# -- from outside, into a session -----------------------------------------------------


async def post_to_receiver(
    machine_class: Any, **request: Any
) -> tuple[int, str, Events]:
    """POST `request` to a fresh receiver; (status, location, what it saw)."""
    events = Events()
    async with HttpEventProcessor() as http, aiohttp.ClientSession() as client:
        machine = machine_class(AsyncioClock(), observer=events)
        location = http.register(machine)
        machine.start()
        async with client.post(location, **request) as response:
            status = response.status
        if status == 204:
            assert await until_finished(machine, LIMIT)
        assert machine._ioprocessors["basichttp"]["location"] == location
        assert machine._ioprocessors[BASICHTTP_TYPE]["location"] == location
    return status, location, events


def test_a_form_post_becomes_an_external_event(tmp_path: Path) -> None:
    form = {"_scxmleventname": "order.placed", "qty": "3", "note": "two words"}
    status, location, events = asyncio.run(
        post_to_receiver(load(tmp_path, RECEIVER), data=form)
    )
    assert status == 204
    [event] = events.seen
    assert event.name == "order.placed"
    assert event.type == "external"
    assert event.data == {"qty": 3, "note": "two words"}
    assert isinstance(event.data, EventData)
    assert event.origintype == BASICHTTP_TYPE
    assert event.origin is None  # an outside client gave no address to answer
    assert event.raw is not None
    assert event.raw.startswith(f"POST /scxml/{location.rsplit('/', 1)[1]} HTTP/1.1")
    assert event.raw.endswith(
        "\r\n\r\n_scxmleventname=order.placed&qty=3&note=two+words"
    )


def test_without_scxmleventname_the_event_is_named_after_the_method(
    tmp_path: Path,
) -> None:
    status, _, events = asyncio.run(
        post_to_receiver(load(tmp_path, RECEIVER), json={"lines": [1, 2]})
    )
    assert status == 204
    [event] = events.seen
    assert event.name == "HTTP.POST"
    assert event.data == {"lines": [1, 2]}
    assert event.data.lines == [1, 2]  # objects answer attribute access


def test_the_sender_origin_header_becomes_the_event_origin(tmp_path: Path) -> None:
    headers = {"SCXML-Origin": "http://example.test/scxml/abc"}
    status, _, events = asyncio.run(
        post_to_receiver(
            load(tmp_path, RECEIVER), data={"_scxmleventname": "e"}, headers=headers
        )
    )
    assert status == 204
    assert events.seen[0].origin == "http://example.test/scxml/abc"


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        ({"data": {"_scxmleventname": ""}}, 400),
        ({"data": {"_scxmleventname": "two words"}}, 400),
        ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": b"\xff\xfe", "headers": {"Content-Type": "text/plain"}}, 400),
    ],
    ids=["empty-name", "name-with-space", "bad-json", "bad-utf8"],
)
def test_a_message_that_makes_no_event_is_a_client_error(
    tmp_path: Path, request_args: dict[str, Any], status: int
) -> None:
    answer, _, events = asyncio.run(
        post_to_receiver(load(tmp_path, RECEIVER), **request_args)
    )
    assert answer == status
    assert events.seen == []


def test_unknown_and_finished_sessions_are_not_found(tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        async with HttpEventProcessor() as http, aiohttp.ClientSession() as client:
            machine = load(tmp_path, RECEIVER)(AsyncioClock())
            location = http.register(machine)
            machine.start()

            async def status(url: str, method: str = "POST") -> int:
                form = {"_scxmleventname": "e"}
                async with client.request(method, url, data=form) as answer:
                    return answer.status

            unknown = await status(location + "x")
            running = await status(location)
            assert await until_finished(machine, LIMIT)
            finished = await status(location)
            return [unknown, running, finished, await status(location, "GET")]

    assert asyncio.run(scenario()) == [404, 204, 404, 405]


# -- from a session, out ----------------------------------------------------------


async def run_sender(
    machine_class: Any, url: Callable[[HttpEventProcessor], str]
) -> tuple[Any, Events]:
    """Run a SENDER session targeting `url(processor)` until it finishes."""
    events = Events()
    async with HttpEventProcessor() as http:
        machine = machine_class(
            AsyncioClock(), observer=events, data={"url": url(http)}
        )
        http.register(machine)
        machine.start()
        assert await until_finished(machine, LIMIT)
    return machine, events


def test_an_unreachable_url_is_error_communication_with_the_send_id(
    tmp_path: Path, refused_url: str
) -> None:
    machine, events = asyncio.run(
        run_sender(load(tmp_path, SENDER), lambda http: refused_url)
    )
    failure = machine.dm.failure
    assert failure.name == "error.communication"
    assert failure.sendid == "order-7"
    assert failure.type == "platform"
    assert refused_url in failure.data["message"]
    assert [e.name for e in events.errors] == ["error.communication"]


def test_an_answer_other_than_2xx_is_error_communication(tmp_path: Path) -> None:
    def unknown_session(http: HttpEventProcessor) -> str:
        return f"http://127.0.0.1:{http.port}/scxml/no-such-session"

    machine, _ = asyncio.run(run_sender(load(tmp_path, SENDER), unknown_session))
    failure = machine.dm.failure
    assert failure.name == "error.communication"
    assert failure.sendid == "order-7"
    assert "HTTP status 404" in failure.data["message"]


@pytest.mark.parametrize("url", ["#_parent", "ftp://127.0.0.1/x", "no-scheme"])
def test_a_target_that_is_no_http_url_is_error_execution(
    tmp_path: Path, url: str
) -> None:
    machine, _ = asyncio.run(run_sender(load(tmp_path, SENDER), lambda http: url))
    assert machine.dm.failure.name == "error.execution"
    assert machine.dm.failure.sendid == "order-7"


def test_a_session_without_a_processor_cannot_send_basichttp(tmp_path: Path) -> None:
    machine = load(tmp_path, SENDER)(VirtualClock(), data={"url": "http://x.test/"})
    machine.start()
    assert machine.dm.failure.name == "error.execution"
    assert "not registered" in machine.dm.failure.data["message"]


def test_two_sessions_converse_and_the_reply_goes_to_the_origin(
    tmp_path: Path,
) -> None:
    pinger_class = load(tmp_path, PINGER, "pinger")
    ponger_class = load(tmp_path, PONGER, "ponger")

    async def scenario() -> tuple[Any, Any, str]:
        # two processors, two ports: the messages travel as real POSTs
        async with HttpEventProcessor() as here, HttpEventProcessor() as there:
            ponger = ponger_class(AsyncioClock())
            ponger_url = there.register(ponger)
            ponger.start()
            pinger = pinger_class(AsyncioClock(), data={"url": ponger_url})
            pinger_url = here.register(pinger)
            pinger.start()
            assert await until_finished(pinger, LIMIT)
            assert await until_finished(ponger, LIMIT)
            return pinger, ponger, pinger_url

    pinger, ponger, pinger_url = asyncio.run(scenario())
    assert pinger.configuration == {"answered"}
    question = ponger.dm.question
    assert question.origin == pinger_url
    assert question.data == {"count": 2, "urgent": True, "detail": {"tags": ["a", "b"]}}
    answer = pinger.dm.answer
    assert answer.name == "pong"
    assert answer.data == {"count": 3}
    assert answer.origintype == BASICHTTP_TYPE


SELF = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="Self" initial="sending">
  <datamodel><data id="first" expr="None"/></datamodel>
  <state id="sending">
    <onentry>
      <send event="event1" type="basichttp"
            targetexpr="_ioprocessors['basichttp']['location']">
        <param name="n" expr="1"/>
      </send>
      <send event="timeout"/>
    </onentry>
    <transition event="event1" target="done"><assign location="first" expr="_event"/></transition>
    <transition event="timeout" target="done"><assign location="first" expr="_event"/></transition>
  </state>
  <final id="done"/>
</scxml>
"""


def test_a_message_to_a_session_this_processor_serves_keeps_its_order(
    tmp_path: Path,
) -> None:
    self_class = load(tmp_path, SELF, "self")

    async def scenario() -> Any:
        async with HttpEventProcessor() as http:
            machine = self_class(AsyncioClock())
            location = http.register(machine)
            machine.start()
            assert await until_finished(machine, LIMIT)
            return machine, location

    machine, location = asyncio.run(scenario())
    first = machine.dm.first
    assert (first.name, first.data, first.origin) == ("event1", {"n": 1}, location)
    assert first.origintype == BASICHTTP_TYPE
    assert first.raw.startswith(f"POST {location[location.index('/scxml/'):]} HTTP/1.1")


@pytest.mark.parametrize("cancel", [False, True])
def test_delayed_sends_wait_on_the_clock_and_can_be_cancelled(
    tmp_path: Path, cancel: bool
) -> None:
    delayed_class = load(tmp_path, DELAYED, "delayed")
    receiver_class = load(tmp_path, RECEIVER, "receiver")

    async def scenario() -> list[str]:
        events = Events()
        clock = VirtualClock()
        async with HttpEventProcessor() as http:
            receiver = receiver_class(AsyncioClock(), observer=events)
            url = http.register(receiver)
            receiver.start()
            sender = delayed_class(clock, data={"url": url, "cancel": cancel})
            http.register(sender)
            sender.start()
            clock.advance(4.0)
            assert events.seen == []  # not due yet
            clock.advance(2.0)  # due: posted now, unless cancelled
        # closing waited for every POST under way; let the receiver take its event
        await asyncio.sleep(0)
        return [event.name for event in events.seen]

    assert asyncio.run(scenario()) == ([] if cancel else ["ping"])


# -- the wire format ----------------------------------------------------------------


def test_param_values_round_trip_through_a_form() -> None:
    data = EventData(
        {"n": 2, "x": 1.5, "s": "a b&c=d", "t": True, "none": None, "o": {"k": [1]}}
    )
    message = encode("order.placed", data)
    assert message.content_type == "application/x-www-form-urlencoded"
    assert message.query == {}
    assert message.body.startswith(b"_scxmleventname=order.placed&n=2&x=1.5&s=a%20b")
    name, decoded = decode("POST", [], message.content_type, message.body.decode())
    assert name == "order.placed"
    assert decoded == data
    assert isinstance(decoded["o"], AttrDict)


def test_strings_that_are_json_numbers_arrive_as_numbers() -> None:
    _, decoded = decode("POST", [], "application/x-www-form-urlencoded", "a=007&b=7")
    assert decoded == {"a": "007", "b": 7}


def test_a_field_given_twice_holds_a_list() -> None:
    _, decoded = decode("POST", [], "application/x-www-form-urlencoded", "a=1&a=x")
    assert decoded == {"a": [1, "x"]}


@pytest.mark.parametrize(
    "content", ["this is some content", "a=1&b=2", {"k": [1, None]}, [1, 2], 5]
)
def test_content_is_the_body_and_round_trips(content: Any) -> None:
    message = encode("note", content)
    assert message.query == {"_scxmleventname": "note"}
    assert b"_scxmleventname" not in message.body
    name, decoded = decode(
        "POST", message.query.items(), message.content_type, message.body.decode()
    )
    assert (name, decoded) == ("note", content)


def test_string_content_is_percent_encoded_with_20_for_spaces() -> None:
    # W3C test 520 looks for this+is+some+content or this%20is%20some%20content,
    # and its ECMAScript regular expression can only match the second
    assert encode(None, "this is some content").body == b"this%20is%20some%20content"


def test_a_body_without_fields_has_no_data() -> None:
    assert decode("POST", [], "application/x-www-form-urlencoded", "") == (
        "HTTP.POST",
        None,
    )


# -- the runtime without aiohttp ------------------------------------------------------


def test_the_runtime_does_not_import_aiohttp() -> None:
    code = (
        "import sys, scxmlc.runtime, scxmlc.runtime.basichttp\n"
        "assert 'aiohttp' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sessions_run_where_aiohttp_cannot_be_imported(tmp_path: Path) -> None:
    document = tmp_path / "sender.scxml"
    document.write_text(SENDER, encoding="utf-8")
    (tmp_path / "sender_module.py").write_text(
        scxmlc.compile_file(document), encoding="utf-8"
    )
    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None  # any import of aiohttp fails\n"
        "from sender_module import Sender\n"
        "from scxmlc.runtime import VirtualClock\n"
        "machine = Sender(VirtualClock(), data={'url': 'http://x.test/'})\n"
        "machine.start()\n"
        "assert machine.configuration == {'failed'}, machine.configuration\n"
        "assert machine.dm.failure.name == 'error.execution'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_a_send_after_the_processor_closed_is_error_communication(
    tmp_path: Path, refused_url: str
) -> None:
    async def scenario() -> Any:
        async with HttpEventProcessor() as http:
            machine = load(tmp_path, SENDER)(AsyncioClock(), data={"url": refused_url})
            http.register(machine)
        machine.start()
        assert await until_finished(machine, LIMIT)
        return machine.dm.failure

    failure = asyncio.run(scenario())
    assert failure.name == "error.communication"
    assert "the processor is closed" in failure.data["message"]
