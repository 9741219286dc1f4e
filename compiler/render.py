"""Render phase: `ModuleView` -> Python source, checked, then formatted by black.

The templates only lay out what codegen decided. The rendered text is parsed with
`ast` before black sees it, so a template or codegen bug is reported with the
offending generated line rather than as a formatter failure. black is pinned by
pyproject.toml and called through `format_source` only.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from importlib import resources

import black
from black.mode import VERSION_TO_FEATURES, Feature, TargetVersion
from black.parsing import InvalidInput
import jinja2

from .codegen import ModuleView
from .format_cache import FormatCache, default_cache
from .layout import NotLaidOut, lay_out_entry
from .pieces import Piece, cut, extract
from .shapes import Formatted, Shape, derive, read_formatted, shape_of
from .statements import Batch, Plan, assemble, batches, fill, format_members, plan

__all__ = ["InternalError", "format_source", "render_module"]


class InternalError(Exception):
    """The compiler produced invalid Python: a bug in scxmlc, not in the document."""


def _environment() -> jinja2.Environment:
    root = resources.files("scxmlc.templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


_ENV: jinja2.Environment | None = None


def render_module(view: ModuleView) -> str:
    """The generated module for `view`, formatted."""
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    text = _ENV.get_template("module.py.j2").render(
        **vars(view), exported=view.exported
    )
    try:
        ast.parse(text)
    except SyntaxError as error:
        lines = text.splitlines()
        line = (
            lines[error.lineno - 1]
            if error.lineno and error.lineno <= len(lines)
            else ""
        )
        raise InternalError(
            f"generated code does not parse ({error.msg}) at generated line {error.lineno}: {line.strip()}"
        ) from error
    return format_source(text)


PARALLEL_THRESHOLD = 500
"""Generated lines from which the class body is formatted in parallel chunks."""

_MEMBER = re.compile(r"\n\n(?=    # )")
_CHART = "\n\n    _chart = Chart(\n"
_ITEM = " " * 12
"""The indentation of the entries of the chart's `states`, `transitions`, `fused`."""
_ITEMS_PER_JOB = 120


def format_source(text: str) -> str:
    """`text` formatted by black with its default style.

    black takes most of the compile time of a large document, so a long module is
    cut into units that are independent for black, formatted on every core:

    - the members of its machine class, statement by statement (see
      `statements`): black formats only the statements `statements` and
      `layout` cannot write as it would, in batches; a member of the same
      shape as another (see `shapes`) is not formatted again but derived from
      the other's output; a long member is formatted in batches spread over
      the cores, or, when `statements` declines it, cut into pieces (see
      `pieces`); the members `statements` declines go to black in groups
      inside a placeholder class;
    - the chart statement, with the entries of its tables replaced by markers;
    - the entries of the tables, laid out as black would by `layout`, or in
      groups inside a placeholder of the same nesting when `layout` declines.

    Every unit's output is kept in the format cache (see `format_cache`). The
    result is what black gives for the whole module (tests check that black
    leaves compiled modules unchanged, and compare `statements`, `layout`,
    `shapes` and `pieces` with black directly).
    """
    _open_cache()
    if (
        text.count("\n") < PARALLEL_THRESHOLD
        or text.count("(Machine):\n") != 1
        or _WITH.search(text)
    ):
        return _cached("module", text, _black_module)
    body, chart = text, ""
    if text.count(_CHART) == 1:
        at = text.index(_CHART) + 2
        body, chart = text[:at], text[at:]
    head, *members = _MEMBER.split(body)
    skeleton, tables = _chart_parts(chart) if chart else ("", [])
    laid_out = [
        [_lay_out(group, in_dict=opening.endswith("{")) for group in entry_groups]
        for opening, entry_groups in tables
    ]
    jobs = [("head", head), *_chart_jobs(skeleton, tables, laid_out)]
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        formatted = pool.map(_format_job, jobs)
        formatted_members = _format_class_members(members, pool, workers)
        formatted_head, *rest = formatted
    out = formatted_head
    if formatted_members:
        out += "\n" + "\n\n".join(formatted_members) + "\n"
    if not chart:
        return out
    pieces = iter(rest)
    formatted_skeleton = next(pieces)
    formatted_tables = [
        [next(pieces) if lines is None else lines for lines in done]
        for done in laid_out
    ]
    return out + "\n" + _fill_chart(formatted_skeleton, formatted_tables)


