"""What every `_genesys.<module>` object shares: its session, requests, and
the conversions of argument values, which come from either datamodel.

Conversions accept JavaScript values (numbers as int or float, `undefined`) as
well as Python ones: `is_absent`, `as_text`, `as_number`, `as_boolean`,
`as_mapping`. `own_interaction` finds an interaction of one session by id (or
its first one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..js import undefined
from .handover import call_record
from .objects import Interaction
from .requests import Request

if TYPE_CHECKING:
    from .platform import OrsSession

__all__ = [
    "Module",
    "as_boolean",
    "as_mapping",
    "as_number",
    "as_text",
    "is_absent",
    "own_interaction",
]


class Module:
    """Base of the `_genesys.<module>` objects: the session and request helpers.

    A module declares what ECMAScript may read of it: `js_properties`, its
    object model, and `js_functions`, its functions; the base declares
    nothing, so a module shows scripts only what it names itself.
    """

    __slots__ = ("_session",)
    prefix: str = ""
    js_properties: ClassVar[tuple[str, ...]] = ()
    js_functions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, session: OrsSession) -> None:
        self._session = session

    def _request(self, action: str, prefix: str | None = None) -> Request:
        """A new request of the session, listed as pending until it completes."""
        session = self._session
        kind = prefix or self.prefix
        platform = session.platform
        request = Request(session, kind, action, platform.requestids.new(kind))
        platform.track(session, request)
        return request

    def _call(self, request: Request, service: str, *arguments: Any) -> str:
        """Issue `request` to the backend's `service`, whose method is the
        request's action, with `arguments` after the request; for the actions
        `handover.REISSUED` names, first note the call, so that another
        platform can issue it again. Returns the request's id."""
        call_record(request, self._session.platform.clock, service, *arguments)
        getattr(getattr(self._backend, service), request.action)(request, *arguments)
        return request.requestid

    @property
    def _backend(self) -> Any:
        return self._session.platform.backend

    def _interaction(self, interactionid: Any) -> Interaction | None:
        """The session's interaction `interactionid` (its first one when absent).

        A session started by `<invoke>` (a Composer subroutine) also acts on the
        interactions of the sessions that invoked it.
        """
        session: OrsSession | None = self._session
        while session is not None:
            found = own_interaction(session, interactionid)
            if found is not None:
                return found
            session = session.invoker
        return None

    def _platform_interaction(self, interactionid: Any) -> Interaction | None:
        """An interaction by id, owned by this session or not (attach, associate)."""
        found = self._interaction(interactionid)
        if found is None and not is_absent(interactionid):
            found = self._session.platform.interactions.get(as_text(interactionid))
        return found

    def _refuse(
        self, request: Request, error: str, description: str, **data: Any
    ) -> str:
        """A request that cannot be made: it fails with `error` on the next turn
        of the clock (never inside the action); its id, for the caller to return."""
        self._session.platform.clock.call_later(
            0.0, lambda: request.fail(error, description, **data)
        )
        return request.requestid

    def _missing(self, request: Request, interactionid: Any) -> str:
        what = (
            "no interaction"
            if is_absent(interactionid)
            else f"no interaction {interactionid!s}"
        )
        return self._refuse(request, "invalidparameter", f"{what} in this session")


def own_interaction(session: OrsSession, interactionid: Any) -> Interaction | None:
    interactions = session.interactions
    if is_absent(interactionid) or interactionid == "0":
        first = session.firstixnid
        if first is not None and first in interactions:
            return interactions[first]
        return interactions.get(0)
    return interactions.get(as_text(interactionid))


def is_absent(value: Any) -> bool:
    """None, JavaScript's undefined, or not given."""
    return value is None or value is undefined


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if is_absent(value):
        return ""
    return str(value)


def as_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {as_text(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    text = as_text(value).strip()
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def as_boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no")
    if is_absent(value):
        return False
    return bool(value)


def as_mapping(value: Any) -> dict[str, Any]:
    if is_absent(value):
        return {}
    if isinstance(value, dict):
        return dict(value)
    raise ValueError(f"expected an object, got {as_text(value)!r}")
