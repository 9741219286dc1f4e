"""The base class of compiled ORS documents: a `Machine` with `_genesys`.

The compiler makes a document's class a subclass of `OrsMachine` when the
document is written for ORS (a Genesys namespace, `profile`, or `_genesys` in
its code); any other document is a plain `Machine`, and the core runtime knows
nothing of ORS. A platform hosting a session gives it its `_genesys`
(`attach`); a session invoked by one that runs on a platform joins that
platform the first time it reads `_genesys`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ExecutionError
from ..machine import Machine

if TYPE_CHECKING:
    from .genesys import Genesys

__all__ = ["OrsMachine"]


class OrsMachine(Machine):
    """A session of an ORS document."""

    __slots__ = ("_ors",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ors: Genesys | None = None

    def attach(self, genesys: Genesys) -> None:
        """Give the session the object model of its place on a platform."""
        self._ors = genesys

    @property
    def _genesys(self) -> Genesys:
        """The root of the ORS object model, set by the platform hosting the
        session; a session invoked by one on a platform joins that platform."""
        genesys = self._ors
        if genesys is not None:
            return genesys
        parent = self._parent
        if isinstance(parent, OrsMachine) and parent._ors is not None:
            return parent._ors.context.platform.adopt(self).genesys
        raise ExecutionError(
            "_genesys: this session runs without an ORS platform "
            "(run it with `scxmlc run --scenario` or on a Platform)"
        )
