"""What the commands write on stderr: diagnostics, progress, `check`'s summary.

On a terminal a diagnostic's severity is coloured (errors red, warnings
yellow, notes cyan, the position bold), and a command that works through more
than one document draws a progress bar naming the document in hand; the bar is
erased when the command ends, and lines printed meanwhile appear above it.

The output is plain where stderr is not a terminal (a pipe, a file, an
editor's build window, CI) or `TERM` is `dumb`: no bar, no colour, each
diagnostic exactly the line `file:line:col: severity: message`. `NO_COLOR`
set to anything but the empty string (https://no-color.org) turns colour off
on a terminal too; the bar stays, drawn without colour.

rich draws the colours and the bar; it is imported only when stderr is a
terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Final

from ..diagnostics import Diagnostic

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

__all__ = ["each", "is_terminal", "report", "summary", "wants_colour"]

SEVERITY_STYLES: Final = {
    "error": "bold red",
    "warning": "bold yellow",
    "note": "bold cyan",
}


def is_terminal() -> bool:
    """Whether stderr is a terminal that can draw: a TTY, and `TERM` is not `dumb`."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty()) and os.environ.get("TERM") != "dumb"


def wants_colour() -> bool:
    """Whether stderr gets colour: a terminal, and `NO_COLOR` unset or empty."""
    return is_terminal() and not os.environ.get("NO_COLOR")


_drawing: list[Console] = []
"""The console of the progress bar being drawn, if one is: lines printed
through it appear above the bar."""


def _console() -> Console:
    """A rich console on stderr, colouring only if `wants_colour()`; the
    progress bar's while one is drawn."""
    if _drawing:
        return _drawing[-1]
    from rich.console import Console

    return Console(
        file=sys.stderr,
        force_terminal=True,
        no_color=not wants_colour(),
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def styled(diagnostic: Diagnostic) -> Text:
    """`diagnostic` as rich text: the same characters as `str(diagnostic)`,
    with the position bold and the severity in its colour."""
    from rich.text import Text

    text = Text()
    text.append(str(diagnostic.loc), style="bold")
    text.append(": ")
    text.append(diagnostic.severity, style=SEVERITY_STYLES[diagnostic.severity])
    text.append(f": {diagnostic.text}")
    return text


def report(diagnostics: Sequence[Diagnostic]) -> None:
    """Write each diagnostic on stderr, one a line, coloured if `wants_colour()`."""
    if not diagnostics:
        return
    if not wants_colour():
        for diagnostic in diagnostics:
            print(diagnostic, file=sys.stderr)
        return
    console = _console()
    for diagnostic in diagnostics:
        console.print(styled(diagnostic))


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(documents: int, errors: int, warnings: int) -> str:
    """`check`'s last line: `3 documents, 0 errors, 2 warnings` (singular for one)."""
    return ", ".join(
        (
            _counted(documents, "document"),
            _counted(errors, "error"),
            _counted(warnings, "warning"),
        )
    )


def say(line: str, *, style: str | None = None) -> None:
    """Write `line` on stderr, in `style` if `wants_colour()`."""
    if style is None or not wants_colour():
        print(line, file=sys.stderr)
        return
    _console().print(line, style=style)


def each(paths: Sequence[str], verb: str) -> Iterator[str]:
    """The documents of `paths` in order, with a progress bar (`checking 2/5
    app.scxml`) while the caller works on them, drawn when stderr is a
    terminal and there is more than one."""
    if len(paths) < 2 or not is_terminal():
        yield from paths
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = _console()
    with Progress(
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[document]}"),
        console=console,
        transient=True,
        # what goes to stdout appears above the bar when both are this
        # terminal, and stays where it was sent otherwise
        redirect_stdout=sys.stdout.isatty(),
    ) as bar:
        task = bar.add_task(verb, total=len(paths), document="")
        _drawing.append(console)
        try:
            for path in paths:
                bar.update(task, document=path)
                yield path
                bar.advance(task)
        finally:
            _drawing.pop()
