"""scxmlc.compiler: SCXML documents in, typed Python modules out.

The pipeline, one module per phase:

    parse      file.scxml -> ir.Document          (XML, the SCXML schema, extensions)
    analysis   ir.Document -> ChartAnalysis       (ids, targets, domains, entry sets)
    datamodels expressions -> Python source       (null, python, ecmascript)
    codegen    ChartAnalysis -> ModuleView        (names, tables, method bodies)
    render     ModuleView -> source, ruff format  (templates/)

Each phase reports into one `Diagnostics`; a phase that found errors ends the run
with a `CompileError` listing all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scxmlc.runtime import RUNTIME_VERSION

from . import ir
from . import ors as _ors  # noqa: F401 - registers the Genesys ORS namespaces
from .analysis import analyze
from .codegen import build_module
from .events import check_events
from .diagnostics import (
    CompileError,
    Diagnostic,
    Diagnostics,
    Loc,
    sorted_diagnostics,
)
from .parse import parse_file, parse_text
from .options import Options
from .render import InternalError, TooDeep, render_module

__all__ = [
    "VERSION",
    "Compilation",
    "CompileError",
    "Diagnostic",
    "Options",
    "compile_file",
    "compile_path",
    "compile_text",
]

VERSION: Final = "0.1.0"


@dataclass(frozen=True)
class Compilation:
    """A compiled module: its source, its main class, the warnings met, and
    every file read to build it (the document first)."""

    source: str
    class_name: str
    warnings: list[Diagnostic]
    files: tuple[str, ...] = ()


def compile_path(path: str | Path, options: Options = Options()) -> Compilation:
    """Compile the document at `path`; raises `CompileError` with every diagnostic."""
    diagnostics = Diagnostics(strict=options.strict)
    document = parse_file(path, diagnostics)
    return _finish(document, diagnostics, options)


def compile_text(
    text: str | bytes, path: str = "<string>.scxml", options: Options = Options()
) -> Compilation:
    """Compile SCXML source `text` as if read from `path`."""
    diagnostics = Diagnostics(strict=options.strict)
    document = parse_text(text, path, diagnostics)
    return _finish(document, diagnostics, options)


def compile_file(path: str | Path, options: Options = Options()) -> str:
    """The generated module for the document at `path`, as source text."""
    return compile_path(path, options).source


def _too_deep(path: str, error: TooDeep) -> Diagnostic:
    """The diagnostic of a document nested deeper than Python allows, at the
    document line nearest to the place."""
    file, line = error.written_at or (path, 0)
    if file == path.rsplit("/", 1)[-1]:
        file = path
    return Diagnostic(
        Loc(file, line, 1),
        "error",
        f"nested too deeply for Python ({error.reason}): split the block, "
        "script or expression into smaller ones",
    )


def _finish(
    document: ir.Document | None, diagnostics: Diagnostics, options: Options
) -> Compilation:
    """The phases after parsing, in order: analysis, codegen (with the
    datamodel and the extensions), render. The errors of analysis and codegen
    are reported together."""
    if document is None:  # not well-formed XML: nothing more to look at
        diagnostics.check()
        raise CompileError(diagnostics.items)
    try:
        chart = analyze(document, diagnostics)
        check_events(chart, diagnostics)
        view = build_module(
            chart,
            diagnostics,
            version=VERSION,
            runtime_version=RUNTIME_VERSION,
            options=options,
            native=options.native,
        )
        diagnostics.check()
        source = render_module(view)
    except TooDeep as error:
        raise CompileError([_too_deep(document.path, error)]) from error
    except (CompileError, InternalError):
        raise
    except (
        Exception
    ) as error:  # noqa: BLE001 - a compiler bug, reported with a position
        raise InternalError(
            f"{document.path}: internal compiler error: {error!r}"
        ) from error
    return Compilation(
        source,
        view.main_class,
        sorted_diagnostics(diagnostics.warnings),
        document.files,
    )
