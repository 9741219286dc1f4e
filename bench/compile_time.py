"""Time the compilation of large Composer-style ECMAScript documents.

Generates two documents of about 100 KB into a temporary folder and reports how
long `scxmlc.compiler.compile_path` takes for each:

- `uniform`: states alike but for their numbers (assignments, a helper call, a
  log, an ORS `<send>` with expression attributes and two transitions each);
- `composer`: a Composer workflow of blocks of seven kinds (Assign, Log,
  Branching, Target with `<queue:submit>`, User Data, Wait, Menu), with block
  names, variables, strings and expressions of varied lengths drawn from a
  seeded generator, ids within `_composer_entry`, targets written with
  `$$_MY_PREFIX_$$`;
- `library`: the same workflow with a bundled JavaScript library (functions with
  loops, branches, try/catch, switch, object literals and string methods) making
  more than half of the document, as Composer's `include/*.js` helpers are.

Each document is compiled twice in one process with a fresh cache directory:
cold (what a first build costs, imports and all) and warm (a second build).

    python bench/compile_time.py [--kilobytes 100] [--style uniform,composer,library]
    python bench/compile_time.py --document src-gen/IPD_default_MainWorkflow.scxml
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

HEADER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" name="big" initial="s0">
<datamodel><data id="counter" expr="0"/><data id="ctx" expr="{}"/></datamodel>
<script>function helper(a, b) { var r = []; for (var i = 0; i &lt; a; i++) { r.push(b + i); } return r.join(","); }</script>
"""


def state(i: int) -> str:
    """One state of the generated document."""
    return f"""<state id="s{i}">
  <onentry>
    <assign location="counter" expr="counter + {i}"/>
    <assign location="ctx.k{i}" expr="helper({i % 5}, 'x')"/>
    <log expr="'state s{i}: ' + counter" level="4"/>
    <send event="'s{i}.timeout'" delay="'{i % 7 + 1}s'"/>
  </onentry>
  <transition event="next" cond="counter &gt; {i} &amp;&amp; typeof ctx.k{i} == 'string'" target="s{i + 1}"/>
  <transition event="s{i}.timeout" target="s{i + 1}"><raise event="timeout.{i}"/></transition>
</state>
"""


def document(kilobytes: int) -> str:
    """A document of at least `kilobytes` KB."""
    parts = [HEADER]
    size = len(HEADER)
    count = 0
    while size < kilobytes * 1000:
        parts.append(state(count))
        size += len(parts[-1])
        count += 1
    parts.append(f'<final id="s{count}"/></scxml>\n')
    return "".join(parts)


WORDS = (
    "Customer Segment Sales Support Billing Gold Silver Check Business Hours Route"
    " Language Menu Priority Callback Survey Account Balance Agent Queue Transfer"
    " Emergency Holiday Greeting Identify Verify Language Spanish English VIP"
).split()

COMPOSER_HEADER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript"
       xmlns:queue="http://www.genesyslab.com/modules/queue"
       name="composer_workflow" initial="_composer_entry">