def _chart_jobs(
    skeleton: str,
    tables: list[tuple[str, list[list[str]]]],
    laid_out: list[list[str | None]],
) -> list[tuple[str, str]]:
    """The jobs for black in the chart statement: its skeleton, and the groups
    of table entries `layout` declined."""
    if not skeleton:
        return []
    jobs = [("chart", skeleton)]
    for (opening, entry_groups), done in zip(tables, laid_out):
        jobs += [
            (opening, "\n".join(group))
            for group, lines in zip(entry_groups, done)
            if lines is None
        ]
    return jobs


def _format_class_members(
    members: list[str], pool: ProcessPoolExecutor, workers: int
) -> list[str]:
    """The members of the machine class, formatted with the workers of `pool`:
    long members statement by statement (see `statements`), or else in
    pieces, the others by shape."""
    long = [i for i, m in enumerate(members) if m.count("\n") > LONG_MEMBER]
    plans = dict(zip(long, pool.map(_plan_member, [members[i] for i in long])))
    unplanned = [i for i in long if plans[i] is None]
    cuts = pool.map(_cut_member, [members[i] for i in unplanned])
    short = [i for i in range(len(members)) if i not in set(long)]
    shape_groups = pool.map(_shapes_of, _group([members[i] for i in short], workers))
    cut_up = _cut_long_members(unplanned, cuts)
    planned = {i: p for i, p in plans.items() if p is not None}
    shapes: list[Shape | None] = [None] * len(members)
    for i, shape in zip(short, (s for group in shape_groups for s in group)):
        shapes[i] = shape
    planned_batches = batches(planned.values())
    formatted_batches = pool.map(
        _format_job, [("statements", b.text) for b in planned_batches]
    )
    formatted_pieces = pool.map(
        _format_job, [("piece", p.text) for ps in cut_up.values() for p in ps]
    )
    formatter = _MemberFormatter(members, shapes, pool, workers)
    formatter.run(exclude=set(cut_up) | set(planned))
    formatter.join_statements(planned, planned_batches, formatted_batches)
    formatter.join_pieces(cut_up, formatted_pieces)
    return formatter.formatted()


def _plan_member(member: str) -> Plan | None:
    return plan(member)


class _MemberFormatter:
    """Formats the members of a machine class, black running only on the models.

    Three rounds: first one model per shape, the other members derived from it;
    then, for members that could not be derived, one model per shape and token
    widths; then black on each member left.
    """

    def __init__(
        self,
        members: list[str],
        shapes: list[Shape | None],
        pool: ProcessPoolExecutor,
        workers: int,
    ) -> None:
        self.members = members
        self.shapes = shapes
        self.pool = pool
        self.workers = workers
        self.result: list[str | None] = [None] * len(members)

    def run(self, exclude: set[int]) -> None:
        """Format every member but those in `exclude`."""
        pending = [i for i in range(len(self.members)) if i not in exclude]
        for key in (self.by_shape, self.by_shape_and_widths, self.by_member):
            if not pending:
                break
            pending = self.round(pending, key)

    def join_statements(
        self, planned: dict[int, Plan], batches: list[Batch], formatted: Iterable[str]
    ) -> None:
        """Format the members planned statement by statement from black's
        output for their `batches` (`formatted`, in order); black formats a
        member whose batch does not split back as a whole."""
        for batch, output in zip(batches, formatted):
            fill(batch, output)
        whole = []
        for i, member_plan in planned.items():
            self.result[i] = assemble(member_plan)
            if self.result[i] is None:
                whole.append(i)
        self.format_whole(whole)

    def format_whole(self, members: list[int]) -> None:
        """Format `members` each with black as a whole."""
        for i, output in zip(
            members, self.pool.map(_format_member, [self.members[i] for i in members])
        ):
            self.result[i] = output

    def join_pieces(
        self, cut_up: dict[int, list[Piece]], formatted: Iterable[str]
    ) -> None:
        """Format the members cut into pieces from black's output for the
        pieces' placeholders (`formatted`, in order); black formats a member
        whose pieces lost their markers as a whole."""
        outputs = iter(formatted)
        whole = []
        for i, member_pieces in cut_up.items():
            texts = [extract(p, next(outputs)) for p in member_pieces]
            if any(t is None for t in texts):
                whole.append(i)
            else:
                self.result[i] = "\n".join(t for t in texts if t is not None)
        self.format_whole(whole)

    def formatted(self) -> list[str]:
        """Every member, formatted."""
        assert all(m is not None for m in self.result)
        return [m for m in self.result if m is not None]

    def by_shape(self, i: int) -> object:
        shape = self.shapes[i]
        return i if shape is None else shape.key

    def by_shape_and_widths(self, i: int) -> object:
        shape = self.shapes[i]
        return i if shape is None else (shape.key, tuple(map(len, shape.values)))

    def by_member(self, i: int) -> object:
        return i

    def round(self, pending: list[int], key: Callable[[int], object]) -> list[int]:
        """Format one model per `key` among `pending`, derive the other members
        from their model; the members still to format."""
        model_of: dict[object, int] = {}
        for i in pending:
            model_of.setdefault(key(i), i)
        models = sorted(set(model_of.values()))
        groups = _group([self.members[i] for i in models], self.workers * 4)
        outputs = [m for group in self.pool.map(_format_members, groups) for m in group]
        for i, output in zip(models, outputs):
            self.result[i] = output
        read: dict[int, Formatted | None] = {}
        left = []
        for i in pending:
            if self.result[i] is None:
                self.result[i] = self.derived(i, model_of[key(i)], read)
                if self.result[i] is None:
                    left.append(i)
        return left

    def derived(
        self, i: int, model: int, read: dict[int, Formatted | None]
    ) -> str | None:
        """Member `i` derived from the output of `model`, which is read once
        (into `read`) for all the members derived from it."""
        shape, model_shape = self.shapes[i], self.shapes[model]
        if shape is None or model_shape is None:
            return None
        if model not in read:
            output = self.result[model]
            read[model] = None if output is None else read_formatted(output)
        formatted = read[model]
        return None if formatted is None else derive(formatted, model_shape, shape)


