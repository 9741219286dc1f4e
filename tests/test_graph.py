"""`scxmlc graph`: Mermaid text, Graphviz SVG and PNG of a statechart.

SVG and PNG need Graphviz's `dot` (Debian's graphviz, which .ci/run installs):
these tests fail without it rather than skip.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from scxmlc.compiler.commands.cli import main

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"

DOCUMENT = """\
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"
       xmlns:queue="http://www.genesyslab.com/modules/queue"
       name="pic" initial="main">
  <state id="main" initial="work">
    <history id="back" type="deep"><transition target="work"/></history>
    <state id="work">
      <onentry><queue:submit queue="'Q'" timeout="30"/></onentry>
      <transition event="go" cond="a &lt; b &amp;&amp; c == &quot;x&quot;" target="both">
        <queue:cancel requestid="'r'"/>
      </transition>
    </state>
    <parallel id="both">
      <state id="left.side"/>
      <state id="end"/>
    </parallel>
    <transition event="stop" target="over"/>
    <transition event="ping"/>
  </state>
  <final id="over"/>
</scxml>
"""

MERMAID = """\
stateDiagram-v2
    [*] --> main
    main
    state main {
        [*] --> work
        state "H*" as back
        work
        both
        state both {
            state "left.side" as s5
            --
            state "end" as s6
        }
    }
    over
    over --> [*]
    main --> over : stop
    main --> main : ping
    back --> work
    work --> both : go [a #lt; b && c == #quot;x#quot;] / queue:cancel
"""


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "pic.scxml"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def test_mermaid_nests_states_and_labels_transitions(
    document: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pic.mmd"
    assert main(["graph", str(document), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == MERMAID


def test_svg_has_every_state_and_transition_by_id(
    document: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pic.svg"
    assert main(["graph", str(document), "-o", str(out)]) == 0
    tree = ElementTree.parse(out)
    groups = {g.get("id"): g for g in tree.iter(f"{SVG}g")}
    states = ["main", "back", "work", "both", "left.side", "end", "over"]
    assert {f"state:{s}" for s in states} <= set(groups)
    assert groups["state:main"].get("class") == "cluster"
    assert groups["state:work"].get("class") == "node"
    assert {f"transition:{n}" for n in range(2, 6)} <= set(groups)
    label = " ".join(t.text or "" for t in groups["transition:5"].iter(f"{SVG}text"))
    assert label == 'go [a < b && c == "x"] / queue:cancel'
    work = " ".join(t.text or "" for t in groups["state:work"].iter(f"{SVG}text"))
    assert work == "work entry / queue:submit"
    history = [t.text for t in groups["state:back"].iter(f"{SVG}text")]
    assert history == ["H*"]


def test_the_same_document_draws_the_same_bytes(document: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "1.svg", tmp_path / "2.svg"
    assert main(["graph", str(document), "-o", str(first)]) == 0
    assert main(["graph", str(document), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_png_is_a_png(document: Path, tmp_path: Path) -> None:
    out = tmp_path / "pic.png"
    assert main(["graph", str(document), "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_example_draws(tmp_path: Path) -> None:
    for example in sorted((ROOT / "examples").glob("*.scxml")):
        out = tmp_path / f"{example.stem}.svg"
        assert main(["graph", str(example), "-o", str(out)]) == 0, example
        ElementTree.parse(out)
        assert (ROOT / "docs" / "images" / out.name).is_file(), "picture in docs"


def test_a_missing_dot_is_an_error_not_a_traceback(
    document: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    out = tmp_path / "pic.svg"
    assert main(["graph", str(document), "-o", str(out)]) == 1
    assert "Graphviz's dot program was not found" in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_extension_is_refused(
    document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(document), "-o", str(tmp_path / "pic.gif")]) == 1
    assert "use .svg, .png, .mmd" in capsys.readouterr().err


def test_a_document_with_errors_is_reported_and_not_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.scxml"
    bad.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">\n'
        '  <state id="a"><transition event="e" target="nowhere"/></state>\n'
        "</scxml>\n",
        encoding="utf-8",
    )
    out = tmp_path / "bad.mmd"
    assert main(["graph", str(bad), "-o", str(out)]) == 1
    assert f"{bad}:2:" in capsys.readouterr().err
    assert not out.exists()
