"""Diagnostics: every problem the compiler finds, with its position.

Each phase reports into one `Diagnostics` sink and the driver stops at the end of a
phase that found errors, raising `CompileError` with all of them. Messages print in
the format editors understand: `file:line:col: error: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = ["CompileError", "Diagnostic", "Diagnostics", "Loc", "NOWHERE"]

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in a source file; line and column count from 1."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def short(self) -> str:
        """`name.scxml:LINE`, for comments in generated code."""
        return f"{self.file.rsplit('/', 1)[-1]}:{self.line}"


NOWHERE: Final = Loc("<unknown>", 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    loc: Loc
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity}: {self.message}"


@dataclass
class Diagnostics:
    """The sink every phase reports into."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, loc: Loc, message: str) -> None:
        self.items.append(Diagnostic(loc, "error", message))

    def warning(self, loc: Loc, message: str) -> None:
        self.items.append(Diagnostic(loc, "warning", message))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity != "error"]

    def check(self) -> None:
        """End of a phase: raise `CompileError` if any error was reported."""
        if self.errors:
            raise CompileError(sorted_diagnostics(self.items))


def sorted_diagnostics(items: list[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in file and position order (stable for equal positions)."""
    return sorted(items, key=lambda d: (d.loc.file, d.loc.line, d.loc.col))


class CompileError(Exception):
    """The document cannot be compiled; `diagnostics` says why, all at once."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))
