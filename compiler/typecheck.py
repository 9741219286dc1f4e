"""Type-check generated modules with `mypy --strict`.

mypy resolves imports from files, not through the import hooks that editable
installs use, so the check runs with a small shim on MYPYPATH: a `scxmlc` package
whose `runtime` is a link to the runtime actually imported. Installed normally or
editable, the generated code is checked against the real runtime.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["mypy_strict"]


def _shim() -> str:
    import scxmlc.runtime

    root = Path(tempfile.gettempdir()) / f"scxmlc-typeshim-{os.getuid()}"
    package = root / "scxmlc"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
    link = package / "runtime"
    target = Path(scxmlc.runtime.__file__).parent
    if not link.is_symlink() or link.resolve() != target.resolve():
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return str(root)


def mypy_strict(paths: Sequence[str | Path]) -> tuple[int, str]:
    """Run `mypy --strict` on `paths`; its exit status and report."""
    from mypy import api

    previous = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = _shim()
    try:
        stdout, stderr, status = api.run(["--strict", "--no-error-summary", *map(str, paths)])
    finally:
        if previous is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = previous
    return status, stdout + stderr
