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

import ast
import subprocess
from importlib import resources
from typing import Final

import jinja2
from ruff import find_ruff_bin  # type: ignore[import-untyped]

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
