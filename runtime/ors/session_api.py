"""`_genesys.session`: server, tenant, time in zones, List objects and options,
and the `<session:fetch|start|terminate|response>` actions (EXTENSIONS.md §2)."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any, ClassVar, Final

from ..errors import ExecutionError
from ..invoke import DocumentPending
from . import enums
from .api import (
    Module,
    as_mapping,
    as_number,
    as_text,
    is_absent,
)
from .plain import plain
from .platform import SessionLimit
from .services import FetchRequest

__all__ = ["SessionModule", "TIME_ZONES"]

TIME_ZONES: Final = {
    "GMT": "Etc/GMT",
    "UTC": "UTC",
    "EST": "America/New_York",
    "CST": "America/Chicago",
    "MST": "America/Denver",
    "PST": "America/Los_Angeles",
    "ECT": "Europe/Paris",
    "CET": "Europe/Paris",
    "BST": "Europe/London",
    "AET": "Australia/Sydney",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
}
"""Genesys Time Zone object names and their IANA zones (IANA names work as given)."""


class SessionModule(Module):
    """`_genesys.session`: server, tenant, time, configuration lists, and the
    `<session:fetch|start|terminate|response>` actions."""

    __slots__ = ()
    prefix = "session"
    js_properties: ClassVar[tuple[str, ...]] = (
        "server",
        "tenant",
        "tenantid",
        "id",
        "lookupseq",
        "day",
    )
    js_functions: ClassVar[tuple[str, ...]] = (
        "setTenant",
        "timeInZone",
        "dayInZone",
        "dateInZone",
        "isSpecialDay",
        "getListItemValue",
        "getConfigOption",
    )
    lookupseq: Final = enums.LOOKUPSEQ
    day: Final = enums.DAY

    @property
    def server(self) -> _Server:
        platform = self._session.platform
        return _Server(platform.server_name, platform.cluster)

    @property
    def tenant(self) -> str:
        return str(self._backend.session.tenant()[0])

    @property
    def tenantid(self) -> str:
        return str(self._backend.session.tenant()[1])

    @property
    def id(self) -> str:
        return self._session.sessionid

    def setTenant(self, tenant: str) -> None:
        """Accepted and ignored: the simulated platform has one tenant."""

    # -- time ---------------------------------------------------------------

    def _local(self, zone: Any) -> datetime.datetime:
        now = self._backend.session.now()
        return datetime.datetime.fromtimestamp(now, _zone(zone))

    def timeInZone(self, zone: str) -> str:
        """The time of day in `zone` as `HH:MM:SS` (compares lexically)."""
        return self._local(zone).strftime("%H:%M:%S")

    def dayInZone(self, zone: str) -> int:
        """Today's `_genesys.session.day` member in `zone` (Monday 1 ... Sunday 7)."""
        return self._local(zone).isoweekday()

    def dateInZone(self, zone: str) -> str:
        """Today's date in `zone` as `YYYY-MM-DD`."""
        return self._local(zone).date().isoformat()

    def isSpecialDay(
        self, table: str, day: str = "", zone: str = "UTC", use_time: bool = False
    ) -> bool:
        """Whether today (in `zone`) is the special day `day` of the list `table`
        (any of its days when `day` is empty). Days are `MM-DD` (every year) or
        `YYYY-MM-DD`; with `use_time`, a day may carry `HH:MM-HH:MM` hours."""
        local = self._local(zone)
        try:
            days = self._backend.session.list_item(table, "", None)
        except LookupError:
            return False
        wanted = [as_text(day)] if not is_absent(day) and as_text(day) else list(days)
        for name in wanted:
            if _matches_day(str(days.get(name, "")), local, use_time):
                return True
        return False

    # -- configuration --------------------------------------------------------

    def getListItemValue(
        self, list_name: str, item: str, key: str | None = None
    ) -> Any:
        """A List object item's key, or the item itself as an object of its keys
        when the key is absent or empty (`getListItemValue(list, item, '')`);
        `""` for an unknown list, item or key."""
        try:
            return self._backend.session.list_item(
                as_text(list_name),
                as_text(item),
                None if is_absent(key) else as_text(key),
            )
        except LookupError:
            return ""

    def getConfigOption(
        self, interactionid: str | None, key: str, lookupseq: int = -1
    ) -> str:
        """A configuration option (`""` when absent)."""
        interaction = self._interaction(interactionid)
        return str(
            self._backend.session.config_option(
                interaction, as_text(key), int(lookupseq)
            )
        )

    # -- actions --------------------------------------------------------------------

    def fetch(
        self,
        *,
        srcexpr: str,
        method: str | None = "get",
        enctype: str | None = "application/x-www-form-urlencoded",
        type: str | None = None,
        timeout: float | None = None,
        headers: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        content: str | None = None,
    ) -> str:
        """`<session:fetch>`: an HTTP request; `session.fetch.done{content, hints}`."""
        request = self._request("fetch")
        try:
            fetch = FetchRequest(
                url=as_text(srcexpr),
                method=as_text(method or "get").lower(),
                enctype=as_text(enctype or "application/x-www-form-urlencoded"),
                type=as_text(type),
                timeout=10.0 if is_absent(timeout) else as_number(timeout),
                headers={str(k): as_text(v) for k, v in as_mapping(headers).items()},
                params=dict(params or {}),
                content=None if is_absent(content) else as_text(content),
            )
        except (TypeError, ValueError) as error:
            return self._refuse(request, "invalidparameter", str(error))
        return self._call(request, "session", fetch)

    def start(self, *, src: str, params: dict[str, Any] | None = None) -> str:
        """`<session:start>`: a new session of document `src`;
        `session.start.done{sessionid}`."""
        request = self._request("start")
        session = self._session
        platform = session.platform
        uri = as_text(src)

        def start() -> None:
            try:
                application = platform.load(uri, session.machine.document_path)
            except DocumentPending as pending:  # compiling: ask again when done
                pending.when_ready(lambda: platform.clock.call_later(0.0, start))
                return
            except Exception as error:  # noqa: BLE001 - reported as the error event
                request.fail(
                    "invalidparameter", f"cannot load {uri}: {error}", sessionid=""
                )
                return
            try:
                started = platform.start_session(
                    application,
                    dict(params or {}),
                    started_by=f"session:start by {session.label}",
                )
            except SessionLimit as refused:
                request.fail("toomanysessions", str(refused), sessionid="")
                return
            request.done(sessionid=started.sessionid)

        platform.clock.call_later(0.0, start)
        return request.requestid

    def terminate(self, *, sessionid: str | None = None) -> str:
        """`<session:terminate>`: end a session (this one when absent)."""
        request = self._request("terminate")
        platform = self._session.platform
        target = (
            self._session
            if is_absent(sessionid)
            else platform.session(as_text(sessionid))
        )

        def terminate() -> None:
            if target is None or not target.running:
                request.fail("invalidparameter", f"no such session {sessionid}")
                return
            request.done(sessionid=target.sessionid)
            platform.terminate(target, f"terminated by {self._session.label}")

        platform.clock.call_later(0.0, terminate)
        return request.requestid

    def response(
        self,
        *,
        requestid: str,
        params: dict[str, Any] | None = None,
        content: Any = None,
    ) -> None:
        """`<session:response>`: answer the request `requestid` that reached this
        session through the session server (`/request/<name>`), at once.

        The answer is the `<content>` value, or the `<param>`s as an object
        (`{}` when there are neither); `<param>`s given with object content are
        added to it. Raises `error.execution` when no request by that id waits
        for this session's answer (unknown, answered, or given up on).
        """
        reply = _reply(params, content)
        key = as_text(requestid)
        if not self._session.platform.respond(self._session, key, reply):
            raise ExecutionError(
                f"session:response: no request {key!r} is waiting for this session"
            )


