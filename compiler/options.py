"""Compile options, shared by every phase that needs one."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    """How to compile.

    `strict`: every warning is an error. By default a valid document always
    compiles: what the compiler cannot prove right (an undefined name, an illegal
    expression) is a warning, and the code raises `error.execution` where it
    turns out wrong when it runs, as SCXML requires. `default_datamodel`: the
    datamodel of a document whose `<scxml>` names none (SCXML leaves the default
    to the platform). `native`: the module is written to be compiled with mypyc, and
    `scxmlc.load` builds it as a C extension against the native runtime core
    (docs/native-modules.md), or imports it as Python with a one-line note
    where it cannot.
    """

    strict: bool = False
    default_datamodel: str = "null"
    native: bool = False

    def key(self) -> str:
        """A stable text form, for cache keys."""
        text = f"{'strict' if self.strict else 'default'}|{self.default_datamodel}"
        return f"{text}|native" if self.native else text
