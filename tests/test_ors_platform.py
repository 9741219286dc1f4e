"""The ORS platform: the seed's interaction rules and the request pattern.

- a session starts with an empty interaction list and hears `interaction.added`
  then `interaction.present` on association, which writes `OP-Session-ID`;
- an interaction belongs to one session at a time; `<ixn:associate>` moves it,
  the old owner hearing `interaction.deleted` then `interaction.notcontrolled`;
- deleting an interaction does not end its session;
- `_genesys.ixn.interactions` answers by index and by id, in both datamodels;
- an action writes its request id at once, and its events carry it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scxmlc.compiler.loader import load
from scxmlc.runtime import VirtualClock
from scxmlc.runtime.ors import (
    SESSION_ID_KEY,
    Interaction,
    Interactions,
    Platform,
    resource_from,
)
from scxmlc.runtime.sim import Config, ContactCenter

from ors_harness import NAMESPACES, events, machine_class, simulate

ONE_CALL = """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales], state: ready}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", ani: "+15550100", talk: 30}}
  - {at: 100, hangup: c1}
"""

COUNTING = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel>
    <data id="before" expr="-1"/><data id="after" expr="-1"/>
    <data id="owner" expr="''"/><data id="byindex" expr="''"/><data id="byid" expr="''"/>
  </datamodel>
  <state id="s">
    <onentry><assign location="before" expr="_genesys.ixn.interactions.length"/></onentry>
    <transition event="interaction.present" target="t">
      <assign location="after" expr="Object.keys(_genesys.ixn.interactions).length"/>
      <assign location="byindex" expr="_genesys.ixn.interactions[0].g_uid"/>
      <assign location="byid" expr="_genesys.ixn.interactions[_event.data.interactionid].voice.ani"/>
      <assign location="owner" expr="_genesys.ixn.interactions['c1'].udata['OP-Session-ID'] == _sessionid"/>
    </transition>
  </state>
  <state id="t">
    <transition event="interaction.deleted" target="gone"/>
  </state>
  <state id="gone"/>
</scxml>"""


def test_sessions_start_empty_and_hear_added_then_present() -> None:
    simulation = simulate(machine_class(COUNTING), ONE_CALL)
    assert events(simulation)[:2] == ["interaction.added", "interaction.present"]
    session = simulation.platform.sessions.get(next(iter(simulation.platform.sessions)))
    assert session is not None
    dm = session.machine.dm  # type: ignore[attr-defined]
    assert (dm["before"], dm["after"]) == (0, 1)
    assert (dm["byindex"], dm["byid"], dm["owner"]) == ("c1", "+15550100", True)


def test_deleting_an_interaction_does_not_end_its_session() -> None:
    simulation = simulate(machine_class(COUNTING), ONE_CALL)
    (session,) = simulation.platform.sessions.values()
    assert session.machine.configuration == {"gone"}
    assert not session.machine.finished
    assert len(session.interactions) == 0
    assert "interaction.deleted" in events(simulation)


MOVER = """<scxml {ns} profile="ecmascript" initial="wait">
  <datamodel><data id="other" expr="''"/></datamodel>
  <state id="wait">
    <transition event="interaction.added" cond="_genesys.session.id == _sessionid" target="start"/>
  </state>
  <state id="start">
    <onentry>
      <session:start requestid="_data.other" src="'receiver.scxml'"/>
    </onentry>
    <transition event="session.start.done" target="move">
      <assign location="other" expr="_event.data.sessionid"/>
    </transition>
  </state>
  <state id="move">
    <onentry><ixn:associate interactionid="'c1'" sessionid="other"/></onentry>
    <transition event="interaction.notcontrolled" target="released"/>
  </state>
  <state id="released"/>
</scxml>"""

RECEIVER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript"
    name="receiver" initial="idle">
  <state id="idle">
    <transition event="interaction.present" cond="_genesys.ixn.interactions.c1 != undefined" target="owning"/>
  </state>
  <state id="owning"/>
