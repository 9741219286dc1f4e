"""Running small ECMAScript documents in tests: what their `<log>`s record."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import scxmlc
from scxmlc.runtime import Clock, VirtualClock

from recording import Recorder


def document(body: str, data: str = "", script: str = "", name: str = "doc") -> str:
    """A document whose initial state runs `body` on entry, after `script`."""
    return f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" name="{name}">
  <datamodel>{data}</datamodel>
  <script>{script}</script>
  <state id="s"><onentry>{body}</onentry></state>
</scxml>
"""


def start(
    tmp_path: Path,
    body: str,
    data: str = "",
    script: str = "",
    clock: Clock | None = None,
    name: str = "doc",
) -> tuple[Any, Recorder]:
    """A started session of `document(...)` and the recorder observing it."""
    path = tmp_path / f"{name}.scxml"
    path.write_text(document(body, data, script, name), encoding="utf-8")
    recorder = Recorder()
    machine = scxmlc.load(path)(clock or VirtualClock(), observer=recorder)
    machine.start()
    return machine, recorder


def run(
    tmp_path: Path,
    body: str,
    data: str = "",
    script: str = "",
    clock: Clock | None = None,
) -> list[Any]:
    """The logged values of a session of `document(...)`, then its errors."""
    _, recorder = start(tmp_path, body, data, script, clock)
    return recorder.values + [f"{name}: {message}" for name, message in recorder.errors]


def logs(*expressions: str) -> str:
    """`<log expr>` elements for `expressions`."""
    return "".join(f'<log expr="{e}"/>' for e in expressions)


def evaluate(tmp_path: Path, *expressions: str, script: str = "") -> list[Any]:
    """The values of JavaScript `expressions` (after `script`) in a session,
    then its errors; both are written as plain JavaScript, escaped here for XML."""
    body = "".join(f'<log expr="{html.escape(e)}"/>' for e in expressions)
    return run(tmp_path, body, script=html.escape(script, quote=False))


def check(tmp_path: Path, cases: list[tuple[str, Any]], script: str = "") -> None:
    """Each expression of `cases` evaluates to its expected value, without errors."""
    expressions = [expression for expression, _ in cases]
    assert evaluate(tmp_path, *expressions, script=script) == [v for _, v in cases]
