"""Results of a run and their plain-text, Markdown and JSON renderings."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from bench.charts import CHARTS, spec

Status = Literal["ok", "failed", "skipped", "unsupported"]

HEADERS: tuple[str, ...] = (
    "implementation",
    "events/s",
    "ratio vs hand-written dict",
    "vs if/elif",
    "µs to instantiate+start",
    "bytes/instance",
)


@dataclass
class Result:
    """One implementation on one chart."""

    chart: str
    impl: str
    status: Status = "ok"
    reason: str = ""
    note: str = ""
    events_per_s: float | None = None
    ratio: float | None = None
    start_us: float | None = None
    bytes_per_instance: float | None = None
    memory_instances: int | None = None
    samples: list[float] = field(default_factory=list)
    variant: str = ""
    """The child process kind that measured the row (see bench/variants.py)."""
    ratio_ifelif: float | None = None
    """events/s over the hand-written if/elif's, same process."""
    ratio_min: float | None = None
    ratio_max: float | None = None
    """The lowest and highest ratio of the rounds (``ratio`` is their median)."""
    rounds: int = 1
    load_seconds: list[float] = field(default_factory=list)
    """scxmlc rows: seconds ``scxmlc.load`` took in each round (the first compiles
    into an empty cache, the later ones take the module from the cache)."""

    def fail(self, status: Status, reason: str) -> None:
        """Mark the result as not measured, dropping any partial numbers."""
        self.status = status
        self.reason = reason
        self.events_per_s = self.ratio = self.start_us = self.bytes_per_instance = None
        self.ratio_ifelif = self.ratio_min = self.ratio_max = None
        self.memory_instances = None
        self.samples = []
        self.load_seconds = []

    @property
    def outcome(self) -> str:
        """What to show instead of the numbers when the row was not measured."""
        prefix = {
            "failed": "FAILED CHECK: ",
            "skipped": "skipped: ",
            "unsupported": "cannot express this chart: ",
            "ok": "",
        }[self.status]
        return prefix + self.reason


@dataclass
class RunInfo:
    """What a reader needs to reproduce or weigh the numbers."""

    python: str
    platform: str
    cpus: int | None
    versions: dict[str, str]
    command: str
    mode: str
    sample_seconds: float
    samples: int
    started_utc: str
    rounds: int = 1
    processes: list[str] = field(default_factory=list)
    """One line per variant: what its child processes imported."""


