"""`scxmlc run --html`: the page, opened in a real headless browser.

Debian's chromium (/usr/bin/chromium) loads the page with `#step=N` or
`#keys=...` (the page's test hooks) and dumps the DOM its script built; the
tests read which states and transitions it highlighted. Without chromium the
tests skip, saying how to get it, unless `SCXMLC_REQUIRE_BROWSER=1` (as .ci/run
sets), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from scxmlc.compiler.commands.cli import main

ROOT = Path(__file__).resolve().parents[1]

DOCUMENT = """\
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="python"
       name="page" initial="idle">
  <datamodel><data id="said" expr="''"/></datamodel>
  <state id="idle">
    <transition event="go" target="busy"/>
  </state>
  <parallel id="busy">
    <state id="left" initial="l1">
      <state id="l1"><transition event="next" target="l2"/></state>
      <state id="l2"/>
    </state>
    <state id="right" initial="r1">
      <state id="r1">
        <transition event="next" target="r2">
          <assign location="said" expr="str(_event.data)"/>
          <log label="said" expr="_event.data"/>
        </transition>
      </state>
      <state id="r2"/>
    </state>
  </parallel>
</scxml>
"""

HOSTILE = '</script><script>document.body.dataset.pwned="1"</script><img src=x onerror="document.body.dataset.pwned=2">'


def browser() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if found is None:
        message = "chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("SCXMLC_REQUIRE_BROWSER"):
            pytest.fail(message + " (SCXMLC_REQUIRE_BROWSER is set)")
        pytest.skip(message)
    return found


def rendered(page: Path, fragment: str) -> lxml.html.HtmlElement:
    """The DOM of `page#fragment` after its script ran, in headless chromium."""
    result = subprocess.run(
        [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={page.parent / 'profile'}",
            "--dump-dom",
            f"{page.as_uri()}#{fragment}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return lxml.html.fromstring(result.stdout)


def highlighted(dom: lxml.html.HtmlElement, kind: str, css: str) -> list[str]:
    return sorted(
        str(g.get("id")).split(":", 1)[1]
        for g in dom.iter("{http://www.w3.org/2000/svg}g", "g")
        if css in (g.get("class") or "").split() and str(g.get("id")).startswith(kind)
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("page")
    document = folder / "page.scxml"
    document.write_text(DOCUMENT, encoding="utf-8")
    out = folder / "run.html"
    status = main(
        [
            "run",
            str(document),
            "--event",
            "go",
            "--event",
            f"next={json.dumps(HOSTILE)}",
            "--html",
            str(out),
        ]
    )
    assert status == 0
    return out


def test_each_step_highlights_its_active_states_and_transitions(page: Path) -> None:
    start = rendered(page, "step=0")
    assert start.body.get("data-step") == "0"
    assert highlighted(start, "state:", "active") == ["idle"]
    go = rendered(page, "step=1")
    assert highlighted(go, "state:", "active") == sorted(
        ["busy", "left", "l1", "right", "r1"]
    )
    assert highlighted(go, "transition:", "taken") == ["1"]
    after = rendered(page, "step=2")
    assert highlighted(after, "state:", "active") == sorted(
        ["busy", "left", "l2", "right", "r2"]
    )
    assert sorted(highlighted(after, "transition:", "taken")) == ["3", "5"]


def test_the_keys_step_through_the_run(page: Path) -> None:
    assert rendered(page, "keys=ArrowRight,ArrowRight").body.get("data-step") == "2"
    assert rendered(page, "keys=End,ArrowLeft").body.get("data-step") == "1"
    assert rendered(page, "step=2&keys=Home").body.get("data-step") == "0"
    dom = rendered(page, "keys=ArrowRight")
    assert highlighted(dom, "state:", "active") == sorted(
        ["busy", "left", "l1", "right", "r1"]
    )


def test_event_data_from_the_run_is_shown_as_text_not_run(page: Path) -> None:
    dom = rendered(page, "step=2")
    assert dom.body.get("data-pwned") is None
    assert not dom.xpath("//img")
    actions = [li.text_content() for li in dom.xpath("//ul[@id='actions']/li")]
    assert f"said: {json.dumps(HOSTILE)}" in actions
    cells = [td.text_content() for td in dom.xpath("//table[@id='datamodel']//td")]
    assert cells == ["said", json.dumps(HOSTILE)]
    scripts = dom.xpath("//script")
    assert len(scripts) == 2  # the run's JSON and the page's own script


def test_a_scenario_run_steps_through_the_platform_trace(tmp_path: Path) -> None:
    out = tmp_path / "routing.html"
    status = main(
        [
            "run",
            str(ROOT / "examples" / "agent_group_routing.scxml"),
            "--scenario",
            str(ROOT / "examples" / "agent_group_routing.yaml"),
            "--html",
            str(out),
        ]
    )
    assert status == 0
    first = rendered(out, "step=0")
    assert highlighted(first, "state:", "active") == ["waiting"]
    routed = rendered(out, "keys=ArrowRight,ArrowRight")
    assert routed.body.get("data-step") == "2"
    assert highlighted(routed, "state:", "active") == ["redirecting"]
    actions = " ".join(
        li.text_content() for li in routed.xpath("//ul[@id='actions']/li")
    )
    assert "queue.submit.done" in actions