</scxml>"""


def test_associate_moves_an_interaction_between_sessions(tmp_path: Path) -> None:
    (tmp_path / "receiver.scxml").write_text(RECEIVER, encoding="utf-8")
    mover = tmp_path / "mover.scxml"
    mover.write_text(MOVER.replace("{ns}", NAMESPACES), encoding="utf-8")
    simulation = simulate(load(mover), ONE_CALL, tmp_path)
    assert events(simulation, "S1")[-2:] == [
        "interaction.deleted",
        "interaction.notcontrolled",
    ]
    assert events(simulation, "S2")[:2] == ["interaction.added", "interaction.present"]
    platform = simulation.platform
    receiver = [s for s in platform.sessions.values() if s.label == "S2"][0]
    mover_session = [s for s in platform.sessions.values() if s.label == "S1"][0]
    assert receiver.machine.configuration == {"owning"}
    assert mover_session.machine.configuration == {"released"}
    assert "c1" not in mover_session.interactions
    deleted = [
        e.data["data"]
        for e in simulation.trace.entries
        if e.kind == "event" and e.session == "S1" and e.text == "interaction.deleted"
    ]
    assert deleted == [{"interactionid": "c1", "resultof": "association"}]


def test_interactions_answer_by_index_and_by_id() -> None:
    interactions = Interactions()
    first, second = Interaction("0012AB"), Interaction("77")
    interactions._add(first)
    interactions._add(second)
    assert interactions[0] is first and interactions["0"] is first
    assert interactions["0012AB"] is first and interactions[1] is second
    assert interactions["77"] is second  # an id that looks like an index wins
    assert 1 in interactions and "2" not in interactions
    assert interactions.get(5) is None
    assert list(interactions) == ["0012AB", "77"]
    with pytest.raises(KeyError):
        interactions["nope"]


@pytest.mark.parametrize(
    "given, expected",
    [
        ("agent1", {"type": "A", "agent": "agent1"}),
        ("9192340978", {"type": "DN", "dn": "9192340978"}),
        ("12345@switch3.DN", {"type": "DN", "dn": "12345", "switch": "switch3"}),
        (
            "Sales@Stat_Server.GA",
            {"type": "GA", "id": "Sales", "statserver": "Stat_Server"},
        ),
        ("_origin", {"type": "EMAIL", "id": "_origin"}),
        ("_origin.all", {"type": "EMAIL", "id": "_origin.all"}),
        ("_udata", {"type": "EMAIL", "id": "_udata"}),
        ("john@example.com", {"type": "EMAIL", "id": "john@example.com"}),
        (
            "http://web.example.com/u/1",
            {"type": "URL", "id": "http://web.example.com/u/1"},
        ),
        ({"type": "AG", "agent": "Sales"}, {"type": "GA", "agent": "Sales"}),
        (
            {"dn": "11111", "switch": "other_switch"},
            {"dn": "11111", "switch": "other_switch"},
        ),
        ({"type": "IQ", "id": "Inbound"}, {"type": "IQ", "id": "Inbound"}),
    ],
)
def test_resources_from_strings_and_objects(
    given: object, expected: dict[str, str]
) -> None:
    media = "voice" if given == "9192340978" else "email"
    assert dict(resource_from(given, media=media)) == expected


def test_session_id_key_is_written_on_association() -> None:
    simulation = simulate(machine_class(COUNTING), ONE_CALL)
    contact = simulation.center.contacts["c1"]
    # the call ended: the key went with the association
    assert SESSION_ID_KEY not in contact.interaction.udata
    (session,) = simulation.platform.sessions.values()
    assert session.machine.dm["owner"] is True


REQUESTS = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="rid" expr="''"/><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <transition event="interaction.added" target="q"/>
  </state>
  <state id="q">
    <onentry>
      <queue:submit requestid="rid" route="false">
        <queue:targets><queue:target name="'anna'" type="agent"/></queue:targets>
      </queue:submit>
    </onentry>
    <transition event="queue.submit.requestid" cond="_event.data.requestid == rid">
      <script>seen.push('requestid')</script>
    </transition>
    <transition event="queue.submit.done" cond="_event.data.requestid == rid" target="done">
      <script>seen.push(_event.data.targetselected, _event.data.resource.agent)</script>
    </transition>
  </state>
  <final id="done"/>
</scxml>"""


