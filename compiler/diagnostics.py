"""Diagnostics: every problem the compiler finds, with its position.

Each phase reports into one `Diagnostics` sink and the driver stops at the end of a
phase that found errors, raising `CompileError` with all of them. Messages print in
the format editors understand: `file:line:col: error: message`.

Three kinds of problem:
- an **error** makes the document invalid (malformed XML, an unknown target, an
  element where the schema allows none): it is never compiled;
- a **warning** is something the compiler cannot prove right, in a valid document:
  it compiles, and the code raises `error.execution` where it turns out wrong when
  it runs (an undefined name, an illegal expression), as SCXML requires;
- a warning may be **certain**: what it points at can never succeed when run (an
  expression that does not parse, an assignment to a system variable).
  `scxmlc check` reports those as errors.

With `strict`, every warning is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = ["CompileError", "Diagnostic", "Diagnostics", "Loc", "NOWHERE"]

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in a source file; line and column count from 1. Line 0 is
    the whole file (a file that cannot be read): it prints as the file alone.

    `include` is the `resolveid` of the Composer XInclude an element was read
    through ('' outside any): what `_my_prefix` reads there.
    """

    file: str
    line: int
    col: int
    include: str = ""

    def __str__(self) -> str:
        if self.line == 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"

    def short(self) -> str:
        """`name.scxml:LINE`, for comments in generated code (a file name's
        characters that could end a comment are escaped)."""
        from .naming import comment_text

        return comment_text(f"{self.file.rsplit('/', 1)[-1]}:{self.line}")


NOWHERE: Final = Loc("<unknown>", 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: where, how bad, what. `certain` marks a warning about code
    that can never succeed when run (see the module docstring)."""

    loc: Loc
    severity: Severity
    message: str
    certain: bool = False
    consequence: str = ""
    """What the compiler does about a warning ("ignored"): printed after the
    message while it is a warning, dropped when `strict` makes it an error."""

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity}: {self.text}"

    @property
    def text(self) -> str:
        """What follows the severity: the message, and a warning's consequence."""
        if self.consequence and self.severity == "warning":
            return f"{self.message} ({self.consequence})"
        return self.message

    def as_error(self) -> Diagnostic:
        """The same problem, reported as an error (without its consequence:
        an error stops the compilation instead)."""
        return Diagnostic(self.loc, "error", self.message, self.certain)


@dataclass
class Diagnostics:
    """The sink every phase reports into; with `strict`, warnings count as errors."""

    items: list[Diagnostic] = field(default_factory=list)
    strict: bool = False

    def error(self, loc: Loc, message: str) -> None:
        self.items.append(Diagnostic(loc, "error", message))

    def warning(
        self, loc: Loc, message: str, *, certain: bool = False, consequence: str = ""
    ) -> None:
        """Something the compiler cannot prove right; `certain`: it can never
        succeed when run; `consequence`: what the compiler does about it."""
        self.items.append(Diagnostic(loc, "warning", message, certain, consequence))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity != "error"]

    def check(self) -> None:
        """End of a phase: raise `CompileError` if any error was reported (any
        diagnostic at all when `strict`)."""
        if self.strict and any(d.severity == "warning" for d in self.items):
            promoted = [
                d.as_error() if d.severity == "warning" else d for d in self.items
            ]
            raise CompileError(sorted_diagnostics(promoted))
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
