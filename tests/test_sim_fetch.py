"""`<session:fetch>` in the simulator: scripted answers from the scenario.

- the first rule that matches the method and URL (a `url` glob or a `prefix`)
  answers, after its `delay` of virtual time, with its status, body and headers;
- an unscripted fetch fails at once with `error.session.fetch`, saying the URL
  was not scripted, and no network is used;
- scenario input is checked strictly, with limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scxmlc.runtime.ors import http
from scxmlc.runtime.ors.plain import plain
from scxmlc.runtime.sim import (
    ScenarioError,
    Simulation,
    load_scenario,
    parse_scenario,
)
from scxmlc.runtime.sim.fetch import MAX_BODY_BYTES

from ors_harness import NAMESPACES, machine_class, simulate

FETCHER = """<scxml {ns} profile="ecmascript" initial="idle">
  <datamodel>
    <data id="todo" expr="TODO"/>
    <data id="f" expr="null"/>
    <data id="seen" expr="[]"/>
  </datamodel>
  <state id="idle"><transition event="interaction.added" target="next"/></state>
  <state id="next">
    <transition cond="todo.length == 0" target="done"/>
    <transition target="fetching"><assign location="f" expr="todo.shift()"/></transition>
  </state>
  <state id="fetching">
    <onentry>
      <session:fetch srcexpr="f.url" method="f.method || 'get'" type="f.type"
                     timeout="f.timeout"/>
    </onentry>
    <transition event="session.fetch.done" target="next">
      <script>seen.push({content: _event.data.content, hints: _event.data.hints})</script>
    </transition>
    <transition event="error.session.fetch" target="next">
      <script>seen.push({error: _event.data.error, description: _event.data.description,
                         url: _event.data.url})</script>
    </transition>
  </state>
  <state id="done"/>
</scxml>"""

CALL = """
dns: [{number: "5000", type: RoutingPoint}]
timeline: [{at: 0, call: {id: c1, to: "5000"}}]
"""

RULES = """
fetch:
  - {url: "http://crm.example/customer/*", method: get, status: 200,
     body: {segment: gold, tags: [a, b]}, headers: {X-Trace: abc}, delay: 1.5}
  - {url: "http://crm.example/customer/*", status: 201, body: created}
  - {url: "http://crm.example/health", body: ok}
  - {prefix: "http://crm.example/", status: 503, body: "down", delay: 2}
  - {url: "http://slow.example/*", body: late, delay: 30}
