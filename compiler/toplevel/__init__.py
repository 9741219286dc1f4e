"""scxmlc: compile SCXML statecharts into typed, fast Python modules.

    Machine = scxmlc.load("app.scxml")     # compile (cached) and import
    Machine = scxmlc.load("app.scxml", native=True)   # ... as a C extension
    session = Machine()
    session.start()
    session.send("ping")
    session.configuration                  # frozenset of active state ids

`compile_file(path)` returns the generated module's source. Importing `scxmlc`
loads neither the compiler nor its dependencies: the entry points import them when
called, so `scxmlc.runtime` stays light for shipped applications.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scxmlc.runtime import Machine

__all__ = ["__version__", "compile_file", "load"]

__version__ = "0.1.0"


def load(path: str | Path, **options: Any) -> type[Machine]:
    """The machine class compiled from the SCXML document at `path` (cached).

    `options` are those of `scxmlc.compiler.Options` (`strict`,
    `default_datamodel`, `native`). With `native=True` the module is built as
    a C extension with mypyc against the native runtime core (the first time:
    seconds; then from the cache), or, where it cannot be, imported as Python
    after a one-line note on stderr (docs/native-modules.md).
    """
    from scxmlc.compiler import Options
    from scxmlc.compiler.loader import load as _load

    return _load(path, Options(**options))


def compile_file(path: str | Path, **options: Any) -> str:
    """The Python module generated for the SCXML document at `path`."""
    from scxmlc.compiler import Options, compile_file as _compile_file

    return _compile_file(path, Options(**options))
