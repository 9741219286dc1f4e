"""`scxmlc run ... --html PAGE`: one self-contained page that replays a run.

The page holds the chart (the SVG of `scxmlc graph`, inline), the run as JSON
and a small script: it steps through the run (buttons, the arrow keys,
Home/End), and per step highlights the active states and the transitions
taken and shows, beside the chart, the event, the microsteps, the datamodel
and what the platform did (ORS requests and events, logs, errors).

Everything from the run (event data, logged values, datamodel values) is
untrusted: it reaches the page only as JSON inside a `<script
type="application/json">` element, with `<`, `>`, `&` and the JavaScript line
separators escaped, and the script shows it through `textContent`. The page
loads nothing from the network, and its Content-Security-Policy forbids it.

Steps come from the traces built on the observer's step hook (runtime/steps.py):
`steps_from_run` reads the trace of `run` without a scenario (its `after`
entries, with the microsteps, logs and errors before them),
`steps_from_platform` the platform trace of a scenario run (its `state`
entries, with the other entries before them as actions). A step is a dict:
`label`, `session`, `time`, `event`, `configuration` (active state ids),
`transitions` (indices, as the SVG's `transition:N` ids), `microsteps`
(readable lines), `datamodel` (or None) and `actions` (`{kind, text}`).

A test or a tool can open `PAGE#step=N` to show step N at once, and
`PAGE#keys=ArrowRight,End` to have the page press those keys after loading;
the body's `data-step` says which step is shown.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scxmlc.runtime.ors.trace import TraceEntry

from ..graph import GraphvizMissing, render_graphviz, to_dot
from .graph import document_picture

__all__ = ["page", "steps_from_platform", "steps_from_run", "write_page"]


def write_page(document: str, steps: list[dict[str, Any]], output: str) -> int:
    """Write the page of a run of `document` to `output`; the exit status
    (1, with a message, when the chart cannot be drawn or written)."""
    picture = document_picture(document)
    if picture is None:
        return 1
    try:
        svg = render_graphviz(to_dot(picture), "svg").decode("utf-8")
    except GraphvizMissing:
        print(
            "scxmlc run: --html: Graphviz's dot program was not found: install "
            "Graphviz (Debian: apt-get install graphviz)",
            file=sys.stderr,
        )
        return 1
    try:
        Path(output).write_text(page(picture.name, svg, steps), encoding="utf-8")
    except OSError as error:
        print(f"scxmlc run: {output}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def page(title: str, svg: str, steps: list[dict[str, Any]]) -> str:
    """The HTML text of the page: `svg` is the chart (from Graphviz), `steps`
    the run (see the module's docstring)."""
    start = svg.find("<svg")
    chart = svg[start:] if start >= 0 else ""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src '
            "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
            f"<title>{html.escape(title)}: a run</title>",
            f"<style>{_STYLE}</style></head>",
            '<body data-step="">',
            '<header><h1></h1><nav><button id="first" title="first (Home)">«</button>'
            '<button id="previous" title="previous (←)">◀</button>'
            '<span id="position"></span>'
            '<button id="next" title="next (→)">▶</button>'
            '<button id="last" title="last (End)">»</button></nav></header>',
            '<main><section id="chart">',
            chart,
            '</section><aside><h2 id="event"></h2><p id="when"></p>'
            '<h3>Transitions</h3><ul id="microsteps"></ul>'
            '<h3>Active states</h3><p id="configuration"></p>'
            '<h3>Datamodel</h3><table id="datamodel"></table>'
            '<h3>Platform</h3><ul id="actions"></ul></aside></main>',
            '<ol id="steps"></ol>',
            f'<script type="application/json" id="run">{_json_for_html({"title": title, "steps": steps})}</script>',
            f"<script>{_SCRIPT}</script>",
            "</body></html>",
            "",
        ]
    )


