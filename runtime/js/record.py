"""The record of `<data>` values: `dm` of an ECMAScript document whose code
never names `_data`.

ORS's `_data` is an ordinary JavaScript object, which the machine keeps as a
dict (`self.dm["x"]`). Where no expression or script of the document names
`_data`, no code can add a property to it, delete one or read it whole: the
compiler then declares a class of one slot per `<data>` id, a subclass of
`Record`, and generated code reads and writes the slots (`self.dm.x`), which
costs a fraction of a dict's look-up and store.

`Record` gives it the item access a dict has, for the code around a session
(tests, tools, `machine.dm["x"]`): an id it does not hold is a KeyError, and
no other attribute of the object is reachable that way. The native build
compiles this module with the runtime core (`CORE_MODULES`), so that a native
module's record class is a native class too, and a pure module's record an
interpreted subclass of the compiled base.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Final

from ..interpreted import mypyc_attr

__all__ = ["RESERVED", "Record"]

RESERVED: Final = frozenset({"get", "keys", "items", "_ids"})
"""The names of `Record`'s own attributes: a `<data>` id among them would
hide one, so the compiler keeps the dict for a document that declares it."""


@mypyc_attr(allow_interpreted_subclasses=True)  # a pure module's record
class Record:
    """Base of the generated records: `_ids` names the slots, in document order."""

    __slots__ = ()
    _ids: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, name: str) -> Any:
        if name not in self._ids:
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        if name not in self._ids:
            raise KeyError(name)
        setattr(self, name, value)

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of id `name`, else `default`."""
        return getattr(self, name) if name in self._ids else default

    def keys(self) -> tuple[str, ...]:
        """The ids, in document order."""
        return self._ids

    def items(self) -> list[tuple[str, Any]]:
        """(id, value) pairs, in document order."""
        return [(name, getattr(self, name)) for name in self._ids]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.items())
        return f"{type(self).__name__}({fields})"
