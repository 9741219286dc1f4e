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
from concurrent.futures import ProcessPoolExecutor
from importlib import resources

import black
import jinja2

from .codegen import ModuleView

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


PARALLEL_THRESHOLD = 2000
"""Generated lines from which the class body is formatted in parallel chunks."""

_MEMBER = re.compile(r"\n\n(?=    # )")
_CHART = "\n\n    _chart = Chart(\n"
_ITEM = " " * 12
"""The indentation of the entries of the chart's `states`, `transitions`, `fused`."""
_ITEMS_PER_JOB = 120


def format_source(text: str) -> str:
    """`text` formatted by black with its default style.

    black takes most of the compile time of a large document, so a long module is
    cut into pieces formatted on every core: the members of its machine class,
    each group inside a placeholder class, and the entries of the chart's tables,
    each group inside a placeholder of the same nesting. Members and table entries
    are independent for black, so the result is what black gives for the whole
    module (the golden tests check that black leaves compiled modules unchanged).
    """
    if text.count("\n") < PARALLEL_THRESHOLD or text.count("(Machine):\n") != 1:
        return _black(text)
    body, chart = text, ""
    if text.count(_CHART) == 1:
        at = text.index(_CHART) + 2
        body, chart = text[:at], text[at:]
    workers = os.cpu_count() or 1
    chunks = _group(_MEMBER.split(body), workers * 4)
    jobs: list[tuple[str, str]] = [("head", chunks[0])]
    jobs += [("member", chunk) for chunk in chunks[1:]]
    skeleton, tables = _chart_parts(chart) if chart else ("", [])
    if chart:
        jobs.append(("member", skeleton))
        for opening, groups in tables:
            jobs += [(opening, "\n".join(group)) for group in groups]
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        formatted = iter(pool.map(_format_job, jobs))
    members = "\n".join(next(formatted) for _ in chunks)
    if not chart:
        return members
    formatted_skeleton = next(formatted)
    formatted_tables = [[next(formatted) for _ in groups] for _, groups in tables]
    return members + "\n" + _fill_chart(formatted_skeleton, formatted_tables)


def _group(pieces: list[str], count: int) -> list[str]:
    """Join consecutive pieces into about `count` chunks of similar size."""
    head, members = pieces[0], pieces[1:]
    size = max(1, len(members) // count + 1)
    groups = [head] + [
        "\n\n".join(members[i : i + size]) for i in range(0, len(members), size)
    ]
    return groups


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
    """One piece: the head of the module or of the chart as it is, a group of
    members inside a placeholder class, or a group of table entries inside a
    placeholder chart (the job's kind is then the line opening their table)."""
    kind, text = job
    if kind == "head":
        return _black(text)
    if kind == "member":
        return _black("class _Chunk:\n" + text).split("\n", 1)[1]
    closing = "        }," if kind.endswith("{") else "        ),"
    wrapped = _black(
        "class _Chunk:\n    _chart = Chart(\n"
        + kind
        + "\n"
        + text
        + "\n"
        + closing
        + "\n    )\n"
    )
    return "\n".join(wrapped.split("\n")[3:-3])


def _black(text: str) -> str:
    return black.format_str(text, mode=black.Mode())