def _json_for_html(value: Any) -> str:
    """`value` as JSON that cannot end or alter the element that holds it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


# -- steps from the traces ---------------------------------------------------------


def steps_from_run(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps of `scxmlc run`'s trace (without a scenario): one per
    `after` entry, the entries before it as its microsteps and actions."""
    steps: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for entry in trace:
        if "after" not in entry:
            pending.append(entry)
            continue
        micro = [e for e in pending if "step" in e]
        event = next((e for e in pending if "event" in e), None)
        steps.append(
            {
                "label": f"after {entry['after']}",
                "session": None,
                "time": None,
                "event": _event_text(event) if event is not None else None,
                "configuration": list(entry["configuration"]),
                "transitions": [t["index"] for m in micro for t in m["transitions"]],
                "microsteps": [_microstep_text(m) for m in micro],
                "datamodel": entry.get("datamodel"),
                "actions": [_run_action(e) for e in pending if "step" not in e],
            }
        )
        pending = []
    return steps


def _event_text(entry: dict[str, Any]) -> str:
    data = entry.get("data")
    return str(entry["event"]) + (f" {json.dumps(data)}" if data is not None else "")


def _run_action(entry: dict[str, Any]) -> dict[str, str]:
    if "log" in entry:
        return {"kind": "log", "text": f"{entry['log']}: {json.dumps(entry['value'])}"}
    if "error" in entry:
        return {"kind": "error", "text": f"{entry['error']}: {entry['message']}"}
    return {"kind": "event", "text": _event_text(entry)}


def _microstep_text(step: dict[str, Any]) -> str:
    """`event: a → b [cond], c → d` (a targetless transition says so)."""
    taken = ", ".join(
        f"{t['source'] or 'scxml'} → {' '.join(t['targets']) or '(targetless)'}"
        + (f" [{t['cond']}]" if t.get("cond") else "")
        for t in step["transitions"]
    )
    return f"{step['step'] or '(eventless)'}: {taken}"


