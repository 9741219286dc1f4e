"""Scenario files against their published schema, and `scxmlc run --scenario`
as a CI job sees it: which document serves which point, warnings, exit statuses.

- docs/scenario.schema.json is the schema the loader validates with, a valid
  draft 2020-12 schema, and agrees with the loader (every key the loader reads
  is in the schema, every key of the schema is read);
- docs/scenario.md's complete example uses every setting and validates, with
  the loader and with the schema alone; the examples' scenarios validate;
- a scenario with many problems reports every one, at its line and column;
- `run` exits 0, 1 or 3 as docs/scenario.md says.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from scxmlc.compiler.commands.cli import main
from scxmlc.runtime.sim import ScenarioError, load_scenario, parse_scenario
from scxmlc.runtime.sim import checks, fetch, media, scenario
from scxmlc.runtime.sim.model import AGENT_STATES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
SCHEMA = json.loads((DOCS / "scenario.schema.json").read_text(encoding="utf-8"))


def docs_example() -> str:
    """The YAML of docs/scenario.md's "A complete example"."""
    text = (DOCS / "scenario.md").read_text(encoding="utf-8")
    found = re.search(r"## A complete example.*?```yaml\n(.*?)```", text, re.S)
    assert found is not None
    return found.group(1)


def with_documents(tmp_path: Path, text: str) -> Path:
    """`text` as tmp_path/scenario.yaml, beside a file for each document its
    `applications` names."""
    for document in yaml.safe_load(text).get("applications", {}).values():
        (tmp_path / document).write_text("<scxml/>", encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def schema_keys(node: Any) -> set[str]:
    """Every property name the schema declares, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            found |= schema_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= schema_keys(value)
    return found


# -- the schema -------------------------------------------------------------------------


def test_the_published_schema_is_the_one_the_loader_uses() -> None:
    packaged = Path(scenario.__file__).with_name("scenario.schema.json")
    assert packaged.read_bytes() == (DOCS / "scenario.schema.json").read_bytes()
    assert checks.schema() == SCHEMA
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_schema_and_the_loader_agree_on_keys() -> None:
    """A key the loader reads that the schema lacks would be refused as
    unknown; a key of the schema nobody reads (the loader, its checks, the
    fetch rules, the media services that read categories and screening rules)
    would be accepted and ignored."""
    read = "".join(
        Path(module.__file__).read_text(encoding="utf-8")  # type: ignore[arg-type]
        for module in (scenario, checks, fetch, media)
    )
    loader = Path(scenario.__file__).read_text(encoding="utf-8")
    builder = loader[loader.index("def _build(") :]
    keys_read = set(re.findall(r'(?:get\(|\[|in \(?)"([a-z_]+)"', builder))
    declared = schema_keys(SCHEMA)
    assert keys_read, "no key found in the loader"
    assert keys_read <= declared, keys_read - declared
    unread = {key for key in declared if f'"{key}"' not in read}
    assert unread == set()


def test_the_schemas_enumerations_are_the_models() -> None:
    defs = SCHEMA["$defs"]
    assert defs["agent"]["properties"]["state"]["enum"] == list(AGENT_STATES)
    media = defs["message"]["properties"]["media"]["enum"]
    assert set(media) == scenario.MESSAGE_MEDIA
    rule = set(defs["fetch_rule"]["properties"])
    assert rule == set(fetch._KEYS)
    assert set(SCHEMA["properties"]["fetch"]["additionalProperties"]["properties"]) == (
        set(fetch._ANSWER_KEYS)
    )


# -- valid scenarios ----------------------------------------------------------------------


def test_the_docs_example_is_complete_and_valid(tmp_path: Path) -> None:
    text = docs_example()
    raw = yaml.safe_load(text)
    assert set(SCHEMA["properties"]) - set(raw) == set(), "settings left out"
    kinds = {kind for entry in raw["timeline"] for kind in entry if kind != "at"}
    assert kinds >= set(SCHEMA["$defs"]["step"]["properties"]) - {"at", "state"}
    loaded = load_scenario(with_documents(tmp_path, text))
    assert len(loaded.timeline) == len(raw["timeline"])
    assert loaded.config.agents["anna"].skills == {"English": 8.0}
    assert loaded.config.options == {
        "overflow_dn": "8000",
        "max_wait": "60",
        "recording": "true",
    }
    # the schema alone (any validator) accepts it too, once YAML-only values
    # (the unquoted date, the anchor) are what JSON has
    plain = json.loads(json.dumps(raw, default=str))
    assert list(Draft202012Validator(SCHEMA).iter_errors(plain)) == []


@pytest.mark.parametrize(
    "path",
    sorted(EXAMPLES.glob("*.yaml"))
    + sorted((ROOT / "tests/cases/composer/scenarios").glob("*.yaml")),
    ids=lambda path: path.name,
)
def test_the_shipped_scenarios_are_valid(path: Path) -> None:
    assert load_scenario(path).timeline


# -- every problem, where it is -------------------------------------------------------------

MANY_PROBLEMS = """\
applications: {"5000": app.scxml, "5001": gone.scxml}
dns:
  - {number: "5000", type: RoutingPoint}
  - {number: 8000, type: ACDQueu}
groups: [Sales]
agent: [{id: anna}]
agents:
  - {id: anna, dn: "7001", groups: Support}
  - {id: bob, dn: "7001", groups: [Slaes]}
timeline:
  - {at: 0, call: {id: c1, to: "5000", tlk: 10}}
  - {at: 1, call: {id: c2, to: "5010"}}
  - {at: 2, hangup: c3}
  - {at: 3, agent: bobby, state: ready}
"""


def many_problems_reported(path: Path) -> list[str]:
    """The diagnostics of MANY_PROBLEMS written at `path`, beside `app.scxml`."""
    lines = [
        ":1:35: error: applications: '5001' is not a routing point or interaction "
        "queue of the scenario (did you mean '5000'?); declare it in dns with type "
        "RoutingPoint, or in interaction_queues",
        f":1:43: error: applications['5001']: no document 'gone.scxml' "
        f"(looked for {path.parent / 'gone.scxml'})",
        ":4:14: error: dns[1].number: expected a name (text: quote numbers), got 8000",
        ":4:26: error: dns[1].type: unknown DN type 'ACDQueu' (did you mean "
        "'ACDQueue'?)",
        ":6:1: error: unknown key 'agent' (did you mean 'agents'?)",
        ":8:36: error: agents[0].groups: expected a list of group names, got "
        "'Support'",
        ":9:19: error: agents[1].dn: agent 'anna' has DN '7001' too",
        ":9:36: error: agents[1].groups[0]: no group 'Slaes' in the scenario's "
        "groups (did you mean 'Sales'?)",
        ":11:40: error: timeline[0].call: unknown key 'tlk' (did you mean 'talk'?)",
        ":12:32: error: timeline[1].call.to: no routing point or interaction queue "
        "'5010' in the scenario (did you mean '5000'?)",
        ":13:21: error: timeline[2].hangup: no call or other arrival 'c3' to hang up",
        ":14:20: error: timeline[3].agent: no agent 'bobby' (did you mean 'bob'?)",
    ]
    return [f"{path}{line}" for line in lines]


def test_every_problem_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "app.scxml").write_text("<scxml/>", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert raised.value.diagnostics == many_problems_reported(path)
    assert str(raised.value) == "\n".join(raised.value.diagnostics)


@pytest.mark.parametrize(
    "text, message",
    [
        ("seed: 3\nseed: 4\n", "2:1: error: key 'seed' is given twice"),
        (
            "timeline: [{at: 0, agent: a, hangup: c}]",
            "1:12: error: timeline[0]: needs exactly one of 'call', 'email', 'chat', "
            "'message', 'agent', 'hangup' or 'consult' (it has agent and hangup)",
        ),
        (
            "timeline: [{at: 0, hangup: c, state: ready}]",
            "1:31: error: timeline[0]: 'state' goes with 'agent'",
        ),
        (
            "dns: [{number: '5000', type: RoutingPoint}]\n"
            "timeline:\n"
            "  - {at: 0, call: {id: c1, to: '5000'}}\n"
            "  - {at: 9, call: {id: c1, to: '5000'}}\n"
            "  - {at: 5, consult: {id: c2, agent: nobody, call: c1, to: '5000'}}\n",
            "4:24: error: timeline[1].call.id: 'c1' arrives twice (first at "
            "timeline[0])",
        ),
        (
            "agents: [{id: a}]\n"
            "dns: [{number: '5000', type: RoutingPoint}]\n"
            "timeline:\n"
            "  - {at: 0, consult: {id: c2, agent: a, call: c1, to: '5000'}}\n"
            "  - {at: 9, call: {id: c1, to: '5000'}}\n",
            "4:47: error: timeline[0].consult.call: 'c1' arrives only at 9s "
            "(timeline[1]), after this entry",
        ),
        ("until: .nan", "1:8: error: until: expected a number of seconds, got nan"),
        (
            "dns: [{number: '5000', type: RoutingPoint}]\n"
            "interaction_queues: ['5000']\n",
            "2:22: error: interaction_queues[0]: '5000' is a routing point too "
            "(dns[0]); an interaction queue needs a name of its own",
        ),
        (
            "dns: [{number: '5000', type: RoutingPoint}, {number: '7001'}]\n"
            "agents: [{id: anna, dn: '7001'}, {id: bob, dn: '5000'}]\n",
            "2:48: error: agents[1].dn: DN '5000' is a RoutingPoint (dns[0]); an "
            "agent's DN is an Extension",
        ),
        (
            "groups: [Sales, Support, Sales]\n",
            "1:26: error: groups[2]: 'Sales' is listed twice (first at groups[0])",
        ),
        (
            "interaction_queues: [Q, R, Q]\n",
            "1:28: error: interaction_queues[2]: 'Q' is listed twice (first at "
            "interaction_queues[0])",
        ),
        (
            "lists: {L: {when: !!set {a}}}",
            "1:19: error: lists.L.when: expected plain data (text, a number, a "
            "boolean, null, a list or a mapping), got a set",
        ),
        ("- just a list", "1:1: error: a scenario is a mapping of settings"),
        ("x-anything: {goes: [here]}\n", None),
        ("start: 2026-12-01T10:00:00Z\n", None),
    ],
)
def test_what_is_refused_and_what_is_not(
    tmp_path: Path, text: str, message: str | None
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    if message is None:
        load_scenario(path)
        return
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert f"{path}:{message}" in raised.value.diagnostics


def test_a_value_without_a_file_names_the_entries(tmp_path: Path) -> None:
    raw = {"classification": [{"name": f"c{i}"} for i in range(10_001)], "tlk": 1}
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(raw, tmp_path / "s.yaml")
    assert raised.value.diagnostics == [
        f"{tmp_path / 's.yaml'}: error: classification: more than 10000 categories "
        "(the limit)",
        f"{tmp_path / 's.yaml'}: error: unknown key 'tlk'",
    ]


def test_python_objects_are_never_built(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("options: !!python/object/new:os.system [echo hi]\n")
    with pytest.raises(ScenarioError, match=":1:10: error: not valid YAML"):
        load_scenario(path)


# -- scxmlc run --scenario -------------------------------------------------------------------

QUEUE = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
  xmlns:queue="http://www.genesyslab.com/modules/queue" profile="ecmascript"
  name="{name}" initial="wait">
  <state id="wait"><transition event="interaction.added" target="queued"/></state>
  <state id="queued">
    <onentry>
      <queue:submit queue="'VQ'" {timeout}>
        <queue:targets type="agentgroup"><queue:target name="'Sales'"/></queue:targets>
      </queue:submit>
    </onentry>
    <transition event="{done}" target="routed"/>
    <transition event="error.queue.submit" target="overflowed"/>
  </state>
  <state id="routed"><transition event="interaction.deleted" target="end"/></state>
  <state id="overflowed"><transition event="interaction.deleted" target="end"/></state>
  <final id="end"/>
</scxml>"""

CENTER = """\
applications: {applications}
dns: [{{number: "5000", type: RoutingPoint}}, {{number: "5001", type: RoutingPoint}}]
agents: [{{id: anna, dn: "7001", groups: [Sales], state: {state}}}]
timeline:
  - {{at: 0, call: {{id: c1, to: "5000", talk: 10, patience: 20}}}}
  - {{at: 1, call: {{id: c2, to: "5001", talk: 10, patience: 20}}}}
"""


def write_app(
    folder: Path,
    name: str,
    *,
    timeout: str = 'timeout="5"',
    done: str = "queue.submit.done",
) -> Path:
    path = folder / f"{name}.scxml"
    text = QUEUE.format(name=name, timeout=timeout, done=done)
    path.write_text(text, encoding="utf-8")
    return path


def write_center(folder: Path, applications: str = "{}", state: str = "ready") -> Path:
    path = folder / "center.yaml"
    path.write_text(CENTER.format(applications=applications, state=state))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    """`scxmlc run ...`: its exit status, stdout and stderr."""
    status = main(["run", *(str(a) for a in argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def sessions(out: str) -> list[str]:
    """The summary's session lines (`S1 main: ended at ...`)."""
    return re.findall(r"^  (S\d+ \w+):", out, re.M)


def test_the_document_run_serves_the_points_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path, "main")
    center = write_center(tmp_path)
    status, out, err = run(capsys, app, "--scenario", center)
    assert status == 0
    assert err.splitlines() == [
        f"{center}: routing point 5000 is served by {app}",
        f"{center}: routing point 5001 is served by {app}",
    ]
    assert sessions(out) == ["S1 main", "S2 main"]


def test_the_document_run_replaces_another_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scenario maps 5000 to old.scxml and never names new.scxml: running
    new.scxml runs it everywhere, saying what it replaced."""
    write_app(tmp_path, "old")
    new = write_app(tmp_path, "new")
    center = write_center(tmp_path, '{"5000": old.scxml}')
    status, out, err = run(capsys, new, "--scenario", center)
    assert status == 0
    assert err.splitlines() == [
        f"{center}:1:16: note: applications maps 5000 to {tmp_path / 'old.scxml'}; "
        f"{new}, the document run, serves it instead",
        f"{center}: routing point 5000 is served by {new}",
        f"{center}: routing point 5001 is served by {new}",
    ]
    assert sessions(out) == ["S1 new", "S2 new"]


def test_a_scenario_of_several_applications_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main_app = write_app(tmp_path, "main")
    other = write_app(tmp_path, "other")
    center = write_center(tmp_path, '{"5000": main.scxml, "5001": other.scxml}')
    status, out, err = run(capsys, main_app, "--scenario", center)
    assert status == 0
    assert err.splitlines() == [
        f"{center}: routing point 5000 is served by {main_app}",
        f"{center}: routing point 5001 is served by {other}",
    ]
    assert sessions(out) == ["S1 main", "S2 other"]


def test_compile_warnings_are_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path, "main", timeout='timout="5"')
    status, _, err = run(capsys, app, "--scenario", write_center(tmp_path))
    assert status == 0
    assert (
        f"{app}:7:34: warning: <submit>: unknown attribute 'timout' (did you mean "
        "'timeout'?) (ignored)"
    ) in err.splitlines()
    status, _, err = run(capsys, app, "--scenario", write_center(tmp_path), "--strict")
    assert status == 1
    assert err.splitlines() == [
        f"{app}:7:34: error: <submit>: unknown attribute 'timout' (did you mean "
        "'timeout'?)"
    ]


def test_an_invalid_scenario_exits_1_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path, "app")
    path = tmp_path / "s.yaml"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")
    status, out, err = run(capsys, app, "--scenario", path)
    assert (status, out) == (1, "")
    assert err.splitlines() == many_problems_reported(path)


def test_fail_on_error_fails_a_run_with_error_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nobody is ready: both submits time out after 5 s."""
    app = write_app(tmp_path, "main")
    center = write_center(tmp_path, state="not_ready")
    assert run(capsys, app, "--scenario", center)[0] == 0
    status, _, err = run(capsys, app, "--scenario", center, "--fail-on-error")
    assert status == 3
    assert err.splitlines()[-2:] == [
        "scxmlc run: error event at 5s in S1: error.queue.submit",
        "scxmlc run: error event at 6s in S2: error.queue.submit",
    ]
    allowed = ["--fail-on-error", "--allow-error", "error.queue"]
    assert run(capsys, app, "--scenario", center, *allowed)[0] == 0


def test_fail_on_error_fails_a_session_left_waiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt event: the session waits for `queue.submitted.done`, which
    nothing sends; the calls end, the session never does."""
    app = write_app(tmp_path, "main", timeout="", done="queue.submitted.done")
    center = write_center(tmp_path)
    assert run(capsys, app, "--scenario", center)[0] == 0
    status, _, err = run(capsys, app, "--scenario", center, "--fail-on-error")
    assert status == 3
    failures = [line for line in err.splitlines() if line.startswith("scxmlc run:")]
    assert failures == [
        "scxmlc run: session S1 (main) still runs in queued with nothing left that "
        "could end it",
        "scxmlc run: session S2 (main) still runs in queued with nothing left that "
        "could end it",
    ]


def test_fail_on_error_without_a_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "fails.scxml"
    app.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="ecmascript"><state id="s"><onentry>'
        '<assign location="x.y" expr="1"/></onentry></state></scxml>',
        encoding="utf-8",
    )
    assert run(capsys, app)[0] == 0
    status, _, err = run(capsys, app, "--fail-on-error")
    assert status == 3
    assert "scxmlc run: error event error.execution" in err


def test_the_example_in_the_docs_runs_in_ci_with_allowed_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/scenario.md's command: the overflow of the third call is allowed."""
    for name in ("agent_group_routing.scxml", "agent_group_routing.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    app, center = (
        tmp_path / "agent_group_routing.scxml",
        tmp_path / "agent_group_routing.yaml",
    )
    status, _, err = run(capsys, app, "--scenario", center, "--fail-on-error")
    assert status == 3 and "error.queue.submit" in err
    allowed = ["--fail-on-error", "--allow-error", "error.queue.submit"]
    assert run(capsys, app, "--scenario", center, *allowed)[0] == 0


def test_a_run_without_a_default_document_needs_an_application_per_point(
    tmp_path: Path,
) -> None:
    """`Simulation` without a default document (a test, a tool): a call to a
    routing point nothing serves would sit there unserved."""
    from scxmlc.runtime.sim import Simulation

    path = with_documents(
        tmp_path,
        'applications: {"5000": app.scxml}\n'
        'dns: [{number: "5000", type: RoutingPoint}, {number: "5001", type: RoutingPoint}]\n'
        "interaction_queues: [Mail]\n"
        "timeline:\n"
        '  - {at: 0, call: {id: c1, to: "5000"}}\n'
        '  - {at: 1, call: {id: c2, to: "5001"}}\n'
        "  - {at: 2, email: {id: m1, to: Mail}}\n",
    )
    loaded = load_scenario(path)
    with pytest.raises(ScenarioError) as raised:
        Simulation(loaded, lambda document: pytest.fail("nothing is loaded"))
    assert raised.value.diagnostics == [
        f"{path}:6:32: error: timeline[1].call.to: routing point '5001' has no "
        "application (map it to a document in applications)",
        f"{path}:7:33: error: timeline[2].email.to: interaction queue 'Mail' has "
        "no application (map it to a document in applications)",
    ]


def test_applications_name_scxml_documents_under_the_project_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scenario is untrusted: it may not make the simulator read a file that
    is not an SCXML document, or one outside its folder and the current
    directory (by `..`, an absolute path or a link)."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (elsewhere / "app.scxml").write_text("<scxml/>", encoding="utf-8")
    (project / "link.scxml").symlink_to(elsewhere / "app.scxml")
    monkeypatch.chdir(project)
    path = project / "s.yaml"
    path.write_text(
        'applications: {"5000": /etc/passwd, "5001": ../elsewhere/app.scxml, '
        '"5002": link.scxml}\n'
        'dns: [{number: "5000", type: RoutingPoint}, '
        '{number: "5001", type: RoutingPoint}, {number: "5002", type: RoutingPoint}]\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    outside = (
        "is outside the scenario's folder and the current directory; a scenario "
        "names documents under them"
    )
    assert str(raised.value).splitlines() == [
        f"{path}:1:24: error: applications['5000']: '/etc/passwd' is not an SCXML "
        "document (a name ending in .scxml)",
        f"{path}:1:45: error: applications['5001']: '../elsewhere/app.scxml' {outside}",
        f"{path}:1:77: error: applications['5002']: 'link.scxml' {outside}",
    ]
