"""The simulated contact center: target selection, statistics, treatments, scenarios."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scxmlc.runtime.ors import TargetSpec
from scxmlc.runtime.sim import ScenarioError, load_scenario
from scxmlc.runtime.sim.targets import Condition, TargetError, parse_targets

from ors_harness import machine_class, simulate, texts

# -- target strings and skill expressions -------------------------------------------


def test_possible_targets_read_threshold_weight_and_skill() -> None:
    (plain,) = parse_targets(TargetSpec("agentgroup", "Sales", "Stat_Server"))
    assert (plain.kind, plain.name, plain.object_name) == (
        "GA",
        "Sales",
        "Sales@Stat_Server.GA",
    )
    first, second = parse_targets(
        TargetSpec(
            "targetid",
            "{StatAgentsAvailable>0}[25]8001@.Q, [75]?Sales:English>5 & Sales@stat.GA",
        )
    )
    assert (first.kind, first.name, first.weight) == ("Q", "8001", 25.0)
    assert (
        first.threshold is not None and first.threshold.text == "StatAgentsAvailable>0"
    )
    assert (second.kind, second.name, second.weight) == ("GA", "Sales", 75.0)
    assert second.skill is not None and second.skill.text == "English>5 & Sales"


@pytest.mark.parametrize(
    "expression, skills, expected",
    [
        ("English>5", {"English": 8}, True),
        ("English>5", {"English": 5}, False),
        ("English>=5", {"English": 5}, True),
        ("Sales", {"Sales": 1}, True),
        ("Sales", {}, False),
        ("!Spanish", {"English": 3}, True),
        ("English>5 & Sales>3", {"English": 8, "Sales": 2}, False),
        ("English>5 | Sales>3", {"English": 1, "Sales": 4}, True),
        # left to right: (English | Spanish) & Sales
        ("English | Spanish & Sales", {"English": 9}, False),
        ("English | (Spanish & Sales)", {"English": 9}, True),
        ("Customer Service>2 and Level=3", {"Customer Service": 3, "Level": 3}, True),
    ],
)
def test_skill_expressions(
    expression: str, skills: dict[str, float], expected: bool
) -> None:
    assert Condition.parse(expression).evaluate(skills.get) is expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("English >", "English > needs a value"),
        ("(English", "missing ')'"),
        ("English & ", "condition ends too early"),
    ],
)
def test_bad_skill_expressions_are_reported(text: str, message: str) -> None:
    with pytest.raises(
        TargetError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        Condition.parse(text)


def test_a_target_without_a_type_suffix_is_reported() -> None:
    with pytest.raises(TargetError, match="expected name@statserver.TYPE"):
        parse_targets(TargetSpec("targetid", "Sales"))


# -- routing ------------------------------------------------------------------------

ROUTER = """<scxml {ns} profile="ecmascript" initial="wait" name="router">
  <datamodel><data id="ixn" expr="''"/><data id="why" expr="''"/></datamodel>
  <state id="wait">
    <transition event="interaction.added" target="queued">
      <assign location="ixn" expr="_event.data.interactionid"/>
    </transition>
  </state>
  <state id="queued">
    <onentry>
      <queue:submit queue="'VQ'" priority="_genesys.ixn.interactions[ixn].udata.priority || 0"
                    timeout="_genesys.ixn.interactions[ixn].udata.timeout || 0">
        <queue:targets type="agentgroup"><queue:target name="'Sales'"/></queue:targets>
      </queue:submit>
    </onentry>
    <transition event="queue.submit.done" target="routed"/>
    <transition event="error.queue.submit" target="failed">
      <assign location="why" expr="_event.data.error"/>
    </transition>
  </state>
  <state id="routed"><transition event="interaction.deleted" target="done"/></state>
  <state id="failed"/>
  <final id="done"/>
</scxml>"""


def test_waiting_interactions_are_served_in_priority_order() -> None:
    simulation = simulate(
        machine_class(ROUTER),
        """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales], state: not_ready}]
timeline:
  - {at: 0, call: {id: low, to: "5000", talk: 20}}
  - {at: 1, call: {id: high, to: "5000", talk: 20, udata: {priority: 5}}}
  - {at: 10, agent: anna, state: ready}