def test_actions_write_the_request_id_that_their_events_carry() -> None:
    simulation = simulate(machine_class(REQUESTS), ONE_CALL)
    (session,) = simulation.platform.finished
    dm = session.machine.dm  # type: ignore[attr-defined]
    assert dm["rid"] == "queue-1"
    assert list(dm["seen"]) == ["requestid", "7001@SIP_Switch.DN", "anna"]


UNSUPPORTED = """<scxml {ns} profile="ecmascript" initial="s">
  <state id="s">
    <onentry><ws:call url="'x'"/></onentry>
    <transition event="error.unsupported.element" target="told"/>
  </state>
  <final id="told"/>
</scxml>"""


def test_unknown_elements_of_genesys_namespaces_raise_error_unsupported_element() -> (
    None
):
    clock = VirtualClock()
    center = ContactCenter(Config(), clock)
    platform = Platform(center, clock)
    center.attach(platform)
    session = platform.start_session(machine_class(UNSUPPORTED))
    assert session.machine.finished and session.machine.configuration == {"told"}


LISTS = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <onentry>
      <script>
        var get = _genesys.session.getListItemValue;
        var item = get('Routing', 'Sales', '');
        seen.push(JSON.stringify(item), item.vq, Object.keys(item).length,
                  JSON.stringify(get('Routing', 'Sales')),
                  get('Routing', 'Sales', 'vq'),
                  get('Routing', 'Sales', 'nokey'), get('Routing', 'Nope', ''),
                  get('Nolist', 'Sales', ''), get('Nolist', 'Sales', 'vq'));
        item.vq = 'changed';
        seen.push(get('Routing', 'Sales', 'vq'));
      </script>
    </onentry>
  </state>
</scxml>"""


def _lists_platform() -> tuple[Platform, VirtualClock]:
    clock = VirtualClock()
    config = Config(
        lists={"Routing": {"Sales": {"vq": "VQ_Sales", "skill": "Sales>5"}}}
    )
    center = ContactCenter(config, clock)
    platform = Platform(center, clock)
    center.attach(platform)
    return platform, clock


def test_list_item_with_an_empty_key_is_the_whole_item() -> None:
    platform, _ = _lists_platform()
    session = platform.start_session(machine_class(LISTS))
    assert list(session.machine.dm["seen"]) == [
        '{"vq":"VQ_Sales","skill":"Sales>5"}',
        "VQ_Sales",
        2,
        '{"vq":"VQ_Sales","skill":"Sales>5"}',  # no key at all: the item too
        "VQ_Sales",
        "",  # unknown key, item or list: "" (docs/ors.md)
        "",
        "",
        "",
        "VQ_Sales",  # the item is a copy: changing it leaves the list alone
    ]


def test_list_item_whole_in_the_python_datamodel() -> None:
    text = """<scxml {ns} datamodel="python" initial="s">
  <datamodel><data id="item" expr="None"/></datamodel>
  <state id="s">
    <onentry>
      <assign location="item" expr="_genesys.session.getListItemValue('Routing', 'Sales', '')"/>
    </onentry>
  </state>
</scxml>"""
    platform, _ = _lists_platform()
    session = platform.start_session(machine_class(text))
    assert session.machine.dm.item == {  # type: ignore[attr-defined]
        "vq": "VQ_Sales",
        "skill": "Sales>5",
    }
