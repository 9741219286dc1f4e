"""Callers cannot pose as the platform.

A session trusts its platform events: `queue.submit.done` says where a call
goes, `error.*` and `done.*` drive its error and completion handling. Events
from outside, over the REST API or Basic HTTP, may not carry those names, and
every event says where it came from in `_event.origintype`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from scxmlc.runtime.basichttp import BASICHTTP_TYPE
from scxmlc.runtime.ors.platform import ORIGIN_TYPE
from scxmlc.runtime.ors.reserved import RESERVED_EVENTS, reserved_descriptor
from scxmlc.runtime.ors.server import REST_ORIGIN_TYPE

from server_harness import Client, compiled, only_session, serving

QUEUED = """<scxml {ns} datamodel="ecmascript" name="queued" initial="waiting">
  <datamodel>
    <data id="rid" expr="''"/>
    <data id="routedto" expr="''"/>
    <data id="origins" expr="({})"/>
  </datamodel>
  <state id="waiting">
    <transition event="interaction.added" target="queued">
      <assign location="origins['interaction.added']" expr="_event.origintype"/>
    </transition>
  </state>
  <state id="queued">
    <onentry>
      <queue:submit requestid="rid" route="false">
        <queue:targets><queue:target name="'anna'" type="agent"/></queue:targets>
      </queue:submit>
    </onentry>
    <transition event="queue.submit.done" target="routed">
      <assign location="routedto" expr="_event.data.resource"/>
    </transition>
    <transition event="error" target="broken"/>
    <transition event="done" target="broken"/>
    <transition event="note">
      <assign location="origins[_event.data.how]" expr="_event.origintype"/>
    </transition>
  </state>
  <state id="routed"/>
  <state id="broken"/>
</scxml>
"""

ONE_WAITING_CALL = """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales], state: not_ready}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", ani: "+15550100"}}
"""
"""A call waits in `<queue:submit>` for anna, who takes no calls."""


def attack(tmp_path: Path, forge: Any) -> tuple[tuple[int, Any], dict[str, Any]]:
    """Run `forge(client, sessionid)` against a session waiting in
    `<queue:submit>`; (its answer, the session's query afterwards)."""
    queued = compiled(tmp_path, QUEUED, "queued")

    async def main() -> tuple[tuple[int, Any], dict[str, Any]]:
        async with serving({"queued": queued}, ONE_WAITING_CALL) as client:
            sessionid = await only_session(client)
            await client.until(sessionid, ["queued"])
            answer = await forge(client, sessionid)
            await asyncio.sleep(0.05)  # a queued event would be taken by now
            return answer, await client.query(sessionid)

    return asyncio.run(main())


async def over_rest(
    client: Client, sessionid: str, name: str, call: str = "event"
) -> tuple[int, Any]:
    return await client.call(
        "POST",
        f"/scxml/session/{sessionid}/{call}/{name}",
        json={"resource": "mallory", "requestid": "queue-1"},
    )


async def over_basichttp(client: Client, sessionid: str, name: str) -> tuple[int, Any]:
    access = f"{client.server.url}/scxml/{sessionid}"
    form = {"_scxmleventname": name, "resource": "mallory", "requestid": "queue-1"}
    return await client.call("POST", access, data=form)


FORGED = ["queue.submit.done", "Queue.Submit.DONE", "error.execution", "done.invoke.x"]


@pytest.mark.parametrize("name", FORGED)
@pytest.mark.parametrize("call", ["event", "request"])
def test_platform_events_over_rest_are_refused(
    tmp_path: Path, name: str, call: str
) -> None:
    answer, query = attack(
        tmp_path, lambda client, sid: over_rest(client, sid, name, call)
    )
    status, body = answer
    assert status == 400
    assert body["error"] == "reservedevent"
    assert name in body["description"]
    assert query["configuration"] == ["queued"]
    assert query["datamodel"]["routedto"] == ""


@pytest.mark.parametrize("name", FORGED)
def test_platform_events_over_basic_http_are_refused(tmp_path: Path, name: str) -> None:
    answer, query = attack(
        tmp_path, lambda client, sid: over_basichttp(client, sid, name)
    )
    status, text = answer
    assert status == 400
    assert "platform event" in text
    assert query["configuration"] == ["queued"]
    assert query["datamodel"]["routedto"] == ""


def test_names_that_only_begin_with_the_same_letters_are_free(tmp_path: Path) -> None:
    async def forge(client: Client, sessionid: str) -> tuple[int, Any]:
        answers = [
            await over_rest(client, sessionid, "queued.submit.done"),
            await over_rest(client, sessionid, "errors"),
            await over_basichttp(client, sessionid, "done_invoke"),
        ]
        return answers[0][0], [status for status, _ in answers]

    (_, statuses), query = attack(tmp_path, forge)
    assert statuses == [204, 204, 204]
    assert query["configuration"] == ["queued"]


def test_every_event_tells_where_it_came_from(tmp_path: Path) -> None:
    async def send_notes(client: Client, sessionid: str) -> tuple[int, Any]:
        rest = await client.call(
            "POST", f"/scxml/session/{sessionid}/event/note", json={"how": "rest"}
        )
        access = f"{client.server.url}/scxml/{sessionid}"
        basic = await client.call(
            "POST", access, data={"_scxmleventname": "note", "how": "basichttp"}
        )
        return rest[0], basic[0]

    answer, query = attack(tmp_path, send_notes)
    assert answer == (204, 204)
    assert query["datamodel"]["origins"] == {
        "interaction.added": ORIGIN_TYPE,
        "rest": REST_ORIGIN_TYPE,
        "basichttp": BASICHTTP_TYPE,
    }
    assert len({ORIGIN_TYPE, REST_ORIGIN_TYPE, BASICHTTP_TYPE}) == 3


@pytest.mark.parametrize(
    ("name", "descriptor"),
    [
        ("queue", "queue"),
        ("queue.submit.done", "queue"),
        ("QUEUE.submit", "queue"),
        ("error.queue.submit", "error"),
        ("done.state.s1", "done"),
        ("cancel.successful", "cancel.successful"),
        ("interaction.added", "interaction"),
        ("voice.createcall.done", "voice"),
        ("elasticconnector.createdoc.done", "elasticconnector"),
        ("queuefoo", None),
        ("myqueue.submit.done", None),
        ("cancel", None),
        ("deposit", None),
        ("HTTP.POST", None),
    ],
)
def test_reserved_names_match_by_tokens(name: str, descriptor: str | None) -> None:
    assert reserved_descriptor(name) == descriptor


def test_every_extension_event_prefix_is_reserved() -> None:
    # EXTENSIONS.md §1.1, the event prefixes of the ORS modules
    prefixes = {
        "session",
        "ws",
        "queue",
        "interaction",
        "voice",
        "msgbased",
        "chat",
        "dialog",
        "statistic",
        "classification",
        "resource",
        "elasticconnector",
        "agent",
    }
    assert prefixes <= set(RESERVED_EVENTS)
