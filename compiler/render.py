"""Render phase: `ModuleView` -> Python source, checked, then formatted.

The templates only lay out what codegen decided. The rendered text is parsed with
`ast` before it is formatted, so a template or codegen bug is reported with the
offending generated line rather than as a formatter failure.

`format_source` formats a module with `ruff format`, once, from memory (the
module goes to ruff's standard input). Its output is black's style, byte for
byte on generated modules (the tests check that black leaves them unchanged),
in a few hundredths of a second where black takes seconds on a large module.
ruff's version is pinned by pyproject.toml: its yearly style decides the bytes
the compiler writes.
"""

from __future__ import annotations

import re
import subprocess
from importlib import resources
from typing import Final

import jinja2
from ruff import find_ruff_bin  # type: ignore[import-untyped]

from .codegen import ModuleView
from .naming import comment_text, docstring_text

__all__ = ["InternalError", "TooDeep", "format_source", "render_module"]


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
    env.filters["comment"] = comment_text
    env.filters["docstring"] = docstring_text
    return env


_ENV: jinja2.Environment | None = None


def render_module(view: ModuleView) -> str:
    """The generated module for `view`, formatted."""
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    text = _ENV.get_template("module.py.j2").render(
        **vars(view), exported=view.exported, typing_imports=view.typing_imports
    )
    try:
        compile(text, "<generated>", "exec", dont_inherit=True)
    except SyntaxError as error:
        lines = text.splitlines()
        number = error.lineno or 0
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        if error.msg in PYTHON_LIMITS:
            raise TooDeep(error.msg, _written_at(lines, number)) from error
        raise InternalError(
            f"generated code does not parse ({error.msg}) at generated line {number}: {line.strip()}"
        ) from error
    return format_source(text)


PYTHON_LIMITS: Final = frozenset(
    {
        "too many statically nested blocks",
        "too many levels of indentation",
        "too many nested parentheses",
    }
)
"""What Python refuses in code that is valid but nested too deeply."""


class TooDeep(Exception):
    """The document nests executable content, scripts or expressions deeper
    than Python allows (`reason`); `written_at` is (file name, line) of the
    nearest source comment above the place, if any."""

    def __init__(self, reason: str, written_at: tuple[str, int] | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.written_at = written_at


_SOURCE_COMMENT: Final = re.compile(r"#\s+(\S+):(\d+)\b")


def _written_at(lines: list[str], number: int) -> tuple[str, int] | None:
    """The (file, line) of the last `# file:LINE` comment at or above
    generated line `number`."""
    for line in reversed(lines[:number]):
        found = _SOURCE_COMMENT.search(line)
        if found:
            return found.group(1), int(found.group(2))
    return None


RUFF_FORMAT: Final = ("format", "--isolated", "--line-length", "88", "-")
"""`ruff format` with its defaults (black's style), ignoring any configuration
file around, reading the module from standard input."""


def format_source(text: str) -> str:
    """`text` (Python source) formatted in black's style by `ruff format`."""
    try:
        done = subprocess.run(
            [find_ruff_bin(), *RUFF_FORMAT],
            input=text.encode("utf-8"),
            capture_output=True,
            check=False,
        )
    except OSError as error:
        raise InternalError(f"cannot run ruff to format the module: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip()
        raise InternalError(f"ruff could not format the generated module: {message}")
    return done.stdout.decode("utf-8")
