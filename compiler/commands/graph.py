"""`scxmlc graph FILE -o OUT`: a picture of a statechart.

OUT's extension says what is written: `.svg` and `.png` through Graphviz's
`dot` program, `.mmd` as Mermaid `stateDiagram-v2` text (for Markdown). The
document is checked first: its errors are reported as `check` reports them
and nothing is written. Exit status 0 when written, 1 on errors of the
document, a missing `dot`, or an extension it cannot write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..analysis import analyze
from ..diagnostics import Diagnostics
from ..graph import (
    GraphvizMissing,
    Picture,
    chart_picture,
    render_graphviz,
    to_dot,
    to_mermaid,
)
from ..parse import parse_file
from . import terminal

__all__ = ["FORMATS", "command_graph", "document_picture", "picture_bytes"]

FORMATS = (".svg", ".png", ".mmd")
"""The extensions `graph` writes."""


def command_graph(file: str, output: str) -> int:
    """Write the picture of `file` to `output`; the exit status."""
    suffix = Path(output).suffix.lower()
    if suffix not in FORMATS:
        print(
            f"scxmlc graph: {output}: cannot tell what to write from "
            f"{suffix or 'no extension'}: use {', '.join(FORMATS)}",
            file=sys.stderr,
        )
        return 1
    picture = document_picture(file)
    if picture is None:
        return 1
    try:
        data = picture_bytes(picture, suffix)
    except GraphvizMissing:
        print(
            "scxmlc graph: Graphviz's dot program was not found: install "
            "Graphviz (Debian: apt-get install graphviz) or write .mmd",
            file=sys.stderr,
        )
        return 1
    try:
        Path(output).write_bytes(data)
    except OSError as error:
        print(f"scxmlc graph: {output}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def document_picture(file: str) -> Picture | None:
    """The picture of the document at `file`, or None with its errors
    reported on stderr."""
    diagnostics = Diagnostics()
    document = parse_file(file, diagnostics)
    chart = analyze(document, diagnostics) if document is not None else None
    errors = diagnostics.errors
    if chart is None or errors:
        terminal.report(errors)
        return None
    return chart_picture(chart)


def picture_bytes(picture: Picture, suffix: str) -> bytes:
    """`picture` as the bytes of a `.svg`, `.png` or `.mmd` file."""
    if suffix == ".mmd":
        return to_mermaid(picture).encode("utf-8")
    return render_graphviz(to_dot(picture), suffix.lstrip("."))