LONG_MEMBER = 300
"""Lines from which a member is cut into pieces formatted apart (see `pieces`)."""
_PIECE_LINES = 150


def _cut_member(member: str) -> list[Piece] | None:
    return cut(member, _PIECE_LINES)


def _cut_long_members(
    long: list[int], cuts: Iterable[list[Piece] | None]
) -> dict[int, list[Piece]]:
    """The long members (their indices in `long`) that could be cut, with
    their pieces (`cuts`, in the same order); the others are formatted whole."""
    return {i: pieces for i, pieces in zip(long, cuts) if pieces is not None}


def _shapes_of(members: list[str]) -> list[Shape | None]:
    return [shape_of(member) for member in members]


def _group(members: list[str], count: int) -> list[list[str]]:
    """Consecutive members in about `count` groups of similar size."""
    size = max(1, len(members) // count + 1)
    return [members[i : i + size] for i in range(0, len(members), size)]


def _format_members(members: list[str]) -> list[str]:
    """A group of members formatted inside one placeholder class, each without
    its trailing newline (one at a time if black's output does not split back
    into as many members). Members found in the format cache are not formatted
    again."""
    kept = [_CACHE.get("member", m) if _CACHE else None for m in members]
    missing = [m for m, k in zip(members, kept) if k is None]
    formatted = iter(_black_members(missing) if missing else [])
    result = []
    for member, k in zip(members, kept):
        if k is None:
            k = next(formatted)
            if _CACHE:
                _CACHE.put("member", member, k)
        result.append(k)
    return result


def _black_members(members: list[str]) -> list[str]:
    """black's output for `members`: statement by statement (see
    `statements`), and the members it declines formatted together when
    black's output splits back into as many members, else one at a time."""
    done = format_members(members, _black_batch)
    rest = [m for m, d in zip(members, done) if d is None]
    if not rest:
        return [d for d in done if d is not None]
    formatted = _black_in_class("\n\n".join(rest))
    pieces = _MEMBER.split(formatted)
    if len(pieces) != len(rest):
        pieces = [_black_in_class(member) for member in rest]
    whole = iter(pieces)
    return [next(whole) if d is None else d for d in done]


def _format_member(member: str) -> str:
    """One member formatted inside a placeholder class, without trailing newline."""
    return _cached("member", member, _black_in_class)


def _black_in_class(text: str) -> str:
    """black's output for the class-body text `text`, formatted inside a
    placeholder class, without its trailing newline."""
    return _black("class _Chunk:\n" + text).split("\n", 1)[1].rstrip("\n")


_CACHE: FormatCache | None = None


def _open_cache() -> None:
    """Open the format cache of this environment for one module, before the
    workers fork (they share it)."""
    global _CACHE
    _CACHE = default_cache()


def _cached(kind: str, text: str, format_text: Callable[[str], str]) -> str:
    """`format_text(text)`, kept in the format cache under `kind`."""
    if _CACHE is None:
        return format_text(text)
    kept = _CACHE.get(kind, text)
    if kept is not None:
        return kept
    formatted = format_text(text)
    _CACHE.put(kind, text, formatted)
    return formatted


def _lay_out(entries: list[str], *, in_dict: bool) -> str | None:
    """A group of table entries laid out as black would (see `layout`), or None
    when one of them is outside the shape `layout` knows: black then formats the
    group."""
    lines: list[str] = []
    for entry in entries:
        text = entry.strip()
        if not text.endswith(","):
            return None
        try:
            lines += lay_out_entry(text[:-1], len(_ITEM), in_dict=in_dict)
        except NotLaidOut:
            return None
    return "\n".join(lines)


def _chart_parts(chart: str) -> tuple[str, list[tuple[str, list[list[str]]]]]:
    """The chart statement with the entries of each table replaced by two marker
    entries, and each table's entries in groups: (the line opening the table,
    groups of entry lines). Entries are the lines at `_ITEM` indentation."""
    skeleton: list[str] = []
    tables: list[tuple[str, list[list[str]]]] = []
    opening = ""
    entries: list[str] = []
    for line in chart.split("\n"):
        if line.startswith(_ITEM):
            entries.append(line)
            continue
        if entries:
            skeleton += _markers(len(tables), dictionary=opening.endswith("{"))
            groups = [
                entries[start : start + _ITEMS_PER_JOB]
                for start in range(0, len(entries), _ITEMS_PER_JOB)
            ]
            tables.append((opening, groups))
            entries = []
        skeleton.append(line)
        opening = line
    return "\n".join(skeleton), tables


def _markers(table: int, *, dictionary: bool) -> list[str]:
    """Two entries that stand for table `table` (two, so black keeps the table
    one entry a line, as it does the real entries)."""
    names = [f"_scxmlc_table_{table}_{end}" for end in ("first", "last")]
    return [f"{_ITEM}{n}: {n}," if dictionary else f"{_ITEM}{n}," for n in names]


def _fill_chart(skeleton: str, tables: list[list[str]]) -> str:
    """The formatted chart statement with each table's formatted entries in
    place of its markers."""
    lines: list[str] = []
    for line in skeleton.split("\n"):
        name = line.strip().split(":")[0].rstrip(",")
        if not name.startswith("_scxmlc_table_"):
            lines.append(line)
        elif name.endswith("_first"):
            table = int(name.split("_")[3])
            lines.extend(tables[table])
    return "\n".join(lines)


def _format_job(job: tuple[str, str]) -> str:
    """`_format_unit` through the format cache."""
    kind, text = job
    return _cached(f"job {kind}", text, lambda _: _format_unit(job))


def _format_unit(job: tuple[str, str]) -> str:
    """One job: the head of the module, or a long member's piece in its
    placeholder (see `pieces`), as it is; the chart statement's skeleton inside
    a placeholder class; or a group of table entries inside a placeholder chart (the job's kind is then the line opening their table),
    followed by a marker entry so that black keeps even a single entry on its
    own line."""
    kind, text = job
    if kind == "statements":
        return _black_batch(text)
    if kind in ("head", "piece"):
        return _black(text)
    if kind == "chart":
        return _black_in_class(text) + "\n"
    dictionary = kind.endswith("{")
    closing = "        }," if dictionary else "        ),"
    (last,) = _markers(0, dictionary=dictionary)[1:]
    wrapped = _black(
        "class _Chunk:\n    _chart = Chart(\n"
        + kind
        + "\n"
        + text
        + "\n"
        + last
        + "\n"
        + closing
        + "\n    )\n"
    )
    return "\n".join(wrapped.split("\n")[3:-4])


def _black_batch(text: str) -> str:
    """black's output for a batch of statements (see `statements`), or "" if
    black cannot read the batch: the members of its statements then go to
    black whole, where their blocks are complete."""
    try:
        return _black(text)
    except InvalidInput:
        return ""


def _black(text: str) -> str:
    """black's output for `text`, a unit of a module (see `_UNIT_MODE`)."""
    return black.format_str(text, mode=_UNIT_MODE)


def _black_module(text: str) -> str:
    """black's output for `text`, a whole module."""
    return black.format_str(text, mode=black.Mode())


_UNIT_MODE = black.Mode(
    target_versions={
        v for v in TargetVersion if Feature.FUTURE_ANNOTATIONS in VERSION_TO_FEATURES[v]
    }
)
"""The mode black formats the units of a module with. black infers the Python
versions a text targets from what it uses, and splits some lines by them: it
puts a trailing comma after `*args` in an exploded call only if every version
allows one. Every generated module starts with `from __future__ import
annotations`, so black infers Python 3.7 on for it; a unit is formatted for
those versions, as in its module. The one split that depends on a later
version is a long `with` statement's (in parentheses from 3.9): a module with
`with` statements is formatted whole (see `_WITH`)."""

_WITH = re.compile(r"^[ \t]*(?:async[ \t]+)?with\b", re.MULTILINE)
"""A line that may open a `with` statement."""
