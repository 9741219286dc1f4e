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


def format_source(text: str) -> str:
    """`text` formatted by black with its default style.

    black takes most of the compile time of a large document, so a long module is
    cut between the members of its machine classes and the pieces are formatted on
    every core, each inside a placeholder class. Members are independent for black,
    so the result is what black gives for the whole module (the golden tests check
    that black leaves compiled modules unchanged).
    """
    if text.count("\n") < PARALLEL_THRESHOLD or text.count("(Machine):\n") != 1:
        return _black(text)
    pieces = _MEMBER.split(text)
    chunks = _group(pieces, max(1, (os.cpu_count() or 1)) * 4)
    with ProcessPoolExecutor(
        max_workers=os.cpu_count() or 1, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        formatted = list(
            pool.map(_format_chunk, [(i == 0, chunk) for i, chunk in enumerate(chunks)])
        )
    return "\n".join(formatted)


def _group(pieces: list[str], count: int) -> list[str]:
    """Join consecutive pieces into about `count` chunks of similar size."""
    head, members = pieces[0], pieces[1:]
    size = max(1, len(members) // count + 1)
    groups = [head] + [
        "\n\n".join(members[i : i + size]) for i in range(0, len(members), size)
    ]
    return groups


def _format_chunk(job: tuple[bool, str]) -> str:
    first, chunk = job
    if first:
        return _black(chunk)
    wrapped = _black("class _Chunk:\n" + chunk)
    return wrapped.split("\n", 1)[1]


def _black(text: str) -> str:
    return black.format_str(text, mode=black.Mode())
