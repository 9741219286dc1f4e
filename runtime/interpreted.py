"""What the compiled runtime core takes from code that stays interpreted.

The native build compiles the runtime core (`runtime/native.py` lists its
modules) with mypyc, which turns its classes into extension types. Two things
those classes need come from this module, which is therefore never compiled:

- `Anchor`: what stands for a session where the runtime keeps sessions
  weakly (`SESSIONS`, the Basic HTTP processor's tables). An extension type
  takes no weak references (mypyc gives it no weak-reference slot that works:
  it never clears the references when an instance dies), so those tables
  hold a session's anchor instead, an interpreted object that the session
  and the anchor keep alive together: a table forgets a session once nothing
  else holds it and the garbage collector has run.
- `mypyc_attr`: mypyc's per-class options, from mypy_extensions (installed
  with mypy); where it is missing, a decorator that changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["Anchor", "mypyc_attr"]

T = TypeVar("T")

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr as mypyc_attr
else:
    try:
        from mypy_extensions import mypyc_attr
    except ImportError:  # a runtime installed without mypy

        def mypyc_attr(*attrs: str, **options: object) -> Callable[[T], T]:
            """mypyc's class options, ignored: the class as it is."""
            return lambda target: target


class Anchor:
    """Stands for one session (`machine`) where the runtime keeps it weakly.

    The session holds its anchor (`Machine._anchored`) and the anchor holds
    the session: a weak reference to the anchor lives as long as the session.
    """

    __slots__ = ("machine", "__weakref__")

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
