"""Type-check generated modules with `mypy --strict`.

mypy resolves imports from files, not through the import hooks that editable
installs use, so the check runs with a small shim on MYPYPATH: a `scxmlc` package
whose `runtime`, `compiler` and `templates` are links to the packages actually
imported. Installed normally or editable, code is checked against the real runtime.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .diagnostics import Diagnostic
from .placement import Placer

__all__ = ["mypy_strict", "shim_path", "typecheck_module"]


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target, target_is_directory=target.is_dir())


def shim_path() -> str:
    """A folder holding a `scxmlc` package made of links to the imported one."""
    import scxmlc
    import scxmlc.compiler
    import scxmlc.runtime
    import scxmlc.templates

    root = Path(tempfile.gettempdir()) / f"scxmlc-typeshim-{os.getuid()}"
    package = root / "scxmlc"
    package.mkdir(parents=True, exist_ok=True)
    toplevel = Path(str(scxmlc.__file__)).parent
    for name in ("__init__.py", "py.typed"):
        _link(package / name, toplevel / name)
    for module in (scxmlc.compiler, scxmlc.runtime, scxmlc.templates):
        _link(
            package / module.__name__.rsplit(".", 1)[1],
            Path(str(module.__file__)).parent,
        )
    return str(root)


def mypy_strict(
    paths: Sequence[str | Path], packages: Sequence[str] = ()
) -> tuple[int, str]:
    """Run `mypy --strict` on `paths` and `packages`; its exit status and report,
    whose lines read `file:line:column: error: message`. mypy's cache goes to
    the compiler's cache directory, not the current one."""
    from mypy import api

    from .loader import cache_dir

    previous = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = shim_path()
    arguments = ["--strict", "--no-error-summary", "--show-column-numbers"]
    arguments += ["--cache-dir", str(cache_dir() / "mypy"), *map(str, paths)]
    for package in packages:
        arguments += ["-p", package]
    try:
        stdout, stderr, status = api.run(arguments)
    finally:
        if previous is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = previous
    return status, stdout + stderr


_MYPY_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?:(?P<column>\d+):)? "
    r"(?P<severity>error|note): (?P<message>.*)$"
)


def typecheck_module(source: str, document: str) -> list[Diagnostic]:
    """`mypy --strict` on a generated module, its errors placed in the document.

    Each error is reported where the expression mypy flagged was written in
    the document (see `placement`), else at the line of the element the
    nearest `# file.scxml:LINE` comment above the flagged line names.
    """
    with tempfile.TemporaryDirectory(prefix="scxmlc-check-") as folder:
        module = Path(folder) / "scxmlc_checked_module.py"
        module.write_text(source, encoding="utf-8")
        _, report = mypy_strict([module])
    placer = Placer(source, document)
    found: list[Diagnostic] = []
    for text in report.splitlines():
        match = _MYPY_LINE.match(text)
        if match is None or match.group("severity") != "error":
            continue
        if not match.group("file").endswith("scxmlc_checked_module.py"):
            continue
        loc = placer.place(int(match.group("line")), int(match.group("column") or 1))
        message = re.sub(r"\s+\[[\w-]+\]$", "", match.group("message"))
        found.append(Diagnostic(loc, "error", f"type error: {message}"))
    return found