@dataclass
class Table:
    """A titled table of text cells (a summary of the run, see bench/summary.py)."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


# ------------------------------------------------------------------ formatting
def _decimals_for(value: float, significant: int) -> int:
    """Decimals that show ``significant`` digits of ``value`` (at least 0)."""
    if value <= 0 or not math.isfinite(value):
        return 0
    return max(0, significant - 1 - math.floor(math.log10(value)))


def fmt_events(value: float) -> str:
    """Events/s with thousands separators."""
    return f"{value:,.0f}"


def fmt_ratio(value: float) -> str:
    """A ratio with two significant digits (at least two decimals), e.g. 0.00063x."""
    return f"{value:.{max(2, _decimals_for(value, 2))}f}x"


def fmt_us(value: float) -> str:
    """Microseconds with three significant digits."""
    return f"{value:,.{_decimals_for(value, 3)}f}"


def fmt_bytes(value: float) -> str:
    """Whole bytes with thousands separators."""
    return f"{value:,.0f}"


def _cell(value: float | None, fmt: Callable[[float], str]) -> str:
    """``fmt(value)``, or "n/a" for a missing number."""
    return "n/a" if value is None else fmt(value)


def fmt_ratio_range(result: Result) -> str:
    """The median ratio, with the lowest and highest of the rounds when several."""
    if result.ratio is None:
        return "n/a"
    text = fmt_ratio(result.ratio)
    low, high = result.ratio_min, result.ratio_max
    if result.rounds > 1 and low is not None and high is not None:
        low_text, high_text = fmt_ratio(low), fmt_ratio(high)
        if low_text != high_text:  # the baseline's is always 1.00x
            text += f" ({low_text.rstrip('x')}–{high_text})"
    return text


def _cells(result: Result) -> list[str]:
    """The numeric cells of a measured row ("n/a" where a number is missing)."""
    return [
        _cell(result.events_per_s, fmt_events),
        fmt_ratio_range(result),
        _cell(result.ratio_ifelif, fmt_ratio),
        _cell(result.start_us, fmt_us),
        _cell(result.bytes_per_instance, fmt_bytes),
    ]


def _by_chart(results: list[Result], chart: str) -> list[Result]:
    """The rows of one chart, in implementation order."""
    return [result for result in results if result.chart == chart]


def _notes(results: list[Result]) -> list[str]:
    """``impl: note`` for every row that carries a faithfulness note."""
    return [f"{result.impl}: {result.note}" for result in results if result.note]


def version_line(info: RunInfo) -> str:
    """``name version`` of every peer, comma-separated."""
    return ", ".join(f"{name} {version}" for name, version in info.versions.items())


# ------------------------------------------------------------------ plain text
def _text_table(rows: list[Result]) -> list[str]:
    """Aligned lines; an unmeasured row shows its outcome after the name instead."""
    measured = [list(HEADERS)] + [
        [row.impl] + _cells(row) for row in rows if row.status == "ok"
    ]
    name_width = max(len(row.impl) for row in rows)
    widths = [max(len(cells[i]) for cells in measured) for i in range(1, len(HEADERS))]

    def line(name: str, cells: list[str]) -> str:
        return name.ljust(name_width) + "".join(
            "  " + cell.rjust(width) for cell, width in zip(cells, widths)
        )

    lines = [
        line(HEADERS[0], list(HEADERS[1:])),
        "-" * (name_width + sum(w + 2 for w in widths)),
    ]
    for row in rows:
        if row.status == "ok":
            lines.append(line(row.impl, _cells(row)))
        else:
            lines.append(f"{row.impl.ljust(name_width)}  {row.outcome}")
    return lines


def _aligned(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Plain-text lines of a table: first column left-aligned, the others right."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        return first.ljust(widths[0]) + "".join(
            "  " + cell.rjust(width) for cell, width in zip(rest, widths[1:])
        )

    return [line(headers), "-" * (sum(widths) + 2 * (len(widths) - 1))] + [
        line(row) for row in rows
    ]


def _rounds_line(info: RunInfo) -> str:
    """How the numbers were taken: samples, rounds, processes."""
    rounds = (
        f"; {info.rounds} interleaved rounds, a process per build and round"
        if info.rounds > 1
        else ""
    )
    return f"{info.mode}: median of {info.samples} samples of ~{info.sample_seconds:g} s{rounds}"


def render_text(
    results: list[Result], info: RunInfo, tables: list[Table] | None = None
) -> str:
    """One aligned plain-text table per chart, with notes under it, then ``tables``."""
    lines = [
        f"{info.python} on {info.platform}, {info.cpus} CPUs; {version_line(info)}",
        f"command: {info.command}  ({_rounds_line(info)})",
        *(f"  {process}" for process in info.processes),
    ]
    for chart in CHARTS:
        rows = _by_chart(results, chart)
        if rows:
            lines += ["", f"{spec.TITLES[chart]}; cycle {' '.join(spec.CYCLES[chart])}"]
            lines += _text_table(rows)
            lines += [f"  note: {note}" for note in _notes(rows)]
    for table in tables or []:
        lines += ["", table.title, *_aligned(table.headers, table.rows)]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------- markdown
def _md_escape(text: str) -> str:
    """Escape what would break a Markdown table cell."""
    return text.replace("|", "\\|")


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown lines of a table, numbers right-aligned."""
    return [
        "| " + " | ".join(headers) + " |",
        "| --- |" + " ---: |" * (len(headers) - 1),
        *("| " + " | ".join(_md_escape(cell) for cell in row) + " |" for row in rows),
    ]


def render_markdown(
    results: list[Result], info: RunInfo, tables: list[Table] | None = None
) -> str:
    """Markdown for docs/performance.md: a header line, ``tables``, a table per chart."""
    rounds = (
        f"; {info.rounds} interleaved rounds, each build in a process of its own per "
        "round, the ratio the median of the rounds (lowest–highest in brackets)"
        if info.rounds > 1
        else ""
    )
    lines = [
        f"Measured with `{info.command}` on {info.python} ({info.platform}, {info.cpus} CPUs); "
        f"{version_line(info)}. Throughput is the median of {info.samples} samples of "
        f"~{info.sample_seconds:g} s; the ratio is events/s relative to the hand-written "
        f"dict variant measured in the same process{rounds}.",
    ]
    if info.processes:
        lines += [""] + [f"- {_md_escape(process)}" for process in info.processes]
    for table in tables or []:
        lines += ["", f"**{table.title}**", "", *_md_table(table.headers, table.rows)]
    for chart in CHARTS:
        rows = _by_chart(results, chart)
        if not rows:
            continue
        lines += [
            "",
            f"### {spec.TITLES[chart]}",
            "",
            f"Event cycle: {', '.join(f'`{event}`' for event in spec.CYCLES[chart])}.",
            "",
            "| " + " | ".join(HEADERS) + " |",
            "| --- |" + " ---: |" * (len(HEADERS) - 1),
        ]
        for row in rows:
            cells = (
                _cells(row)
                if row.status == "ok"
                else [_md_escape(row.outcome)] + [""] * (len(HEADERS) - 2)
            )
            lines.append("| " + " | ".join([_md_escape(row.impl)] + cells) + " |")
        notes = _notes(rows)
        if notes:
            lines += [""] + [f"- {_md_escape(note)}" for note in notes]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ json
def write_json(path: Path, results: list[Result], info: RunInfo) -> None:
    """Every number of the run (including the raw samples) as JSON."""
    payload = {"run": asdict(info), "results": [asdict(result) for result in results]}
    path.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