def steps_from_platform(entries: Iterable[TraceEntry]) -> list[dict[str, Any]]:
    """The steps of a platform trace (a scenario run): one per `state` entry,
    the entries since the previous one as its actions."""
    steps: list[dict[str, Any]] = []
    pending: list[TraceEntry] = []
    for entry in entries:
        if entry.kind != "state":
            pending.append(entry)
            continue
        macrosteps = entry.data.get("macrosteps", [])
        micro = [m for macro in macrosteps for m in macro["steps"]]
        configuration = (
            macrosteps[-1]["configuration"] if macrosteps else entry.text.split(", ")
        )
        events = [e.text for e in pending if e.kind == "event"]
        steps.append(
            {
                "label": f"{entry.session or ''} {entry.text}".strip(),
                "session": entry.session,
                "time": round(entry.time, 3),
                "event": events[-1] if events else None,
                "configuration": list(configuration),
                "transitions": [t["index"] for m in micro for t in m["transitions"]],
                "microsteps": [_microstep_text(m) for m in micro],
                "datamodel": entry.data.get("datamodel"),
                "actions": [
                    {
                        "kind": e.kind,
                        "text": f"{e.time:.3f} {e.session or '--'} {e.text}",
                    }
                    for e in pending
                ],
            }
        )
        pending = []
    return steps


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1a202c; }
header { display: flex; gap: 1em; align-items: center; padding: .5em 1em;
  background: #edf2f7; border-bottom: 1px solid #cbd5e0; }
header h1 { font-size: 1.1em; margin: 0; }
nav button { font-size: 1em; margin: 0 .15em; }
#position { display: inline-block; min-width: 6em; text-align: center; }
main { display: flex; gap: 1em; padding: 1em; align-items: flex-start; }
#chart { flex: 1 1 60%; overflow: auto; }
#chart svg { max-width: 100%; height: auto; }
aside { flex: 1 1 40%; min-width: 18em; }
aside h2 { font-size: 1.05em; margin: 0 0 .2em; word-break: break-all; }
aside h3 { font-size: .95em; margin: .8em 0 .2em; color: #4a5568; }
aside ul { margin: 0; padding-left: 1.2em; }
#datamodel td { padding: 0 .6em 0 0; vertical-align: top; font-family: monospace;
  white-space: pre-wrap; word-break: break-all; }
#actions li.error { color: #c53030; }
#actions li { font-family: monospace; white-space: pre-wrap; word-break: break-all; }
#steps { margin: 0 1em 1em; padding-left: 2.5em; columns: 3; font-size: .9em; }
#steps li { cursor: pointer; }
#steps li.current { font-weight: bold; color: #b7791f; }
g.active > path, g.active > polygon, g.active > ellipse {
  fill: #fefcbf; stroke: #b7791f; stroke-width: 2.5; }
g.cluster.active > path, g.cluster.active > polygon { fill: #fffff0; }
g.taken > path { stroke: #c53030; stroke-width: 2.5; }
g.taken > polygon { fill: #c53030; stroke: #c53030; }
g.taken > text { fill: #c53030; font-weight: bold; }
"""

_SCRIPT = """
"use strict";
(function () {
  const run = JSON.parse(document.getElementById("run").textContent);
  const steps = run.steps;
  const byId = (id) => document.getElementById(id);
  let current = -1;

  function text(id, value) { byId(id).textContent = value; }

  function list(id, items, kind) {
    const element = byId(id);
    element.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = kind ? item.text : item;
      if (kind) { li.className = item.kind; }
      element.appendChild(li);
    }
  }

  function datamodel(values) {
    const table = byId("datamodel");
    table.replaceChildren();
    if (values === null || values === undefined) {
      const row = table.insertRow();
      row.insertCell().textContent = "(not shown)";
      return;
    }
    for (const name of Object.keys(values).sort()) {
      const row = table.insertRow();
      row.insertCell().textContent = name;
      row.insertCell().textContent = JSON.stringify(values[name]);
    }
  }

  function highlight(step) {
    for (const element of document.querySelectorAll("g.active, g.taken")) {
      element.classList.remove("active", "taken");
    }
    for (const id of step.configuration) {
      const element = byId("state:" + id);
      if (element) { element.classList.add("active"); }
    }
    for (const index of step.transitions) {
      const element = byId("transition:" + index);
      if (element) { element.classList.add("taken"); }
    }
  }

  function show(index) {
    if (!steps.length) { text("position", "no steps"); return; }
    index = Math.max(0, Math.min(steps.length - 1, index));
    current = index;
    const step = steps[index];
    highlight(step);
    text("position", (index + 1) + " / " + steps.length);
    text("event", step.event === null ? step.label : step.event);
    const where = [];
    if (step.session) { where.push("session " + step.session); }
    if (step.time !== null && step.time !== undefined) { where.push(step.time + " s"); }
    where.push(step.label);
    text("when", where.join(" \u00b7 "));
    list("microsteps", step.microsteps.length ? step.microsteps : ["(none)"]);
    text("configuration", step.configuration.join(", "));
    datamodel(step.datamodel);
    list("actions", step.actions, true);
    const items = byId("steps").children;
    for (let i = 0; i < items.length; i++) {
      items[i].classList.toggle("current", i === index);
    }
    document.body.dataset.step = String(index);
  }

  function key(event) {
    const moves = { ArrowRight: current + 1, ArrowDown: current + 1,
      ArrowLeft: current - 1, ArrowUp: current - 1, Home: 0, End: steps.length - 1 };
    if (event.key in moves) { event.preventDefault(); show(moves[event.key]); }
  }

  document.querySelector("header h1").textContent = run.title;
  steps.forEach(function (step, index) {
    const li = document.createElement("li");
    li.textContent = step.event === null ? step.label : step.event;
    li.addEventListener("click", function () { show(index); });
    byId("steps").appendChild(li);
  });
  byId("first").addEventListener("click", function () { show(0); });
  byId("previous").addEventListener("click", function () { show(current - 1); });
  byId("next").addEventListener("click", function () { show(current + 1); });
  byId("last").addEventListener("click", function () { show(steps.length - 1); });
  document.addEventListener("keydown", key);

  const hash = new URLSearchParams(location.hash.slice(1));
  show(Number(hash.get("step") || 0));
  for (const name of (hash.get("keys") || "").split(",").filter(Boolean)) {
    document.dispatchEvent(new KeyboardEvent("keydown", { key: name }));
  }
})();
"""
