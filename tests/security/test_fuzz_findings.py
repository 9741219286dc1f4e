"""What fuzzing the front end found, each as a test, and the fuzzer itself.

`fuzzing.py` mutates W3C and example documents, compiles them and runs what
compiles; every outcome must be a compiled module that is valid Python and
runs without an exception escaping the machine, or diagnostics with a
location. The long run (ten minutes, reported in docs/security.md) is started
by hand; here hypothesis drives the same mutations for a short while, and the
documents the long runs found are kept as regression tests.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scxmlc
from scxmlc.compiler import CompileError, compile_text
from scxmlc.runtime import VirtualClock

sys.path.insert(0, str(Path(__file__).parent))
import fuzzing  # noqa: E402

SCXML = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'
CORPUS = fuzzing.corpus()


def errors(text: str) -> list[str]:
    """The error messages of compiling `text` (empty when it compiles)."""
    try:
        compile_text(text, "finding.scxml")
    except CompileError as error:
        return [d.message for d in error.diagnostics if d.severity == "error"]
    return []


def test_the_corpus_holds_both_datamodels_and_the_examples() -> None:
    folders = {path.parent.name for path in CORPUS}
    assert {"ecmascript", "python", "null", "examples"} <= folders
    assert len(CORPUS) > 400


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(choice=st.integers(min_value=0), rng=st.randoms(use_true_random=False))
def test_a_mutated_document_compiles_and_runs_or_is_refused_with_locations(
    choice: int, rng: random.Random
) -> None:
    path = CORPUS[choice % len(CORPUS)]
    document = fuzzing.mutate(path.read_bytes(), rng)
    outcome = fuzzing.check(document, path, run=True)
    assert outcome.kind in ("compiled", "refused"), outcome.detail


def test_a_document_without_states_compiles_with_a_warning_and_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "empty.scxml"
    path.write_text(f'<scxml {SCXML} name="empty"><datamodel/></scxml>')
    compilation = compile_text(path.read_text(), str(path))
    assert any("has no states" in d.message for d in compilation.warnings)
    machine = scxmlc.load(path)(VirtualClock())
    machine.start()
    machine.send("anything")
    assert not machine.configuration


def test_an_initial_that_names_its_own_state_is_an_error() -> None:
    # Found as a mutated W3C test405: a compound state (whose id a child repeats)
    # naming itself as its initial state made computing entry sets recurse forever.
    text = f"""<scxml {SCXML}>
      <state id="p" initial="p"><state id="p"/></state>
    </scxml>"""
    found = errors(text)
    assert "<state id=\"p\"> initial: target 'p' is not a descendant of 'p'" in found
    assert any("duplicate state id" in message for message in found)


def test_history_defaults_in_a_cycle_are_an_error() -> None:
    text = f"""<scxml {SCXML} initial="p">
      <state id="p">
        <history id="h1"><transition target="h2"/></history>
        <history id="h2"><transition target="h1"/></history>
        <state id="a"><transition event="e" target="h1"/></state>
      </state>
    </scxml>"""
    assert errors(text) == [
        '<history id="h1">: its default transition leads back to it through '
        "history states only",
        '<history id="h2">: its default transition leads back to it through '
        "history states only",
    ]


def test_history_defaults_through_another_history_state_are_followed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chain.scxml"
    path.write_text(
        f"""<scxml {SCXML} initial="p" name="chain">
      <state id="p">
        <history id="h1"><transition target="h2"/></history>
        <history id="h2"><transition target="a"/></history>
        <state id="a"/>
        <transition event="e" target="h1"/>
      </state>
    </scxml>"""
    )
    machine = scxmlc.load(path)(VirtualClock())
    machine.start()
    machine.send("e")
    assert machine.configuration == {"p", "a"}


@pytest.mark.parametrize("name", ["pass", "lambda", "def", "None", "_jsx", "__proto"])
def test_script_globals_named_like_python_keywords_run(
    tmp_path: Path, name: str
) -> None:
    # Found by mutation: a <foreach item="pass"> produced `globals.pass`.
    path = tmp_path / "keywords.scxml"
    path.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript" name="keywords">
      <datamodel><data id="total" expr="0"/></datamodel>
      <state id="s">
        <onentry>
          <foreach array="[1, 2, 3]" item="{name}" index="{name}_i">
            <assign location="total" expr="total + {name}"/>
          </foreach>
        </onentry>
        <transition cond="total === 6" target="pass"/>
        <transition target="fail"/>
      </state>
      <final id="pass"/><final id="fail"/>
    </scxml>"""
    )
    machine = scxmlc.load(path)(VirtualClock())
    machine.start()
    assert machine.configuration == {"pass"}


def test_a_python_keyword_as_a_python_datamodel_data_id_is_an_error() -> None:
    # Found by mutation: <data id="pass"> in the python datamodel became the
    # field `pass: Any` of the generated module.
    text = f"""<scxml {SCXML} datamodel="python">
      <datamodel><data id="pass"/></datamodel>
      <final id="done"/>
    </scxml>"""
    assert errors(text) == ['<data id="pass">: not a legal Python variable name']


def test_python_keywords_and_mangled_names_as_python_loop_variables() -> None:
    # Found by mutation: <foreach item="pass"> in the python datamodel became
    # the field `pass: Any`; a `__` name would have been mangled in the class.
    keyword = f"""<scxml {SCXML} datamodel="python">
      <datamodel><data id="items" expr="[1, 2]"/></datamodel>
      <state id="s"><onentry><foreach array="items" item="pass"/></onentry></state>
    </scxml>"""
    warnings = compile_text(keyword, "keyword.scxml").warnings
    assert [d.message for d in warnings] == [
        "<foreach item>: invalid Python expression 'pass': invalid syntax "
        "(evaluating it raises error.execution)"
    ]
    mangled = f"""<scxml {SCXML} datamodel="python">
      <datamodel><data id="items" expr="[1, 2]"/></datamodel>
      <state id="s">
        <onentry>
          <foreach array="items" item="__item"/>
          <script>__total = 3</script>
        </onentry>
      </state>
    </scxml>"""
    assert errors(mangled) == [
        f"<{element}>: '{name}' cannot be a variable of the python datamodel (a "
        "name starting with '__' would be mangled in the generated class)"
        for element, name in [("foreach", "__item"), ("script", "__total")]
    ]


def test_names_python_reads_as_other_names(tmp_path: Path) -> None:
    # Found by mutation: <data id="𝔘"> in the python datamodel made the field
    # '𝔘', which Python code reads as `U` (identifiers are NFKC-normalised).
    text = f"""<scxml {SCXML} datamodel="python">
      <datamodel><data id="𝔘"/></datamodel><final id="done"/>
    </scxml>"""
    assert errors(text) == [
        "<data id=\"𝔘\">: not a legal Python variable name (Python reads it as 'U')"
    ]
    # ECMAScript keeps such names apart, as JavaScript does.
    path = tmp_path / "names.scxml"
    path.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript" name="names">
      <datamodel><data id="seen" expr="''"/></datamodel>
      <state id="s">
        <onentry><script>
          var 𝔘 = 1, U = 2, a$b = 3, a_S_b = 4, ﬁx = 5, fix = 6, $ = 7, _jsx__24_ = 8;
          seen = [𝔘, U, a$b, a_S_b, ﬁx, fix, $, _jsx__24_].join(',');
        </script></onentry>
      </state>
    </scxml>""",
        encoding="utf-8",
    )
    machine = scxmlc.load(path)(VirtualClock())
    machine.start()
    assert machine.dm["seen"] == "1,2,3,4,5,6,7,8"