<datamodel>
{data}
</datamodel>
<script>var system = {{ InteractionID: '' }};
function isGold(segment, score) {{ return segment == 'gold' &amp;&amp; score &gt; 70; }}</script>
<state id="_composer_entry" initial="$$_MY_PREFIX_$$.Entry">
<state id="Entry"><transition target="{first}"/></state>
"""


def composer_document(kilobytes: int, seed: int = 2026) -> str:
    """A Composer-style workflow of at least `kilobytes` KB, the same for a seed."""
    blocks = kilobytes * 2
    while True:
        text = _composer_workflow(blocks, seed)
        if len(text) >= kilobytes * 1000:
            return text
        blocks = blocks * kilobytes * 1000 // len(text) + 1


def _composer_workflow(blocks: int, seed: int) -> str:
    """A Composer-style workflow of `blocks` blocks."""
    rng = random.Random(seed)
    variables = [
        "".join(rng.sample(WORDS, rng.randrange(1, 4))) + str(i) for i in range(40)
    ]
    names = [
        "".join(rng.sample(WORDS, rng.randrange(1, 4))) + str(i)
        for i in range(1, blocks + 1)
    ]
    names.append("Exit")
    parts = [
        rng.choice(BLOCKS)(rng, state, names[i + 1], names, variables)
        for i, state in enumerate(names[:-1])
    ]
    data = "\n".join(
        f'<data id="{v}" expr="{rng.choice(LITERALS)}"/>' for v in variables
    )
    header = COMPOSER_HEADER.format(data=data, first=names[0])
    body = header + "".join(parts) + f'<final id="{names[-1]}"/>\n</state>\n</scxml>\n'
    # as Composer writes them: ids plain, targets with the include's prefix
    return body.replace(' target="', ' target="$$_MY_PREFIX_$$.')


LITERALS = ("0", "''", "'gold'", "false", "[]", "{}", "100")


def _expression(rng: random.Random, variables: list[str]) -> str:
    a, b = rng.sample(variables, 2)
    text = "'" + " ".join(rng.sample(WORDS, rng.randrange(1, 4))).lower() + "'"
    return rng.choice(
        [
            f"_data.{a} + {rng.randrange(1, 10 ** rng.randrange(1, 5))}",
            f"{text} + _data.{a}",
            f"_data.{a} == {text} ? _data.{b} : {text}",
            f"isGold(_data.{a}, _data.{b})",
            f"parseInt(_data.{a}, 10) * {rng.randrange(2, 60)}",
            f"_data.{a}.toString().toUpperCase()",
        ]
    )


def _assign(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    lines = "".join(
        f'    <assign location="_data.{rng.choice(variables)}" expr="{_expression(rng, variables)}"/>\n'
        for _ in range(rng.randrange(1, 5))
    )
    return f"""<state id="{state}">
  <onentry>
{lines}    <raise event="{state}.done"/>
  </onentry>
  <transition event="{state}.done" target="{after}"/>
</state>
"""


def _log(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    return f"""<state id="{state}">
  <onentry>
    <log expr="__Log({_expression(rng, variables)})" level="{rng.randrange(1, 5)}"/>
  </onentry>
  <transition target="{after}"/>
</state>
"""


def _branching(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    arms = "".join(
        f"  <transition cond=\"_data.{rng.choice(variables)} == '{rng.choice(WORDS).lower()}'"
        f' &amp;&amp; _data.{rng.choice(variables)} &gt; {rng.randrange(100)}" target="{rng.choice(names)}"/>\n'
        for _ in range(rng.randrange(1, 5))
    )
    return f"""<state id="{state}">
{arms}  <transition target="{after}"/>
</state>
"""


def _target(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    request = rng.choice(variables)
    group = " ".join(rng.sample(WORDS, 2))
    return f"""<state id="{state}">
  <onentry>
    <queue:submit requestid="_data.{request}" queue="'VQ_{group.replace(" ", "_")}'" timeout="{rng.randrange(10, 300)}" route="false">
      <queue:targets type="agentgroup">
        <queue:target name="'{group}'" statserver="'Stat_Server'"/>
      </queue:targets>
    </queue:submit>
  </onentry>
  <transition event="queue.submit.done" cond="_event.data.requestid == _data.{request}" target="{after}">
    <assign location="_data.{rng.choice(variables)}" expr="_event.data.resource"/>
  </transition>
  <transition event="error.queue.submit" cond="_event.data.requestid == _data.{request}" target="{rng.choice(names)}">
    <log expr="__Log('target failed: ' + _event.data.error)" level="2"/>
  </transition>
</state>
"""


def _user_data(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    key = rng.choice(WORDS)
    return f"""<state id="{state}">
  <onentry>
    <script>var ixn = _genesys.ixn.interactions[system.InteractionID];
      _data.{rng.choice(variables)} = ixn ? ixn.udata['{key}'] : undefined;
      for (var k in _data.{rng.choice(variables)}) {{ __Log(k); }}</script>
  </onentry>
  <transition target="{after}"/>
</state>
"""


def _wait(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    return f"""<state id="{state}">
  <onentry>
    <send event="'{state}.wait.timeout'" delay="'{rng.randrange(1, 3000)}ms'"/>
  </onentry>
  <transition event="{state}.wait.timeout" target="{after}"/>
