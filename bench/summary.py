"""Summary tables of a run: the builds of scxmlc side by side, per chart.

Each table is read off the per-chart rows (``Result``) by row name; a build that
was not measured shows ``n/a``. Rendering is left to bench/report.py.
"""

from __future__ import annotations

import statistics

from bench.charts import CHARTS
from bench.report import Result, Table, fmt_ratio, fmt_ratio_range, fmt_us

NATIVE_GOAL = 1.5
"""Issue 15: the native build at least 1.5x the hand-written dict on every chart."""
ECMASCRIPT_GOAL = 1.5
"""Issue 15: the ECMAScript datamodel within 1.5x of the python datamodel."""

PURE = "scxmlc pure"
NATIVE_RUNTIME = "scxmlc native runtime, pure module"
NATIVE = "scxmlc native"
ECMASCRIPT = ", ECMAScript"
BASE_PREFIX = "scxmlc pure at "
BUILD_COLUMNS: tuple[str, ...] = (
    "pure",
    "pure, ECMAScript",
    "native runtime",
    "native runtime, ECMAScript",
    "native",
    "native, ECMAScript",
)
"""Column titles of the six rows of scxmlc ("native runtime": pure modules on it)."""


def _find(results: list[Result], chart: str, impl: str) -> Result | None:
    """The measured row ``impl`` of ``chart``, or None."""
    for result in results:
        if result.chart == chart and result.impl == impl and result.status == "ok":
            return result
    return None


def _ratio(results: list[Result], chart: str, impl: str) -> float | None:
    """The median ratio of row ``impl`` of ``chart``, or None."""
    row = _find(results, chart, impl)
    return None if row is None else row.ratio


def _text(value: float | None) -> str:
    """A ratio, or n/a."""
    return "n/a" if value is None else fmt_ratio(value)


def _goal(ok: bool | None) -> str:
    """met / not met / n/a (not measured)."""
    return {None: "n/a", True: "met", False: "not met"}[ok]


def goals_table(results: list[Result]) -> Table:
    """Issue 15's goals per chart: the ratios of each build, and whether they are met."""
    table = Table(
        "Builds side by side (ratio vs the hand-written dict: median, lowest–highest of the rounds)",
        [
            "chart",
            *BUILD_COLUMNS,
            f"native ≥ {NATIVE_GOAL:g}x",
            f"native ECMAScript within {ECMASCRIPT_GOAL:g}x of python",
        ],
    )
    for chart in CHARTS:
        rows = {
            name: _find(results, chart, name)
            for title in (PURE, NATIVE_RUNTIME, NATIVE)
            for name in (title, title + ECMASCRIPT)
        }
        if all(row is None for row in rows.values()):
            continue
        native = _ratio(results, chart, NATIVE)
        native_es = _ratio(results, chart, NATIVE + ECMASCRIPT)
        slower = None if native is None or native_es is None else native / native_es
        table.rows.append(
            [chart]
            + ["n/a" if row is None else fmt_ratio_range(row) for row in rows.values()]
            + [
                _goal(None if native is None else native >= NATIVE_GOAL),
                _goal(None if slower is None else slower <= ECMASCRIPT_GOAL)
                + ("" if slower is None else f" ({slower:.2f}x)"),
            ]
        )
    return table


def startup_table(results: list[Result]) -> Table:
    """µs to instantiate and start, per build and datamodel."""
    names = [
        title + suffix
        for title in (PURE, NATIVE_RUNTIME, NATIVE)
        for suffix in ("", ECMASCRIPT)
    ]
    table = Table(
        "µs to instantiate+start (median of the rounds)", ["chart", *BUILD_COLUMNS]
    )
    for chart in CHARTS:
        rows = [_find(results, chart, name) for name in names]
        if any(row is not None for row in rows):
            table.rows.append(
                [chart]
                + [
                    (
                        "n/a"
                        if row is None or row.start_us is None
                        else fmt_us(row.start_us)
                    )
                    for row in rows
                ]
            )
    return table


def _seconds(values: list[float]) -> str:
    """The median of ``values`` in seconds, or n/a."""
    return "n/a" if not values else f"{statistics.median(values):.2f}"


def load_table(results: list[Result]) -> Table:
    """Seconds ``scxmlc.load`` took: the first round (empty cache) and the later ones."""
    table = Table(
        "Seconds to load a chart: compiled into an empty cache (first round), "
        "taken from the cache (median of the later rounds)",
        [
            "chart",
            "datamodel",
            "pure module, compiled",
            "pure module, cached",
            "native module, compiled",
            "native module, cached",
        ],
    )
    for chart in CHARTS:
        for datamodel, suffix in (("python", ""), ("ECMAScript", ECMASCRIPT)):
            pure = _find(results, chart, PURE + suffix)
            native = _find(results, chart, NATIVE + suffix)
            if pure is None and native is None:
                continue
            cells = [chart, datamodel]
            for row in (pure, native):
                loads = [] if row is None else row.load_seconds
                cells += [_seconds(loads[:1]), _seconds(loads[1:])]
            table.rows.append(cells)
    return table


def base_table(results: list[Result]) -> Table | None:
    """The pure build of another tree (``--pure-tree``) against this one's."""
    base_names = {
        result.impl.removesuffix(ECMASCRIPT)
        for result in results
        if result.impl.startswith(BASE_PREFIX)
    }
    if not base_names:
        return None
    base = min(base_names)
    label = base.removeprefix(BASE_PREFIX)
    table = Table(
        f"Pure build: this tree against {label} (ratio vs the hand-written dict, "
        "median (lowest–highest) of the rounds; µs to instantiate+start)",
        [
            "chart",
            "datamodel",
            label,
            "this tree",
            "change",
            f"µs, {label}",
            "µs, this tree",
        ],
    )
    for chart in CHARTS:
        for datamodel, suffix in (("python", ""), ("ECMAScript", ECMASCRIPT)):
            old = _find(results, chart, base + suffix)
            new = _find(results, chart, PURE + suffix)
            if old is None or new is None or old.ratio is None or new.ratio is None:
                continue
            table.rows.append(
                [
                    chart,
                    datamodel,
                    fmt_ratio_range(old),
                    fmt_ratio_range(new),
                    f"{new.ratio / old.ratio - 1:+.1%}",
                    "n/a" if old.start_us is None else fmt_us(old.start_us),
                    "n/a" if new.start_us is None else fmt_us(new.start_us),
                ]
            )
    return table


def summary_tables(results: list[Result]) -> list[Table]:
    """Every summary table that has rows in this run."""
    tables = [goals_table(results), startup_table(results), load_table(results)]
    base = base_table(results)
    if base is not None:
        tables.append(base)
    return [table for table in tables if table.rows]
