"""Render phase: `ModuleView` -> Python source, checked, then formatted by black.

The templates only lay out what codegen decided. The rendered text is parsed with
`ast` before black sees it, so a template or codegen bug is reported with the
offending generated line rather than as a formatter failure. black is pinned by
pyproject.toml and called through `format_source` only.
"""

from __future__ import annotations

import ast
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
    text = _ENV.get_template("module.py.j2").render(**vars(view), exported=view.exported)
    try:
        ast.parse(text)
    except SyntaxError as error:
        lines = text.splitlines()
        line = lines[error.lineno - 1] if error.lineno and error.lineno <= len(lines) else ""
        raise InternalError(
            f"generated code does not parse ({error.msg}) at generated line {error.lineno}: {line.strip()}"
        ) from error
    return format_source(text)


def format_source(text: str) -> str:
    """`text` formatted by black with its default style."""
    return black.format_str(text, mode=black.Mode())