</state>
"""


def _menu(
    rng: random.Random, state: str, after: str, names: list[str], variables: list[str]
) -> str:
    choices = "".join(
        f'    <transition event="{state}.done" cond="_event.data.choice == {n}" target="{rng.choice(names)}"/>\n'
        for n in range(1, rng.randrange(2, 6))
    )
    return f"""<state id="{state}">
  <onentry>
    <raise event="{state}.done">
      <param name="choice" expr="parseInt(_data.{rng.choice(variables)}, 10) % {rng.randrange(2, 6)}"/>
    </raise>
  </onentry>
{choices}  <transition event="{state}.done" target="{after}"/>
</state>
"""


BLOCKS = (_assign, _log, _branching, _target, _user_data, _wait, _menu)


def _library_function(rng: random.Random, number: int) -> str:
    """One function of a helper library, its constructs drawn from `rng`."""
    name = "".join(rng.sample(WORDS, 2)).lower() + str(number)
    word = rng.choice(WORDS).lower()
    loop = rng.choice(
        [
            "for (var i = 0; i &lt; input.length &amp;&amp; i &lt; options.limit; i++) {",
            "var i = 0; while (i &lt; input.length) { i++;",
            "for (var i in input) {",
        ]
    )
    body = rng.choice(
        [
            f"if (typeof input[i] == 'string' &amp;&amp; input[i].indexOf('{word}') &gt;= 0) "
            "{ result.push(options.label + ': ' + input[i].toUpperCase()); }",
            f"try {{ result.push(JSON.stringify({{ key: i, value: input[i], tag: '{word}' }})); }}"
            " catch (e) { __Log('bad item ' + e.message); }",
            f"switch (input[i]) {{ case '{word}': result.push(1); break;"
            " case null: continue; default: result.push(String(input[i]).length); }",
        ]
    )
    tail = rng.choice(
        [
            "return result.join(', ');",
            "return result.length &gt; 0 ? result : null;",
            f"return {{ count: result.length, items: result, name: '{name}' }};",
        ]
    )
    return f"""function {name}(input, options) {{
    var result = [];
    if (!options) {{ options = {{ limit: {rng.randrange(1, 100)}, label: '{word}' }}; }}
    {loop}
        {body}
    }}
    {tail}
}}
"""


def library_document(kilobytes: int, seed: int = 7) -> str:
    """The Composer workflow with a library making more than half of it."""
    rng = random.Random(seed)
    workflow = composer_document(kilobytes * 2 // 5)
    functions = []
    size = len(workflow)
    while size < kilobytes * 1000:
        functions.append(_library_function(rng, len(functions)))
        size += len(functions[-1])
    at = workflow.index("</script>")
    return workflow[:at] + "\n" + "".join(functions) + workflow[at:]


STYLES = {
    "uniform": document,
    "composer": composer_document,
    "library": library_document,
}


def time_compilation(path: Path) -> tuple[float, int]:
    """Seconds to compile `path`, and the lines of the module."""
    from scxmlc.compiler import compile_path

    started = time.perf_counter()
    compilation = compile_path(path)
    return time.perf_counter() - started, compilation.source.count("\n")


def _files(path: Path) -> tuple[str, ...]:
    """The files compiling `path` reads, itself included."""
    from scxmlc.compiler import compile_path

    return compile_path(path).files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kilobytes", type=int, default=100)
    parser.add_argument("--style", default=",".join(STYLES))
    parser.add_argument(
        "--document",
        action="append",
        default=[],
        metavar="PATH",
        help="time this document as it is, with every file it includes "
        "(a Composer main workflow and its libraries, say); repeatable",
    )
    args = parser.parse_args()
    for document_path in map(Path, args.document):
        with tempfile.TemporaryDirectory() as folder:
            os.environ["SCXMLC_CACHE"] = str(Path(folder) / "cache")
            cold, lines = time_compilation(document_path)
            warm, _ = time_compilation(document_path)
        size = sum(Path(f).stat().st_size for f in _files(document_path))
        print(
            f"{document_path.name}: {size} bytes of SCXML and JavaScript"
            f" -> {lines} lines of Python in {cold:.2f} s cold, {warm:.2f} s warm"
        )
    for style in args.style.split(",") if not args.document else ():
        text = STYLES[style](args.kilobytes)
        with tempfile.TemporaryDirectory() as folder:
            os.environ["SCXMLC_CACHE"] = str(Path(folder) / "cache")
            path = Path(folder) / f"{style}.scxml"
            path.write_text(text, encoding="utf-8")
            cold, lines = time_compilation(path)
            warm, _ = time_compilation(path)
        print(
            f"{style}: {len(text)} bytes of SCXML -> {lines} lines of Python"
            f" in {cold:.2f} s cold, {warm:.2f} s warm"
        )


if __name__ == "__main__":
    main()
