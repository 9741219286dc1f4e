"""Compile options, shared by every phase that needs one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    """How to compile.

    `expression_errors`: "error" rejects a document holding an illegal expression;
    "runtime" compiles it into code that raises `error.execution` when it runs (the
    behaviour the W3C suite expects). `default_datamodel`: the datamodel of a
    document whose `<scxml>` names none (SCXML leaves the default to the platform).
    """

    expression_errors: Literal["error", "runtime"] = "error"
    default_datamodel: str = "null"

    def key(self) -> str:
        """A stable text form, for cache keys."""
        return f"{self.expression_errors}|{self.default_datamodel}"
