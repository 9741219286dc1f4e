""" "Did you mean": the known name closest to a misspelt one, for messages.

`did_you_mean('targte', ['target', 'type'])` is `" (did you mean 'target'?)"`,
and `""` when no known name is close enough; diagnostics append it to what they
say about an unknown attribute, state, event or `_genesys` member.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Final

__all__ = ["CLOSE", "closest", "did_you_mean"]

CLOSE: Final = 0.6
"""How similar (difflib's ratio) a known name must be to be suggested."""


def closest(name: str, known: Iterable[str], cutoff: float = CLOSE) -> str | None:
    """The name of `known` most like `name` (ignoring case first), or None."""
    candidates = sorted(set(known) - {name})
    folded = [c for c in candidates if c.casefold() == name.casefold()]
    if folded:
        return folded[0]
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str], cutoff: float = CLOSE) -> str:
    """`" (did you mean 'x'?)"` for the closest known name, or `""`."""
    found = closest(name, known, cutoff)
    return "" if found is None else f" (did you mean '{found}'?)"
