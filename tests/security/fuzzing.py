"""Mutation fuzzing of the compiler's front end.

Documents of the W3C suite (both datamodels) and of `examples/` are mutated
(an element deleted, duplicated, moved or renamed; an attribute removed, added
or given another value; text replaced; bytes truncated, flipped or inserted)
and compiled. Every outcome but two is an internal error: the document
compiles (and its module is valid Python), or it is refused with diagnostics
that each carry a location. A compilation that takes longer than
`SLOW_SECONDS` is reported too. With `--run`, each module that compiles is
also imported and run on a virtual clock (started, its timers fired, three
events sent) under a small budget: an exception that escapes the machine is
a finding too.

`mutate(document, rng)` is shared by the property-based test (hypothesis
drives `rng`) and by the long run, started from the project root:

    python tests/security/fuzzing.py --minutes 10 [--run]

which prints one line per finding and a summary (documents tried, compiled,
refused, findings); its exit status is 1 when there were findings.
"""

from __future__ import annotations

import argparse
import copy
import logging
import random
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Callable, Final

from lxml import etree

from scxmlc.runtime import Budget, Machine, VirtualClock
from scxmlc.runtime.clock import Timer

ROOT: Final = Path(__file__).resolve().parents[2]
W3C: Final = ROOT.parent / "shared" / "w3c-scxml"
SLOW_SECONDS: Final = 20
"""A compilation (and run) slower than this is a finding (a hang, or a blow-up)."""
EVENTS: Final = ("event1", "foo", "timeout")
"""What `--run` sends each machine after it started (names the W3C tests use)."""
VIRTUAL_SECONDS: Final = 60.0
"""How much virtual time `--run` lets pass after the start and each event."""
MAX_CALLBACKS: Final = 2_000
"""Clock callbacks (timers, wake-ups) a run may take: a document that sends
itself events forever is legal, and is stopped here."""

TAGS: Final = (
    "state parallel final initial history transition onentry onexit datamodel data "
    "assign donedata content param script raise if elseif else foreach log send "
    "cancel invoke finalize"
).split()
ATTRIBUTES: Final = (
    "id initial target event cond type expr location src name namelist label "
    "delay delayexpr sendid sendidexpr idlocation targetexpr typeexpr srcexpr "
    "autoforward array item index datamodel binding version xmlns"
).split()
FRAGMENTS: Final = [
    "",
    " ",
    "1",
    "-1",
    "1e308",
    "NaN",
    "true",
    "null",
    "undefined",
    "_event.data",
    "_event",
    "_sessionid",
    "In('s0')",
    "a.b.c",
    "[]",
    "{}",
    "x[",
    "'",
    '"',
    "(",
    ")",
    "}",
    "#_internal",
    "#_parent",
    "#_scxml_x",
    "*",
    ".",
    "error.*",
    "s0 s1",
    "deep",
    "shallow",
    "external",
    "internal",
    "10s",
    "-5ms",
    "file:nothing.scxml",
    "http://127.0.0.1:9/x",
    "function(){ return 1 }",
    "for(;;) { break; }",
    "\u2028",
    "\\",
    "\x85",
    "\t\n",
    "é",
    "𝔘",
]


def corpus() -> list[Path]:
    """The documents mutations start from: the W3C tests of both datamodels
    (child documents too) and the examples, sorted."""
    found = sorted(ROOT.glob("examples/*.scxml"))
    for folder in ("ecmascript", "python", "null"):
        found += sorted((W3C / folder).glob("*.scxml"))
    return found


# -- mutations ------------------------------------------------------------------


def mutate(document: bytes, rng: random.Random) -> bytes:
    """`document` changed by one to three mutations chosen by `rng`."""
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.15:
            document = _mutate_bytes(document, rng)
        else:
            document = _mutate_tree(document, rng)
    return document


def _mutate_bytes(document: bytes, rng: random.Random) -> bytes:
    """Truncated, a byte flipped, or random bytes inserted."""
    if not document:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    at = rng.randrange(len(document))
    choice = rng.randrange(3)
    if choice == 0:
        return document[:at]
    if choice == 1:
        flipped = document[at] ^ (1 << rng.randrange(8))
        return document[:at] + bytes([flipped]) + document[at + 1 :]
    noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return document[:at] + noise + document[at:]


def _mutate_tree(document: bytes, rng: random.Random) -> bytes:
    """One structural change to the document's elements (malformed input is
    left for `_mutate_bytes` to have made)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError:
        return _mutate_bytes(document, rng)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    element = rng.choice(elements)
    rng.choice(TREE_MUTATIONS)(root, element, elements, rng)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _delete(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _duplicate(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.insert(parent.index(element), copy.deepcopy(element))


def _move(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    parent = element.getparent()
    target = rng.choice(elements)
    if parent is None or element in target.iterancestors() or target is element:
        return
    parent.remove(element)
    target.insert(rng.randint(0, len(target)), element)


def _rename(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    namespace = etree.QName(element).namespace
    tag = rng.choice(TAGS)
    element.tag = f"{{{namespace}}}{tag}" if namespace else tag


def _drop_attribute(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    if element.attrib:
        del element.attrib[rng.choice(list(element.attrib))]


def _set_attribute(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    names = list(element.attrib) if element.attrib and rng.random() < 0.6 else []
    name = rng.choice(names) if names else rng.choice(ATTRIBUTES)
    element.set(name, _value(elements, rng))


def _set_text(
    root: etree._Element,
    element: etree._Element,
    elements: list[etree._Element],
    rng: random.Random,
) -> None:
    element.text = _value(elements, rng)


def _value(elements: list[etree._Element], rng: random.Random) -> str:
    """A value from the document itself, the fragment pool, or a mix of both."""
    values = [v for e in elements for v in e.attrib.values()]
    choice = rng.randrange(3)
    if choice == 0 and values:
        return str(rng.choice(values))
    if choice == 1:
        return rng.choice(FRAGMENTS)
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 4))]
    if values:
        parts.append(str(rng.choice(values)))
    rng.shuffle(parts)
    return "".join(parts)


TREE_MUTATIONS: Final[
    tuple[
        Callable[
            [etree._Element, etree._Element, list[etree._Element], random.Random],
            None,
        ],
        ...,
    ]
] = (_delete, _duplicate, _move, _rename, _drop_attribute, _set_attribute, _set_text)


# -- checking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What compiling one mutated document came to: "compiled", "refused" or
    "internal" (with the traceback), or "slow"."""

    kind: str
    detail: str = ""


