"""`_genesys`: the ORS object model, functions and action entry points of one session.

Generated code reaches it as `self._genesys`. Each module of EXTENSIONS.md has
one object here (`_genesys.session`, `.ixn`, `.queue`, `.dialog`, `.statistic`,
`.classification`, `.resource`, `.elasticconnector`, `.ws`, `.voice`) holding:

- the object model and enumerations (`_genesys.ixn.interactions`,
  `_genesys.queue.rType`), read the same from both datamodels;
- the functions (`_genesys.ixn.setuData(...)`, `_genesys.statistic.sData(...)`),
  which answer at once;
- one method per action element (`<queue:submit>` compiles to
  `self._genesys.queue.submit(...)`): it validates and normalises the evaluated
  attributes, starts a `Request`, hands it to the backend and returns the request
  id for the document's `requestid` location. Results arrive later as events.

ECMAScript sees only what each class declares: `js_properties` (the object
model) and `js_functions` (the functions of EXTENSIONS.md), as the JavaScript
runtime reads Python objects deny by default (`runtime/js/host.py`). The action
methods, the session behind `_genesys` (`context`) and every Python attribute
stay out of its reach; generated code calls the actions in Python.

Argument values come from either datamodel, so conversions accept JavaScript
values (numbers as int or float, `undefined`) as well as Python ones. A request
that cannot be made (no such interaction, an invalid value) still returns its
id and fails with `error.<prefix>.<action>`, as ORS does; a function called with
bad arguments raises `error.execution`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final

from ..errors import PlatformError
from .api import Module
from .interaction_api import InteractionModule, VoiceModule
from .routing_api import (
    ClassificationModule,
    DialogModule,
    ElasticModule,
    QueueModule,
    ResourceModule,
    StatisticModule,
    WebModule,
)
from .session_api import SessionModule

if TYPE_CHECKING:
    from .platform import OrsSession

__all__ = ["Genesys"]


class Genesys:
    """The `_genesys` root of one session: one object per module, each made when
    the session first reads it (most documents use two or three of them)."""

    __slots__ = (
        "context",
        "session",
        "ixn",
        "voice",
        "queue",
        "dialog",
        "statistic",
        "classification",
        "resource",
        "elasticconnector",
        "ws",
    )

    js_properties: ClassVar[tuple[str, ...]] = (
        "session",
        "ixn",
        "voice",
        "queue",
        "dialog",
        "statistic",
        "classification",
        "resource",
        "elasticconnector",
        "ws",
    )
    """The module objects, all ECMAScript sees of `_genesys` (not `context`)."""

    session: SessionModule
    ixn: InteractionModule
    voice: VoiceModule
    queue: QueueModule
    dialog: DialogModule
    statistic: StatisticModule
    classification: ClassificationModule
    resource: ResourceModule
    elasticconnector: ElasticModule
    ws: WebModule

    def __init__(self, session: OrsSession) -> None:
        self.context = session

    if not TYPE_CHECKING:  # to mypy, every module is an attribute of its type

        def __getattr__(self, name: str) -> Module:
            """A module read for the first time: make it, keep it in its slot."""
            kind = _MODULES.get(name)
            if kind is None:
                raise AttributeError(
                    f"'Genesys' object has no attribute '{name}'", name=name, obj=self
                )
            module = kind(self.context)
            setattr(self, name, module)
            return module

    def unsupported(self, namespace: str, element: str) -> None:
        """An element of a Genesys namespace this platform does not implement."""
        raise PlatformError(
            "error.unsupported.element", f"<{namespace}:{element}> is not supported"
        )

    def __repr__(self) -> str:
        return f"<_genesys of {self.context.label}>"


_MODULES: Final[dict[str, type[Module]]] = {
    "session": SessionModule,
    "ixn": InteractionModule,
    "voice": VoiceModule,
    "queue": QueueModule,
    "dialog": DialogModule,
    "statistic": StatisticModule,
    "classification": ClassificationModule,
    "resource": ResourceModule,
    "elasticconnector": ElasticModule,
    "ws": WebModule,
}
"""The `_genesys.<module>` objects by name."""
