"""ECMAScript sessions and the built-ins: `Date` on the session's clock, and
built-in prototypes that scripts extend (as Composer helper libraries do).

Each session is its own JavaScript realm: its dates read its own clock, and what
its scripts assign to `String.prototype` or `Math` no other session sees.
"""

from __future__ import annotations

import time
from pathlib import Path

import scxmlc
from scxmlc.runtime import VirtualClock

from es_session import document, logs, run, start

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


# -- Date and the clock ------------------------------------------------------------


def test_date_reads_the_virtual_clock_from_its_epoch(tmp_path: Path) -> None:
    clock = VirtualClock(epoch=EPOCH)
    assert run(
        tmp_path,
        logs(
            "Date.now()",
            "new Date().getTime()",
            "new Date().toISOString()",
            "typeof Date()",
        ),
        clock=clock,
    ) == [EPOCH * 1000, EPOCH * 1000, "2023-11-14T22:13:20.000Z", "string"]


def test_date_moves_with_virtual_time_only(tmp_path: Path) -> None:
    document_path = tmp_path / "later.scxml"
    document_path.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <datamodel><data id="times" expr="[]"/></datamodel>
  <state id="s">
    <onentry><script>times.push(Date.now());</script></onentry>
    <transition event="tick"><script>var D = Date; times.push(new D().getTime());</script></transition>
  </state>
</scxml>
""",
        encoding="utf-8",
    )
    clock = VirtualClock(start=100.0, epoch=0)
    session = scxmlc.load(document_path)(clock)
    session.start()
    time.sleep(0.01)  # the host's clock moves; the session's does not
    session.send("tick")
    clock.advance(2.5)
    session.send("tick")
    assert list(session.dm["times"]) == [0, 0, 2500]


def test_every_session_reads_its_own_clock(tmp_path: Path) -> None:
    """No global clock: a thousand sessions in one process, each on its own."""
    path = tmp_path / "now.scxml"
    path.write_text(
        document("", data='<data id="now" expr="Date.now()"/>'), encoding="utf-8"
    )
    cls = scxmlc.load(path)
    sessions = [cls(VirtualClock(epoch=EPOCH + i)) for i in range(1000)]
    for session in sessions:
        session.start()
    assert [s.dm["now"] for s in sessions] == [(EPOCH + i) * 1000 for i in range(1000)]


def test_a_virtual_clock_starts_at_the_host_time_by_default() -> None:
    before = time.time()
    clock = VirtualClock(start=5.0)
    after = time.time()
    assert before <= clock.wall_time() <= after
    clock.advance(60)
    assert before + 60 <= clock.wall_time() <= after + 60


def test_a_session_without_a_clock_dates_by_the_clock_it_makes(tmp_path: Path) -> None:
    path = tmp_path / "own.scxml"
    path.write_text(
        document("", data='<data id="now" expr="Date.now()"/>'), encoding="utf-8"
    )
    session = scxmlc.load(path)()
    session.start()
    assert isinstance(session.clock, VirtualClock)
    assert session.dm["now"] == int(session.clock.wall_time() * 1000)


# -- built-in prototypes -------------------------------------------------------------

HELPERS = """
String.prototype.trim = function () { return '[' + this + ']'; };
Array.prototype.contains = function (x) {
  for (var i = 0; i &lt; this.length; i++) { if (this[i] === x) { return true; } }
  return false;
};
Number.prototype.twice = function () { return this * 2; };
Object.prototype.kind = function () { return 'kind of ' + this.length; };
"""


def test_methods_added_to_built_in_prototypes_are_called(tmp_path: Path) -> None:
    assert run(
        tmp_path,
        logs(
            "' abc '.trim()",
            "[1, 2].contains(1)",
            "[1, 2].contains(3)",
            "(21).twice()",
            "({}).kind()",
            "[].kind()",
            "'ab'.kind()",
            "'abc'.toUpperCase()",
        ),
        script=HELPERS,
    ) == [
        "[ abc ]",
        True,
        False,
        42,
        "kind of undefined",
        "kind of 0",
        "kind of 2",
        "ABC",
    ]


def test_lookup_order_is_javascripts(tmp_path: Path) -> None:
    """Own properties, then the object's prototype (where an assignment replaces
    a built-in method), then Object.prototype (where it does not shadow the
    methods of String.prototype or Array.prototype)."""
    script = """
Object.prototype.trim = function () { return 'from Object'; };
Object.prototype.toLocaleString = function () { return 'mine'; };
var own = {kind: function () { return 'own'; }};
"""
    assert run(
        tmp_path,
        logs(
            "' a '.trim()",
            "({}).trim()",
            "({}).toLocaleString()",
            "[1, 2].toLocaleString()",
            "own.kind()",
            "'kind' in {}",
        ),
        script=HELPERS + script,
    ) == ["[ a ]", "from Object", "mine", "1,2", "own", True]


def test_prototypes_read_as_javascript_has_them(tmp_path: Path) -> None:
    script = """
var hadTrim = typeof String.prototype.trim;
if (!Array.prototype.last) {
  Array.prototype.last = function () { return this[this.length - 1]; };
}
var keys = [];
for (var k in [7]) { keys.push(k); }
"""
    assert run(
        tmp_path,
        logs(
            "hadTrim",
            "[1, 2, 3].last()",
            "keys.join()",
            "String.prototype.trim.call('  x ')",
            "Object.prototype.toString.call([])",
            "Array.prototype.slice.call([1, 2, 3], 1).join()",
            "(function () { return this.n; }).bind({n: 4})()",
        ),
        script=script,
    ) == ["function", 3, "0,last", "x", "[object Array]", "2,3", 4]


def test_sessions_do_not_see_each_others_extensions(tmp_path: Path) -> None:
    extended, _ = start(
        tmp_path,
        "",
        script="String.prototype.shout = function () { return this + '!'; }; Math.twice = function (x) { return 2 * x; };",
        name="extended",
    )
    assert extended.dm is not None
    _, plain = start(
        tmp_path,
        logs("typeof 'x'.shout", "typeof Math.twice", "typeof String.prototype.shout"),
        name="plain",
    )
    assert plain.values == ["undefined", "undefined", "undefined"]
    _, again = start(
        tmp_path,
        logs("'x'.shout()", "Math.twice(4)"),
        script="String.prototype.shout = function () { return this + '?'; }; Math.twice = function (x) { return 3 * x; };",
        name="again",
    )
    assert again.values == ["x?", 12]


def test_functions_carry_properties_and_constructors_statics(tmp_path: Path) -> None:
    script = """
function memo() { memo.calls = (memo.calls || 0) + 1; return memo.calls; }
memo(); memo();
String.format = function (s) { return '&lt;' + s + '&gt;'; };
"""
    assert run(
        tmp_path,
        logs("memo.calls", "String.format('x')", "Object.create({a: 1}).a"),
        script=script,
    ) == [2, "<x>", 1]
