"""Time a compiled ECMAScript library function, called many times.

The three bench charts spend their time in the interpreter loop, not in
JavaScript functions; a Composer document's helper library is mostly
functions: loops, conditions, property access, closures. This benchmark
compiles a document whose transition calls such a function 2,000 times and
reports the best of five passes.

    python bench/es_functions.py [--calls 2000] [--passes 5]
"""

from __future__ import annotations

import argparse
import html
import tempfile
import time
from pathlib import Path

LIBRARY = """
function tally(input, options) {
  var result = [], total = 0;
  if (!options) { options = { limit: 50, label: 'x' }; }
  for (var i = 0; i < input.length && i < options.limit; i++) {
    if (typeof input[i] == 'string' && input[i].indexOf('a') >= 0) {
      result.push(options.label + ': ' + input[i]);
    } else { total += i; }
  }
  function inner(n) { total += n; return total; }
  for (var k = 0; k < 10; k++) { inner(k); }
  return result.length + total;
}
var data = [];
for (var j = 0; j < 40; j++) { data.push(j % 3 == 0 ? 'abc' + j : 'zz'); }
function run(n) { var s = 0; for (var r = 0; r < n; r++) { s += tally(data); } return s; }
"""


def document(calls: int) -> str:
    """A document whose `go` transition calls the library `calls` times."""
    return f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" name="functions">
<datamodel><data id="out" expr="0"/></datamodel>
<script>{html.escape(LIBRARY, quote=False)}</script>
<state id="s"><transition event="go" target="s"><assign location="out" expr="run({calls})"/></transition></state>
</scxml>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    import scxmlc
    from scxmlc.runtime import VirtualClock

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "functions.scxml"
        path.write_text(document(args.calls), encoding="utf-8")
        machine = scxmlc.load(path)(VirtualClock())
        machine.start()
        best = float("inf")
        for _ in range(args.passes):
            started = time.perf_counter()
            machine.send("go")
            best = min(best, time.perf_counter() - started)
    print(
        f"{args.calls} calls in {best * 1000:.0f} ms (best of {args.passes}),"
        f" {best / args.calls * 1e6:.0f} µs a call; result {machine.dm['out']}"
    )


if __name__ == "__main__":
    main()
