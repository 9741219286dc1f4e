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
    to the platform).
    """

    strict: bool = False
    default_datamodel: str = "null"

    def key(self) -> str:
        """A stable text form, for cache keys."""
        return f"{'strict' if self.strict else 'default'}|{self.default_datamodel}"
