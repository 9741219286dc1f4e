"""Time the compilation of a large Composer-style ECMAScript document.

Generates a document of about 100 KB (states with assignments, a helper call, a
log, an ORS `<send>` with expression attributes and two transitions each) into a
temporary folder and reports how long `scxmlc.compiler.compile_path` takes.

    python bench/compile_time.py [--kilobytes 100]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kilobytes", type=int, default=100)
    args = parser.parse_args()
    from scxmlc.compiler import compile_path

    text = document(args.kilobytes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.scxml"
        path.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        compilation = compile_path(path)
        elapsed = time.perf_counter() - started
    lines = compilation.source.count("\n")
    print(f"{len(text)} bytes of SCXML -> {lines} lines of Python in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