"""


def _run(requests: list[dict[str, Any]], rules: str) -> tuple[list[Any], Simulation]:
    """Run the fetcher over `requests` against the scenario `rules`; what it
    saw, and the simulation."""
    document = FETCHER.replace("TODO", json.dumps(requests).replace('"', "'"))
    simulation = simulate(machine_class(document), CALL + rules)
    (session,) = simulation.platform.sessions.values()
    assert session.machine.configuration == {"done"}
    return plain(session.machine.dm["seen"]), simulation


def _answer_times(simulation: Simulation) -> list[float]:
    return [
        entry.time
        for entry in simulation.trace.entries
        if entry.kind == "event"
        and entry.text in ("session.fetch.done", "error.session.fetch")
    ]


def test_the_first_matching_rule_answers_after_its_delay() -> None:
    seen, simulation = _run(
        [
            {"url": "http://crm.example/customer/42?full=1"},
            {"url": "http://crm.example/customer/42", "method": "post"},
            {"url": "http://crm.example/health?probe=1"},
            {"url": "http://crm.example/orders"},
        ],
        RULES,
    )
    assert seen == [
        {
            "content": '{"segment": "gold", "tags": ["a", "b"]}',
            "hints": {
                "status": 200,
                "Content-Type": "application/json",
                "X-Trace": "abc",
            },
        },
        # the first rule answers GET only: the second, for every method
        {"content": "created", "hints": {"status": 201, "Content-Type": "text/plain"}},
        # a url without '*' matches the URL without its query too
        {"content": "ok", "hints": {"status": 200, "Content-Type": "text/plain"}},
        {"error": "http.503", "description": "http://crm.example/orders answered 503"},
    ]
    # each answer after its delay, the next fetch starting then
    assert _answer_times(simulation) == [1.5, 1.5, 1.5, 3.5]


def test_a_delay_past_the_timeout_and_a_type_mismatch_fail() -> None:
    seen, simulation = _run(
        [
            {"url": "http://slow.example/x", "timeout": 5},
            {"url": "http://crm.example/health", "type": "application/json"},
        ],
        RULES,
    )
    assert [s["error"] for s in seen] == ["http.timeout", "http.typemismatch"]
    assert _answer_times(simulation) == [5, 5]


def test_an_unscripted_fetch_fails_at_once_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a simulation used the network")

    monkeypatch.setattr(http, "fetch_now", no_network)
    monkeypatch.setattr(http, "perform", no_network)
    seen, simulation = _run(
        [{"url": "http://unknown.example/api", "method": "post"}], RULES
    )
    (failure,) = seen
    assert failure["error"] == "http.error"
    assert failure["url"] == "http://unknown.example/api"
    assert "POST http://unknown.example/api was not scripted in the scenario" in (
        failure["description"]
    )
    assert _answer_times(simulation) == [0]
    # and with no rules at all
    seen, _ = _run([{"url": "http://crm.example/health"}], "")
    assert seen[0]["error"] == "http.error"


def test_the_short_form_of_earlier_scenarios_still_answers() -> None:
    seen, _ = _run(
        [{"url": "http://crm/api?ani=1"}, {"url": "http://crm/other"}],
        'fetch: {"http://crm/api": {status: 200, body: {segment: gold}}}\n',
    )
    assert seen[0]["content"] == '{"segment": "gold"}'
    assert seen[1]["error"] == "http.error"


def test_scxmlc_run_answers_from_the_scenario(tmp_path: Path) -> None:
    app = tmp_path / "fetcher.scxml"
    requests = [{"url": "http://crm.example/health"}, {"url": "http://nowhere/"}]
    app.write_text(
        FETCHER.replace("{ns}", NAMESPACES).replace(
            "TODO", json.dumps(requests).replace('"', "'")
        ),
        encoding="utf-8",
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(CALL + RULES, encoding="utf-8")
    command = [sys.executable, "-m", "scxmlc.compiler.commands.cli", "run", str(app)]
    result = json.loads(
        subprocess.run(
            [*command, "--scenario", str(scenario), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    events = [e for e in result["trace"] if e["kind"] == "event"]
    answers = [e for e in events if "fetch" in e["text"]]
    assert [e["text"] for e in answers] == [
        "session.fetch.done",
        "error.session.fetch",
    ]


# -- checking scenario input ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("fetch: 3", "fetch: expected a list of rules"),
        ("fetch: [{body: x}]", "fetch[0]: needs exactly one of 'url' and 'prefix'"),
        (
            "fetch: [{url: 'http://a/', prefix: 'http://a/'}]",
            "fetch[0]: needs exactly one of 'url' and 'prefix'",
        ),
        ("fetch: [{url: 'http://a/', satus: 200}]", "fetch[0]: unknown key 'satus'"),
        ("fetch: [{url: 7}]", "fetch[0].url: expected a URL (text)"),
        (
            "fetch: [{url: 'http://a/', status: 700}]",
            "fetch[0].status: expected an HTTP status from 100 to 599, got 700",
        ),
        (
            "fetch: [{url: 'http://a/', status: true}]",
            "fetch[0].status: expected an HTTP status",
        ),
        (
            "fetch: [{url: 'http://a/', method: 'GET /x'}]",
            "fetch[0].method: not an HTTP method",
        ),
        (
            "fetch: [{url: 'http://a/', delay: -1}]",
            "fetch[0].delay: expected 0 to 86400 seconds",
        ),
        (
            "fetch: [{url: 'http://a/', delay: .nan}]",
            "fetch[0].delay: expected a number of seconds, got nan",
        ),
        (
            "fetch: [{url: 'http://a/', body: !!set {a}}]",
            "fetch[0].body: expected plain data (text, a number, a boolean, null, "
            "a list or a mapping), got a set",
        ),
        (
            "fetch: [{url: 'http://a/', body: !!binary aGVsbG8=}]",
            "fetch[0].body: expected plain data (text, a number, a boolean, null, "
            "a list or a mapping), got binary data",
        ),
        (
            "fetch: [{url: 'http://a/', body: [.inf]}]",
            "fetch[0].body[0]: expected plain data (text, a number, a boolean, "
            "null, a list or a mapping), got inf",
        ),
        (
            "fetch: [{url: 'http://a/', headers: {'Bad Name': x}}]",
            "fetch[0].headers: not a header name: 'Bad Name'",
        ),
        (
            "fetch: [{url: 'http://a/', headers: {X-A: \"a\\r\\nSet-Cookie: x\"}}]",
            "fetch[0].headers.X-A: a header value is one line",
        ),
        (
            "fetch: [{url: 'http://a/', headers: {X-A: [1]}}]",
            "fetch[0].headers.X-A: expected text or a number",
        ),
        (
            "fetch: {'http://a/': {status: 200, bogus: 1}}",
            "fetch['http://a/']: unknown key 'bogus'",
        ),
        (
            "fetch: [!!python/object:object {}]",
            "not valid YAML",
        ),
    ],
)
def test_fetch_rules_are_checked(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{path}:1:")


def test_sizes_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    big = "x" * (MAX_BODY_BYTES + 1)  # a file this big is refused as a whole
    rules = {"fetch": [{"url": "http://a/", "body": big}]}
    with pytest.raises(ScenarioError, match=r"fetch\[0\].body: larger than 1048576"):
        parse_scenario(rules, path)
    # a few lines of aliases that would unfold into billions of values
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        bomb.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    path.write_text(
        "x-bomb:\n"
        + "".join(f"  {line}\n" for line in bomb)
        + "fetch: [{url: 'http://a/', body: *a8}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"more than \d+ values"):
        load_scenario(path)
    path.write_text(
        "fetch:\n" + "".join(f"  - {{url: 'http://a/{i}'}}\n" for i in range(1001)),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"fetch: more than 1000 rules"):
        load_scenario(path)
