"""The base class of compiled ORS documents: a `Machine` with `_genesys`.

The compiler makes a document's class a subclass of `OrsMachine` when the
document is written for ORS (a Genesys namespace, `profile`, or `_genesys` in
its code); any other document is a plain `Machine`, and the core runtime knows
nothing of ORS. A platform hosting a session gives it its `_genesys`
(`attach`); a session invoked by one that runs on a platform joins that
platform the first time it reads `_genesys`.

The module is part of the runtime core that the native build compiles
(`runtime/native.py`): a generated ORS class compiled natively must derive
from a compiled class. `OrsMachine` takes interpreted subclasses too, as
`Machine` does (every pure ORS module's class is one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ExecutionError
from ..interpreted import mypyc_attr
from ..machine import Machine, Observer
from .handover import interaction_record, request_record

if TYPE_CHECKING:
    from ..budget import Budget
    from ..clock import Clock
    from .genesys import Genesys

__all__ = ["OrsMachine"]


@mypyc_attr(allow_interpreted_subclasses=True)
class OrsMachine(Machine):
    """A session of an ORS document."""

    __slots__ = ("_ors", "_ors_restored")

    _transient_slots: ClassVar[tuple[str, ...]] = ("_ors", "_ors_restored")
    """`_genesys` belongs to the platform hosting the session: a snapshot
    keeps what the session owns there instead (`_snapshot_extra`), and the
    platform it is restored onto attaches it again (`Platform.restore_session`)."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        observer: Observer | None = None,
        parent: Machine | None = None,
        invokeid: str | None = None,
        data: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> None:
        # Machine's parameters, spelled out: compiled, `*args, **kwargs` passed
        # on to a compiled `__init__` hand it the keywords as positions.
        super().__init__(
            clock,
            observer=observer,
            parent=parent,
            invokeid=invokeid,
            data=data,
            budget=budget,
        )
        self._ors: Genesys | None = None
        self._ors_restored: dict[str, Any] | None = None

    def _snapshot_extra(self) -> Any:
        """What the session owns on its platform, as plain data (`handover`):
        its label, the interactions it owns (in association order, each with
        what its backend needs to go on with it), the first of them, the
        requests it made that have not completed, and the requests that wait
        for its `<session:response>`."""
        genesys = self._ors
        if genesys is None:
            return None
        session = genesys.context
        platform = session.platform
        carry = platform.backend.interactions.carry
        return {
            "label": session.label,
            "interactions": [
                interaction_record(interaction, carry(interaction))
                for interaction in session.interactions.values()
            ],
            "firstixnid": session.firstixnid,
            "requests": [
                request_record(request) for request in session.requests.values()
            ],
            "responses": platform.waiting_for(session),
        }

    def _restore_extra(self, extra: Any) -> None:
        """Kept until a platform hosts the restored session."""
        self._ors_restored = extra

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