""",
    )
    routes = [line for line in texts(simulation, "route") if "->" in line]
    assert routes == [
        "10 route - high -> agent anna (A) from VQ after 9s",
        "30 route - low -> agent anna (A) from VQ after 30s",
    ]
    summary = simulation.summary()
    assert [(c["id"], c["wait"]) for c in summary["interactions"]] == [
        ("low", 30.0),
        ("high", 9.0),
    ]
    assert summary["agents"]["anna"]["handled"] == 2


def test_a_submit_timeout_is_error_queue_submit() -> None:
    simulation = simulate(
        machine_class(ROUTER),
        """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales], state: not_ready}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", udata: {timeout: 15}}}
  - {at: 20, agent: anna, state: ready}
""",
    )
    (session,) = simulation.platform.sessions.values()
    assert session.machine.configuration == {"failed"}
    assert session.machine.dm["why"] == "timeout"
    assert "15 route - c1 timed out in VQ" in texts(simulation, "route")


def test_the_longest_ready_agent_is_chosen_and_skills_filter() -> None:
    skills = ROUTER.replace(
        '<queue:targets type="agentgroup"><queue:target name="\'Sales\'"/></queue:targets>',
        "<queue:targets><queue:targetid expr=\"'?Sales:English>5@.GA'\"/></queue:targets>",
    )
    simulation = simulate(
        machine_class(skills),
        """
dns: [{number: "5000", type: RoutingPoint}]
agents:
  - {id: anna, dn: "7001", groups: [Sales], skills: {English: 3}, state: not_ready}
  - {id: bob, dn: "7002", groups: [Sales], skills: {English: 9}, state: not_ready}
  - {id: carl, dn: "7003", groups: [Sales], skills: {English: 7}, state: not_ready}
timeline:
  - {at: 0, agent: anna, state: ready}
  - {at: 1, agent: carl, state: ready}
  - {at: 2, agent: bob, state: ready}
  - {at: 5, call: {id: c1, to: "5000"}}
""",
    )
    assert simulation.summary()["interactions"][0]["routed_to"] == "carl"


def test_a_customer_out_of_patience_abandons() -> None:
    simulation = simulate(
        machine_class(ROUTER),
        """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales], state: not_ready}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", patience: 12}}
""",
    )
    summary = simulation.summary()
    assert summary["abandoned"] == 1
    assert summary["interactions"][0]["outcome"] == "abandoned"
    (session,) = simulation.platform.sessions.values()
    assert session.machine.configuration == {"failed"}
    assert session.machine.dm["why"] == "interactiondeleted"


# -- statistics and treatments -----------------------------------------------------

STATISTICS = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/><data id="updates" expr="0"/></datamodel>
  <state id="s">
    <transition event="interaction.added" target="look"/>
  </state>
  <state id="look">
    <onentry>
      <script>
        var s = _genesys.statistic;
        seen.push(s.sData('Sales@Stat_Server.GA', 'StatAgentsAvailable'),
                  s.sData('Sales@.GA', 'StatAgentsTotal'),
                  s.sData('anna@.A', 'StatTimeInReadyState'),
                  s.sData('VQ_Sales@.Q', 'ServiceLevel'));
      </script>
      <statistic:subscribe object="'Sales@.GA'" statistic="'StatAgentsAvailable'" interval="0"/>
    </onentry>
    <transition event="statistic.update">
      <assign location="updates" expr="updates + 1"/>
      <script>seen.push(_event.data.value)</script>
    </transition>
  </state>
</scxml>"""


def test_statistics_are_computed_from_the_simulation_and_fixed_by_the_scenario() -> (
    None
):
    simulation = simulate(
        machine_class(STATISTICS),
        """
dns: [{number: "5000", type: RoutingPoint}]
agents:
  - {id: anna, dn: "7001", groups: [Sales], state: not_ready}
  - {id: bob, dn: "7002", groups: [Sales], state: not_ready}
statistics: {"VQ_Sales@.Q": {ServiceLevel: 85}}
timeline:
  - {at: 0, agent: anna, state: ready}
  - {at: 4, call: {id: c1, to: "5000"}}
  - {at: 6, agent: bob, state: ready}
""",
    )
    (session,) = simulation.platform.sessions.values()
    seen = list(session.machine.dm["seen"])
    # available, logged in, anna ready for 4s, fixed; then updates: 1 at once, 2 when bob is ready
    assert seen == [1, 2, 4, 85, 1, 2]


