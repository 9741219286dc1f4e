"""The runtime's weak tables of sessions: `SESSIONS` (for `#_scxml_<id>` targets)
and the Basic HTTP processor's, over the pure or the compiled core alike.

A compiled `Machine` takes no weak references, so the tables hold each
session's anchor (runtime/interpreted.py); these tests pin what that must keep:
a session is found by its id while it runs, leaves the table when it stops or
is disposed of, and once nothing else holds it.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

import scxmlc
from scxmlc.runtime import VirtualClock
from scxmlc.runtime.machine import SESSIONS, SessionTable

GOLDEN = Path(__file__).parent / "cases" / "golden"


def started() -> Any:
    machine = scxmlc.load(GOLDEN / "door.scxml")(VirtualClock())
    machine.start()
    return machine


def test_a_running_session_is_found_by_its_id() -> None:
    machine = started()
    sid = machine._sessionid
    assert SESSIONS.get(sid) is machine
    assert SESSIONS[sid] is machine
    assert sid in SESSIONS


def test_a_cancelled_session_leaves_the_table() -> None:
    machine = started()
    sid = machine._sessionid
    machine.cancel()
    assert SESSIONS.get(sid) is None
    assert sid not in SESSIONS
    with pytest.raises(KeyError):
        SESSIONS[sid]


def test_a_disposed_session_leaves_the_table() -> None:
    machine = started()
    sid = machine._sessionid
    machine.dispose()
    assert SESSIONS.get(sid) is None


def test_a_session_nothing_else_holds_leaves_the_table() -> None:
    machine = started()
    sid = machine._sessionid
    del machine
    gc.collect()
    assert sid not in SESSIONS
    assert SESSIONS.get(sid) is None


def test_a_table_of_its_own_holds_sessions_weakly_too() -> None:
    table = SessionTable()
    first, second = started(), started()
    table["one"], table["two"] = first, second
    assert len(table) == 2 and table.pop("one") is first
    assert table.pop("one") is None
    del second
    gc.collect()
    assert len(table) == 0 and table.get("two") is None