def check(document: bytes, path: Path, run: bool = False) -> Outcome:
    """Compile `document` as if read from `path` (so relative `src` and
    includes resolve beside it) and classify the outcome; with `run`, run
    what compiles (`run_machine`)."""
    from scxmlc.compiler import CompileError, compile_text

    try:
        compilation = compile_text(document, str(path))
    except CompileError as error:
        unlocated = [
            d for d in error.diagnostics if d.severity == "error" and d.loc.line < 0
        ]
        if not error.diagnostics or unlocated:
            return Outcome("internal", f"refused without located errors: {error}")
        return Outcome("refused")
    except Exception:  # noqa: BLE001 - the finding itself
        return Outcome("internal", traceback.format_exc())
    try:
        code = compile(compilation.source, str(path.with_suffix(".py")), "exec")
    except SyntaxError:
        return Outcome("internal", "generated module: " + traceback.format_exc())
    if run:
        try:
            run_machine(code, compilation.class_name, path)
        except Exception:  # noqa: BLE001 - the finding itself
            return Outcome("internal", "running: " + traceback.format_exc())
    return Outcome("compiled")


def run_machine(code: object, class_name: str, path: Path) -> None:
    """Import compiled module `code` (as if from `path`) into a module of its
    own, start its machine on a virtual clock under a small budget, let
    `VIRTUAL_SECONDS` pass, and send it `EVENTS`, letting them pass again."""
    module = ModuleType("scxmlc_fuzzed")
    module.__file__ = str(path.with_suffix(".py"))
    exec(code, module.__dict__)  # noqa: S102 - the module the compiler wrote
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Machine):
            value._document_location = path.as_uri()
    clock = _CountingClock()
    machine = getattr(module, class_name)(
        clock, budget=Budget(microsteps=5_000, seconds=0.5, queue=500)
    )
    try:
        machine.start()
        clock.run_until_idle(limit=VIRTUAL_SECONDS)
        for name in EVENTS:
            if machine.finished:
                break
            machine.send(name)
            clock.run_until_idle(limit=VIRTUAL_SECONDS)
    except _Enough:
        pass


class _Enough(BaseException):
    """A run took `MAX_CALLBACKS` clock callbacks: it has run long enough."""


class _CountingClock(VirtualClock):
    """A virtual clock that raises `_Enough` past `MAX_CALLBACKS` callbacks."""

    calls = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        def counted() -> None:
            self.calls += 1
            if self.calls > MAX_CALLBACKS:
                raise _Enough()
            callback()

        return super().call_later(delay, counted)


class _Slow(BaseException):
    """The alarm rang: compiling (or running) took `SLOW_SECONDS`."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Slow()


def run(minutes: float, seed: int, out: Path | None, execute: bool = False) -> int:
    """Fuzz for `minutes` (running what compiles when `execute`); print
    findings and a summary; the number of findings."""
    if execute:
        _prepare_running()
    sources = [(path, path.read_bytes()) for path in corpus()]
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + minutes * 60
    signal.signal(signal.SIGALRM, _alarm)
    while time.monotonic() < deadline:
        path, original = rng.choice(sources)
        document = mutate(original, rng)
        signal.alarm(SLOW_SECONDS)
        try:
            outcome = check(document, path, run=execute)
        except _Slow:
            outcome = Outcome("slow", f"over {SLOW_SECONDS}s")
        finally:
            signal.alarm(0)
        counts[outcome.kind] += 1
        if outcome.kind in ("internal", "slow"):
            _report(path, document, outcome, counts, out)
    findings = counts["internal"] + counts["slow"]
    print(
        f"fuzzing: {sum(counts.values())} documents in {minutes:g} min (seed {seed}):"
        f" {counts['compiled']} compiled, {counts['refused']} refused,"
        f" {findings} findings" + (" (compiled documents were run)" if execute else "")
    )
    return findings


def _report(
    path: Path,
    document: bytes,
    outcome: Outcome,
    counts: Counter[str],
    out: Path | None,
) -> None:
    number = counts["internal"] + counts["slow"]
    print(f"finding {number} ({outcome.kind}) from {path.name}:\n{outcome.detail}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"finding{number}-{path.name}").write_bytes(document)


def _prepare_running() -> None:
    """Let run documents invoke others (compiled on demand, as `scxmlc run`
    does) and keep the log of terminated runaways quiet."""
    from scxmlc.compiler import Options
    from scxmlc.compiler.loader import _Resolver
    from scxmlc.runtime import set_document_resolver

    set_document_resolver(_Resolver(Options()))
    logging.getLogger("scxmlc").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, help="keep the documents of findings here")
    parser.add_argument(
        "--run", action="store_true", help="also run every document that compiles"
    )
    arguments = parser.parse_args(argv)
    findings = run(arguments.minutes, arguments.seed, arguments.out, arguments.run)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