class _Server:
    """`_genesys.session.server`."""

    __slots__ = ("name", "cluster")
    js_properties: ClassVar[tuple[str, ...]] = ("name", "cluster")

    def __init__(self, name: str, cluster: str) -> None:
        self.name = name
        self.cluster = cluster


def _reply(params: dict[str, Any] | None, content: Any) -> Any:
    """The value `<session:response>` answers with, as plain JSON data."""
    fields = plain(params or {})
    if is_absent(content):
        return fields
    value = plain(content)
    if fields and not isinstance(value, dict):
        raise ExecutionError(
            "session:response: <param>s go only with object <content>, "
            f"not {type(value).__name__}"
        )
    return {**value, **fields} if fields else value


def _zone(name: Any) -> datetime.tzinfo:
    text = as_text(name) or "UTC"
    try:
        return zoneinfo.ZoneInfo(TIME_ZONES.get(text, text))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ExecutionError(f"unknown time zone {text!r}") from None


def _matches_day(spec: str, local: datetime.datetime, use_time: bool) -> bool:
    """`MM-DD` or `YYYY-MM-DD`, optionally followed by ` HH:MM-HH:MM`."""
    date, _, hours = spec.strip().partition(" ")
    today = local.date().isoformat()
    if not (date == today or date == today[5:]):
        return False
    if not use_time or not hours:
        return True
    start, _, end = hours.partition("-")
    return start <= local.strftime("%H:%M") < end