IVR = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="answers" expr="[]"/></datamodel>
  <state id="s"><transition event="interaction.added" target="ask"/></state>
  <state id="ask">
    <onentry>
      <dialog:playandcollect>
        <dialog:prompts type="ann"><dialog:prompt intid="101"/></dialog:prompts>
        <dialog:input max_digits="2" total_timeout="6"/>
      </dialog:playandcollect>
    </onentry>
    <transition event="dialog.playandcollect.done" cond="answers.length &lt; 2" target="ask">
      <script>answers.push(_event.data.digits + '@' + Math.round(0))</script>
    </transition>
    <transition event="error.dialog.playandcollect" target="end">
      <script>answers.push(_event.data.error)</script>
    </transition>
    <transition event="dialog.playandcollect.done" target="end"/>
  </state>
  <state id="end"/>
</scxml>"""


def test_collect_answers_scripted_digits_then_times_out() -> None:
    simulation = simulate(
        machine_class(IVR),
        """
dns: [{number: "5000", type: RoutingPoint}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", digits: ["123", "4"]}}
""",
    )
    (session,) = simulation.platform.sessions.values()
    assert list(session.machine.dm["answers"]) == ["12@0", "4@0", "timeout"]
    treatments = texts(simulation, "treatment")
    assert treatments[0].startswith("0 treatment - c1 playandcollect")
    # prompt 2s + 2 digits, prompt 2s + 1 digit, prompt 2s + 6s timeout
    assert [line.split()[0] for line in treatments] == ["0", "4", "7"]


# -- scenario files and the command line -----------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("agents: [{place: x}]", "agents[0]: missing 'id'"),
        (
            "agents: [{id: a, state: sleeping}]",
            "agents[0].state: unknown state 'sleeping'",
        ),
        (
            "timeline: [{call: {id: c}}]",
            "timeline[0]: missing 'at'",
        ),
        ("timeline: [{at: 1, call: {id: c}}]", "timeline[0].call: missing 'to'"),
        ("timeline: [{at: 1, agent: ghost}]", "timeline[0].agent: no agent 'ghost'"),
        ("start: yesterday", "start: not an ISO date and time: 'yesterday'"),
        (
            "timeline: [{at: 1, call: {id: c, to: x}, hangup: c}]",
            "timeline[0]: needs exactly one of",
        ),
        ("statistics: {x: {a: foo}}", "statistics.x.a: expected a number, got 'foo'"),
        (
            "statistics: {x: 3}",
            "statistics.x: expected a mapping of statistic names to numbers, got 3",
        ),
        (
            "timeline: [{at: 1, call: {id: c, to: x, dialogs: [1]}}]",
            "timeline[0].call.dialogs[0]: expected a dialog result, got 1",
        ),
        (
            "timeline: [{at: 1, call: {id: c, to: x, udata: [1]}}]",
            "timeline[0].call.udata: expected a mapping of user data, got a list",
        ),
        (
            "agents: [{id: a, skills: {x: y}}]",
            "agents[0].skills.x: expected a skill level (a number), got 'y'",
        ),
        (
            "agents: [{id: a, groups: Support}]",
            "agents[0].groups: expected a list of group names, got 'Support'",
        ),
        ("responses: {a: 3}", "responses.a: expected a standard response, got 3"),
        ("until: soon", "until: expected a number of seconds, got 'soon'"),
        ("handle_time: .inf", "handle_time: expected a number of seconds, got inf"),
        (
            "timeline: [{at: -1, hangup: c}]",
            "timeline[0].at: expected 0 to 1000000000 seconds, got -1",
        ),
        (
            "screening: [{name: a, pattern: '('}]",
            "screening[0].pattern: not a regular expression",
        ),
        (
            "dns: [{number: '1', options: [1]}]",
            "dns[0].options: expected a mapping of option names to values",
        ),
        ("seed: 1.5", "seed: expected an integer, got 1.5"),
        ("start: !!python/object/apply:os.getcwd []", "not valid YAML"),
        ("options: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("options: " + "[" * 70 + "]" * 70, "nested too deeply (over 64 levels)"),
    ],
)
def test_scenario_errors_name_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    # file:line:col: error: entry: message; file: error: message for the whole file
    pattern = rf"{re.escape(str(path))}(:1:\d+)?: error: {re.escape(message)}.*"
    lines = str(raised.value).splitlines()
    assert any(re.fullmatch(pattern, line) for line in lines), lines


def test_scenario_files_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scxmlc.runtime.sim import scenario

    monkeypatch.setattr(scenario, "MAX_SCENARIO_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("options: {a: '" + "x" * 100 + "'}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="larger than 100 bytes"):
        load_scenario(path)
    path.write_bytes(b"options: {a: '\xff'}\n")
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_scenario(path)


def test_run_with_a_scenario_prints_trace_and_summary(tmp_path: Path) -> None:
    from ors_harness import NAMESPACES

    app = tmp_path / "router.scxml"
    app.write_text(ROUTER.replace("{ns}", NAMESPACES), encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        'dns: [{number: "5000", type: RoutingPoint}]\n'
        'agents: [{id: anna, dn: "7001", groups: [Sales]}]\n'
        'timeline: [{at: 0, call: {id: c1, to: "5000", talk: 10}}]\n',
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-m",
        "scxmlc.compiler.commands.cli",
        "run",
        str(app),
        "--scenario",
        str(scenario),
    ]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "    0.000  S1   event          queue.submit.done" in text
    assert "  c1         voice  at 5000           routed to anna after 0s" in text
    assert "  S1 router: ended at 10s in done" in text
    result = json.loads(
        subprocess.run(
            [*command, "--json"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert result["summary"]["routed"] == 1
    assert {
        "time": 0.0,
        "kind": "route",
        "text": "c1 -> agent anna (A) from VQ after 0s",
    } in result["trace"]


ORDERED = """<scxml {ns} profile="ecmascript" initial="wait">
  <state id="wait"><transition event="interaction.added" target="queued"/></state>
  <state id="queued">
    <onentry>
      <queue:submit queue="'VQ'" ordertype="ORDERTYPE" orderstat="'StatTimeInReadyState'">
        <queue:targets><queue:targetid expr="'[3]Sales@.GA, [1]Support@.GA'"/></queue:targets>
      </queue:submit>
    </onentry>
    <transition event="queue.submit.done" target="routed"/>
  </state>
  <state id="routed"/>
</scxml>"""

READY_AT = """
dns: [{number: "5000", type: RoutingPoint}]
agents:
  - {id: anna, dn: "7001", groups: [Sales], state: not_ready}
  - {id: bob, dn: "7002", groups: [Sales], state: not_ready}
  - {id: cleo, dn: "7003", groups: [Support], state: not_ready}
  - {id: dora, dn: "7004", groups: [Support], state: not_ready}
timeline:
  - {at: 0, agent: bob, state: ready}
  - {at: 1, agent: cleo, state: ready}
  - {at: 2, agent: anna, state: ready}
  - {at: 3, agent: dora, state: ready}
"""


@pytest.mark.parametrize(
    "ordertype, expected",
    [
        # longest ready first: bob (0), cleo (1), anna (2), dora (3)
        ("'max'", ["bob", "cleo", "anna", "dora"]),
        ("'min'", ["dora", "anna", "cleo", "bob"]),
    ],
)
def test_ordertype_and_orderstat_choose_among_candidates(
    ordertype: str, expected: list[str]
) -> None:
    calls = "".join(
        f'\n  - {{at: 10, call: {{id: c{i}, to: "5000", talk: 600}}}}' for i in range(4)
    )
    simulation = simulate(
        machine_class(ORDERED.replace("ORDERTYPE", ordertype)), READY_AT + calls
    )
    routed = [c["routed_to"] for c in simulation.summary()["interactions"]]
    assert routed == expected


OPTIONS = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <transition event="interaction.added" target="t">
      <script>
        var id = _event.data.interactionid, session = _genesys.session;
        seen.push(session.getConfigOption(id, 'greeting', session.lookupseq.StartFromStrategy),
                  session.getConfigOption(id, 'language', -1),
                  session.getConfigOption(id, 'missing', -1),
                  session.getListItemValue('Routing', 'Sales', 'vq'),
                  session.getListItemValue('Routing', 'Nope', 'vq'),
                  session.tenant, session.tenantid, session.server.name,
                  _genesys.ixn.interactions[id].category,
                  _genesys.ixn.interactions[id].msgbased.media);
      </script>
    </transition>
  </state>
  <state id="t"/>
</scxml>"""


def test_options_lists_tenant_and_message_media() -> None:
    simulation = simulate(
        machine_class(OPTIONS),
        """
tenant: Acme
tenantid: 7
dns: [{number: "5000", type: RoutingPoint, options: {greeting: short}}]
options: {greeting: long, language: fr}
lists: {Routing: {Sales: {vq: VQ_Sales}}}
timeline:
  - {at: 0, message: {id: s1, to: "5000", media: sms, from: "+15550100"}}
""",
    )
    (session,) = simulation.platform.sessions.values()
    assert list(session.machine.dm["seen"]) == [
        "short",  # the option of the DN the interaction is on comes first
        "fr",
        "",
        "VQ_Sales",
        "",
        "Acme",
        "7",
        "ORS_Server",
        "sms",
        "sms",
    ]


def test_message_media_must_be_known(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("timeline: [{at: 0, message: {id: m, to: q, media: pigeon}}]")
    with pytest.raises(
        ScenarioError, match=r"timeline\[0\].message.media: unknown media 'pigeon'"
    ):
        load_scenario(path)


def test_reply_addresses_from_the_interaction_answered() -> None:
    from scxmlc.runtime.ors import Interaction
    from scxmlc.runtime.ors.interaction_api import _addresses

    mail = Interaction(
        "m1",
        category="email",
        udata={
            "FromAddress": "pat@example.com",
            "To": "support@acme.com, sales@acme.com",
            "Cc": "boss@example.com",
            "EmailAddress": "pat.private@example.net",
        },
    )
    assert _addresses("_origin", mail) == ("pat@example.com",)
    assert _addresses("_origin.all", mail) == (
        "pat@example.com",
        "support@acme.com",
        "sales@acme.com",
        "boss@example.com",
    )
    assert _addresses("_udata", mail) == ("pat.private@example.net",)
    assert _addresses(["a@x.org", "_origin"], mail) == ("a@x.org", "pat@example.com")
    with pytest.raises(
        ValueError, match="'_origin' needs the interaction being answered"
    ):
        _addresses("_origin", None)


CLOCKS = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <transition event="interaction.added" target="t">
      <script>seen.push(new Date().toISOString(), _genesys.session.timeInZone('EST'),
                        _genesys.session.dateInZone('JST'));</script>
    </transition>
  </state>
  <state id="t"/>
</scxml>"""


def test_date_and_the_time_functions_read_the_scenario_clock() -> None:
    simulation = simulate(
        machine_class(CLOCKS),
        """
start: "2026-12-31T23:30:00+00:00"
dns: [{number: "5000", type: RoutingPoint}]
timeline: [{at: 90, call: {id: c1, to: "5000"}}]
""",
    )
    (session,) = simulation.platform.sessions.values()
    assert list(session.machine.dm["seen"]) == [
        "2026-12-31T23:31:30.000Z",
        "18:31:30",
        "2027-01-01",
    ]


def test_an_unreadable_target_fails_the_submit_with_its_reason() -> None:
    bad = ROUTER.replace(
        '<queue:targets type="agentgroup"><queue:target name="\'Sales\'"/></queue:targets>',
        "<queue:targets><queue:targetid expr=\"'Sales'\"/></queue:targets>",
    ).replace(
        '<assign location="why" expr="_event.data.error"/>',
        '<assign location="why" expr="_event.data.error + \': \' + _event.data.description"/>',
    )
    simulation = simulate(
        machine_class(bad),
        'dns: [{number: "5000", type: RoutingPoint}]\n'
        'timeline: [{at: 0, call: {id: c1, to: "5000"}}]\n',
    )
    (session,) = simulation.platform.sessions.values()
    assert session.machine.dm["why"] == (
        "invalidparameter: not a target: 'Sales' (expected name@statserver.TYPE)"
    )


REPLIES = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <transition event="interaction.present">
      <script>
        var ixn = _genesys.ixn.interactions[_event.data.interactionid];
        seen.push(ixn.g_uid + ':' + ixn.parentid + ':' + ixn.msgbased.type);
      </script>
    </transition>
  </state>
</scxml>"""


def test_a_customer_reply_arrives_with_its_parent() -> None:
    simulation = simulate(
        machine_class(REPLIES),
        """
interaction_queues: [Inbound]
timeline:
  - {at: 0, email: {id: m1, to: Inbound, from: pat@example.com, subject: Hi}}
  - {at: 60, email: {id: m2, to: Inbound, from: pat@example.com, reply_to: msg-out-7,
                     subject: "Re: Hi"}}
""",
    )
    seen = [list(s.machine.dm["seen"]) for s in simulation.platform.sessions.values()]
    assert seen == [["m1:undefined:Inbound"], ["m2:msg-out-7:InboundReply"]]
