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

Argument values come from either datamodel, so conversions accept JavaScript
values (numbers as int or float, `undefined`) as well as Python ones. A request
that cannot be made (no such interaction, an invalid value) still returns its
id and fails with `error.<prefix>.<action>`, as ORS does; a function called with
bad arguments raises `error.execution`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ..errors import ExecutionError, PlatformError
from ..js import undefined
from . import enums
from .objects import Interaction, Interactions, Resource, resource_from
from .plain import plain
from .requests import Request
from .services import (
    CallRequest,
    ClassifyRequest,
    DialogRequest,
    FetchRequest,
    MessageRequest,
    RedirectRequest,
    SubmitRequest,
    TargetSpec,
    Treatment,
)

if TYPE_CHECKING:
    from .platform import OrsSession

__all__ = ["Genesys"]

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


class _Module:
    """Base of the `_genesys.<module>` objects: the session and request helpers."""

    __slots__ = ("_session",)
    prefix: str = ""

    def __init__(self, session: OrsSession) -> None:
        self._session = session

    def _request(self, action: str, prefix: str | None = None) -> Request:
        session = self._session
        kind = prefix or self.prefix
        return Request(session, kind, action, session.platform.requestids.new(kind))

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
            found = _own_interaction(session, interactionid)
            if found is not None:
                return found
            session = session.invoker
        return None

    def _platform_interaction(self, interactionid: Any) -> Interaction | None:
        """An interaction by id, owned by this session or not (attach, associate)."""
        found = self._interaction(interactionid)
        if found is None and not _absent(interactionid):
            found = self._session.platform.interactions.get(_text(interactionid))
        return found

    def _later(self, request: Request, outcome: str, *args: Any, **data: Any) -> None:
        """Complete `request` on the next turn of the clock, never inside the action."""
        self._session.platform.clock.call_later(
            0.0, lambda: getattr(request, outcome)(*args, **data)
        )

    def _missing(self, request: Request, interactionid: Any) -> str:
        what = (
            "no interaction"
            if _absent(interactionid)
            else f"no interaction {interactionid!s}"
        )
        self._later(request, "fail", "invalidparameter", f"{what} in this session")
        return request.requestid


class SessionModule(_Module):
    """`_genesys.session`: server, tenant, time, configuration lists, and the
    `<session:fetch|start|terminate|response>` actions."""

    __slots__ = ()
    prefix = "session"
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
        wanted = [_text(day)] if not _absent(day) and _text(day) else list(days)
        for name in wanted:
            if _matches_day(str(days.get(name, "")), local, use_time):
                return True
        return False

    # -- configuration --------------------------------------------------------

    def getListItemValue(
        self, list_name: str, item: str, key: str | None = None
    ) -> Any:
        """A List object item's key (`""` when absent), or the item itself as an
        object when no key is given."""
        try:
            return self._backend.session.list_item(
                _text(list_name), _text(item), None if _absent(key) else _text(key)
            )
        except LookupError:
            return ""

    def getConfigOption(
        self, interactionid: str | None, key: str, lookupseq: int = -1
    ) -> str:
        """A configuration option (`""` when absent)."""
        interaction = self._interaction(interactionid)
        return str(
            self._backend.session.config_option(interaction, _text(key), int(lookupseq))
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
                url=_text(srcexpr),
                method=_text(method or "get").lower(),
                enctype=_text(enctype or "application/x-www-form-urlencoded"),
                type="" if _absent(type) else _text(type),
                timeout=10.0 if _absent(timeout) else _number(timeout),
                headers={str(k): _text(v) for k, v in _mapping(headers).items()},
                params=dict(params or {}),
                content=None if _absent(content) else _text(content),
            )
        except (TypeError, ValueError) as error:
            self._later(request, "fail", "invalidparameter", str(error))
            return request.requestid
        self._backend.session.fetch(request, fetch)
        return request.requestid

    def start(self, *, src: str, params: dict[str, Any] | None = None) -> str:
        """`<session:start>`: a new session of document `src`;
        `session.start.done{sessionid}`."""
        request = self._request("start")
        session = self._session
        platform = session.platform
        uri = _text(src)

        def start() -> None:
            try:
                application = platform.load(uri, session.machine._chart.source)
            except Exception as error:  # noqa: BLE001 - reported as the error event
                request.fail(
                    "invalidparameter", f"cannot load {uri}: {error}", sessionid=""
                )
                return
            started = platform.start_session(
                application,
                dict(params or {}),
                started_by=f"session:start by {session.label}",
            )
            request.done(sessionid=started.sessionid)

        platform.clock.call_later(0.0, start)
        return request.requestid

    def terminate(self, *, sessionid: str | None = None) -> str:
        """`<session:terminate>`: end a session (this one when absent)."""
        request = self._request("terminate")
        platform = self._session.platform
        target = (
            self._session if _absent(sessionid) else platform.session(_text(sessionid))
        )

        def terminate() -> None:
            if target is None or not target.running:
                request.fail("invalidparameter", f"no such session {sessionid}")
                return
            request.done(sessionid=target.sessionid)
            platform.terminate(target)

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
        key = _text(requestid)
        if not self._session.platform.respond(self._session, key, reply):
            raise ExecutionError(
                f"session:response: no request {key!r} is waiting for this session"
            )


class _Server:
    """`_genesys.session.server`."""

    __slots__ = ("name", "cluster")

    def __init__(self, name: str, cluster: str) -> None:
        self.name = name
        self.cluster = cluster


class InteractionModule(_Module):
    """`_genesys.ixn`: the session's interactions, attached-data functions, and the
    interaction action elements (common, voice, message-based, chat)."""

    __slots__ = ()
    prefix = "interaction"
    mediaType: Final = enums.MEDIA_TYPE

    @property
    def interactions(self) -> Interactions:
        return self._session.interactions

    @property
    def firstixnid(self) -> str | None:
        return self._session.firstixnid

    # -- attached data ----------------------------------------------------------

    def _owned(self, interactionid: Any) -> Interaction:
        interaction = self._interaction(interactionid)
        if interaction is None:
            raise ExecutionError(
                f"no interaction {'' if _absent(interactionid) else interactionid} in this session"
            )
        return interaction

    def setuData(self, data: dict[str, Any], interactionid: str | None = None) -> bool:
        """Add or overwrite attached-data keys; `interaction.udata.changed` follows."""
        interaction = self._owned(interactionid)
        changed = {str(k): v for k, v in _mapping(data).items()}
        interaction.udata.update(changed)
        self._backend.interactions.udata_changed(interaction, changed)
        self._changed(interaction)
        return True

    def deleteuData(
        self,
        data: dict[str, Any] | list[str] | str | None = None,
        interactionid: str | None = None,
    ) -> bool:
        """Remove the keys named in `data` (nested: `{details: {age: 0}}` removes
        `details.age`); every key but `OP-Session-ID` when `data` is absent."""
        interaction = self._owned(interactionid)
        if _absent(data):
            for key in [k for k in interaction.udata if k != "OP-Session-ID"]:
                del interaction.udata[key]
        elif isinstance(data, str):
            interaction.udata.pop(data, None)
        elif isinstance(data, (list, tuple)):
            for key in data:
                interaction.udata.pop(_text(key), None)
        else:
            _delete_nested(interaction.udata, _mapping(data))
        self._backend.interactions.udata_changed(interaction, {})
        self._changed(interaction)
        return True

    def getuData(self, key: str, interactionid: str | None = None) -> Any:
        """One attached-data value (undefined/None when absent)."""
        return self._owned(interactionid).udata.get(_text(key))

    def _changed(self, interaction: Interaction) -> None:
        from ..events import AttrDict

        self._session.deliver(
            "interaction.udata.changed", AttrDict(interactionid=interaction.g_uid)
        )

    # -- common actions -----------------------------------------------------------

    def redirect(
        self,
        *,
        interactionid: str | None = None,
        to: str | dict[str, Any],
        from_: str | None = None,
        type: int | None = None,
        detach: bool | None = False,
        hints: dict[str, Any] | None = None,
    ) -> str:
        """`<ixn:redirect>`: route the interaction to `to` (string or resource object)."""
        request = self._request("redirect")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        try:
            destination = resource_from(to, media=interaction.category)
        except ValueError as error:
            self._later(
                request,
                "fail",
                "invaliddestination",
                str(error),
                interactionid=interaction.g_uid,
            )
            return request.requestid
        redirect = RedirectRequest(
            interaction,
            destination,
            source="" if _absent(from_) else _text(from_),
            type=None if _absent(type) else int(_number(type)),
            detach=_boolean(detach),
            hints=_mapping(hints),
        )
        self._backend.interactions.redirect(request, redirect)
        return request.requestid

    def terminate(
        self,
        *,
        interactionid: str | None = None,
        reason: str | None = None,
        resource: str | dict[str, Any] | None = None,
        hints: dict[str, Any] | None = None,
    ) -> str:
        """`<ixn:terminate>`: end the interaction."""
        request = self._request("terminate")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        self._backend.interactions.terminate(
            request, interaction, "" if _absent(reason) else _text(reason)
        )
        return request.requestid

    def accept(
        self,
        *,
        interactionid: str | None = None,
        resource: str | dict[str, Any] | None = None,
    ) -> str:
        """`<ixn:accept>`: answer the call (on `resource` when given)."""
        request = self._request("accept")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        where = (
            None
            if _absent(resource)
            else resource_from(resource, media=interaction.category)
        )
        self._backend.interactions.accept(request, interaction, where)
        return request.requestid

    def attach(self, *, interactionid: str) -> str:
        """`<ixn:attach>`: take control of an interaction (the parent of a consult call)."""
        request = self._request("attach")
        interaction = self._platform_interaction(interactionid)
        platform = self._session.platform
        if interaction is None:
            return self._missing(request, interactionid)
        session = self._session

        def attach() -> None:
            request.done(interactionid=interaction.g_uid)
            platform.associate(interaction, session)

        platform.clock.call_later(0.0, attach)
        return request.requestid

    def detach(self, *, interactionid: str | None = None) -> str:
        """`<ixn:detach>`: give up control of the interaction (it goes on)."""
        request = self._request("detach")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        platform = self._session.platform

        def detach() -> None:
            request.done(interactionid=interaction.g_uid)
            platform.release(interaction, "detach")

        platform.clock.call_later(0.0, detach)
        return request.requestid

    def associate(self, *, interactionid: str | None = None, sessionid: str) -> str:
        """`<ixn:associate>`: move the interaction to session `sessionid`."""
        request = self._request("associate")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        platform = self._session.platform

        def associate() -> None:
            target = platform.session(_text(sessionid))
            if target is None or not target.running:
                request.fail("invalidparameter", f"no such session {sessionid}")
                return
            request.done(interactionid=interaction.g_uid)
            platform.associate(interaction, target)

        platform.clock.call_later(0.0, associate)
        return request.requestid

    # -- voice -----------------------------------------------------------------------

    def createcall(
        self,
        *,
        from_: str,
        to: str | dict[str, Any],
        type: str = "regular",
        reason: str | None = None,
        udata: dict[str, Any] | None = None,
    ) -> str:
        """`<ixn:createcall>`: a new call; `voice.createcall.done{interactionid}`."""
        request = self._request("createcall", "voice")
        try:
            call = CallRequest(
                resource_from(from_),
                resource_from(to),
                type=type,
                reason="" if _absent(reason) else _text(reason),
                udata=_mapping(udata),
            )
        except ValueError as error:
            self._later(request, "fail", "invaliddestination", str(error))
            return request.requestid
        self._backend.interactions.createcall(request, self._session, call)
        return request.requestid

    def hold(self, *, interactionid: str | None = None) -> str:
        """Put the call on hold: `voice.hold.done`."""
        return self._simple("hold", "voice", interactionid)

    def retrieve(self, *, interactionid: str | None = None) -> str:
        """Retrieve a held call: `voice.retrieve.done`."""
        return self._simple("retrieve", "voice", interactionid)

    def _simple(self, action: str, prefix: str, interactionid: Any) -> str:
        request = self._request(action, prefix)
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        getattr(self._backend.interactions, action)(request, interaction)
        return request.requestid

    # -- message based -------------------------------------------------------------

    def createmessage(
        self,
        *,
        type: str = "emailout",
        interactionid: str | None = None,
        media: str | None = None,
        from_: str | None = None,
        to: str | dict[str, Any] | None = None,
        subject: str | None = None,
        body: str | None = None,
        srid: str | None = None,
        queue: str | None = None,
        send: bool | None = False,
        server: str | None = None,
    ) -> str:
        """`<ixn:createmessage>`: a new outgoing message (an auto-response to the
        interaction, for instance); `msgbased.createmessage.done{interactionid, srid}`.
        `to` may be an address, a list, or `_origin`, `_origin.all`, `_udata`."""
        request = self._request("createmessage", "msgbased")
        parent = self._interaction(interactionid)
        if parent is None and not _absent(interactionid):
            return self._missing(request, interactionid)
        try:
            addresses = _addresses(to, parent)
        except ValueError as error:
            self._later(request, "fail", "Request Invalid", str(error))
            return request.requestid
        message = MessageRequest(
            type=_text(type),
            parent=parent,
            media="email" if _absent(media) else _text(media),
            source="" if _absent(from_) else _text(from_),
            to=addresses,
            subject="" if _absent(subject) else _text(subject),
            body="" if _absent(body) else _text(body),
            srid="" if _absent(srid) else _text(srid),
            queue="" if _absent(queue) else _text(queue),
            send=_boolean(send),
            server="" if _absent(server) else _text(server),
        )
        self._backend.interactions.createmessage(request, self._session, message)
        return request.requestid

    def sendmessage(self, *, interactionid: str | None = None) -> str:
        """Send a message created earlier: `msgbased.sendmessage.done`."""
        return self._simple("sendmessage", "msgbased", interactionid)

    def getcontent(self, *, interactionid: str | None = None) -> str:
        """Refresh a chat's content object: `chat.getcontent.done`."""
        return self._simple("getcontent", "chat", interactionid)


class VoiceModule(_Module):
    """`_genesys.voice`: the voice enumerations."""

    __slots__ = ()
    prefix = "voice"
    overwriteType: Final = enums.OVERWRITE_TYPE


class QueueModule(_Module):
    """`_genesys.queue`: route types and the `<queue:*>` actions."""

    __slots__ = ()
    prefix = "queue"
    rType: Final = enums.ROUTE_TYPE
    overwriteType: Final = enums.OVERWRITE_TYPE
    usecapcond: Final = enums.USE_CAPACITY_CONDITION

    def submit(
        self,
        *,
        interactionid: str | None = None,
        queue: str | None = None,
        priority: float | None = None,
        ordertype: str | None = None,
        orderstat: str | None = None,
        timeout: float | None = None,
        clearontimeout: bool | None = None,
        route: bool | None = None,
        hints: dict[str, Any] | None = None,
        targets: Sequence[TargetSpec] = (),
        treatments: Sequence[Treatment] = (),
    ) -> str:
        """`<queue:submit>`: select a target for the interaction (and route to it
        unless `route` is false). `queue.submit.requestid`, then
        `queue.submit.done{targetselected, resource, ...}` or `error.queue.submit`."""
        request = self._request("submit")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        try:
            submit = SubmitRequest(
                interaction,
                queue="none" if _absent(queue) else _text(queue),
                priority=0 if _absent(priority) else int(_number(priority)),
                ordertype="any" if _absent(ordertype) else _text(ordertype).lower(),
                orderstat="none" if _absent(orderstat) else _text(orderstat),
                timeout=None if _absent(timeout) else _number(timeout),
                clearontimeout=(
                    True if _absent(clearontimeout) else _boolean(clearontimeout)
                ),
                route=True if _absent(route) else _boolean(route),
                targets=tuple(targets),
                treatments=tuple(treatments),
                hints=_mapping(hints),
            )
        except (TypeError, ValueError) as error:
            self._later(request, "fail", "invalidparameter", str(error))
            return request.requestid
        self._backend.queue.submit(request, submit)
        return request.requestid

    def cancel(
        self,
        *,
        requestid: str | None = None,
        interactionid: str | None = None,
        queue: str | None = None,
    ) -> str:
        """`<queue:cancel>`: cancel a submit by its request id, or clear the
        interaction's requests in virtual queue `queue`."""
        request = self._request("cancel")
        interaction = (
            None if _absent(interactionid) else self._interaction(interactionid)
        )
        self._backend.queue.cancel(
            request,
            None if _absent(requestid) else _text(requestid),
            interaction,
            None if _absent(queue) else _text(queue),
        )
        return request.requestid

    def query(self, *, requestid: str) -> str:
        """`<queue:query>`: `queue.query.done{priority, positioninqueue, invqwaittime}`."""
        request = self._request("query")
        self._backend.queue.query(request, _text(requestid))
        return request.requestid

    def update(
        self,
        *,
        requestid: str,
        priority: float | None = None,
        treatments: Sequence[Treatment] = (),
    ) -> str:
        """`<queue:update>`: change a pending submit's priority or busy treatments."""
        request = self._request("update")
        self._backend.queue.update(
            request,
            _text(requestid),
            None if _absent(priority) else int(_number(priority)),
            tuple(treatments),
        )
        return request.requestid


class DialogModule(_Module):
    """`_genesys.dialog`: treatments and dialog applications."""

    __slots__ = ()
    prefix = "dialog"

    def action(
        self,
        action: str,
        *,
        interactionid: str | None = None,
        attributes: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        children: Sequence[Treatment] = (),
    ) -> str:
        """`<dialog:start|playsound|play|collect|playandcollect|playandverify>`:
        `dialog.<action>.done` (with `digits` for the collecting ones)."""
        request = self._request(action)
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        dialog = DialogRequest(
            action,
            interaction,
            dict(attributes or {}),
            dict(params or {}),
            tuple(children),
        )
        if action == "start":
            request.notify("requestid")
        self._backend.dialog.run(request, dialog)
        return request.requestid

    def runtreatments(
        self, *, interactionid: str | None = None, children: Sequence[Treatment] = ()
    ) -> None:
        """`<dialog:runtreatments>`: run treatments in order; no events follow."""
        interaction = self._interaction(interactionid)
        if interaction is None:
            raise ExecutionError("dialog:runtreatments: no interaction in this session")
        self._backend.dialog.run(
            None, DialogRequest("runtreatments", interaction, children=tuple(children))
        )

    def stop(
        self, *, requestid: str | None = None, interactionid: str | None = None
    ) -> str:
        """`<dialog:stop>`: stop a running dialog (`dialog.stop.done`)."""
        request = self._request("stop")
        self._backend.dialog.stop(
            request,
            None if _absent(requestid) else _text(requestid),
            self._interaction(interactionid),
        )
        return request.requestid


class StatisticModule(_Module):
    """`_genesys.statistic`: `sData` and subscriptions."""

    __slots__ = ()
    prefix = "statistic"

    def sData(
        self, target: str | dict[str, Any], statistic: str | None = None
    ) -> float:
        """The current value of `statistic` for `target` (target format, or an
        object `{object, statistic}`); error.execution when unknown."""
        if isinstance(target, dict):
            statistic = target.get("statistic", statistic)
            name = _text(target.get("object", target.get("name", "")))
        else:
            name = _text(target)
        try:
            return float(self._backend.statistic.value(name, _text(statistic)))
        except LookupError as error:
            raise ExecutionError(f"sData({name}, {statistic!s}): {error}") from None

    def subscribe(
        self, *, object: str, statistic: str, interval: float | None = None
    ) -> str:
        """`<statistic:subscribe>`: `statistic.subscribe.done`, then
        `statistic.update{object, statistic, value}` every `interval` seconds."""
        request = self._request("subscribe")
        seconds = 30.0 if _absent(interval) else _number(interval)
        self._backend.statistic.subscribe(
            request, self._session, _text(object), _text(statistic), seconds
        )
        return request.requestid

    def unsubscribe(self, *, object: str, statistic: str) -> str:
        request = self._request("unsubscribe")
        self._backend.statistic.unsubscribe(
            request, self._session, _text(object), _text(statistic)
        )
        return request.requestid


class ClassificationModule(_Module):
    """`_genesys.classification`: content analysis of message interactions."""

    __slots__ = ()
    prefix = "classification"

    def classify(
        self,
        *,
        interactionid: str | None = None,
        root: str | None = None,
        server: str | None = None,
        text: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> str:
        """`<classification:classify>`: `classification.classify.done{categories}`."""
        return self._run("classify", interactionid, root, server, text, attributes)

    def screen(
        self,
        *,
        interactionid: str | None = None,
        root: str | None = None,
        server: str | None = None,
        text: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> str:
        """`<classification:screen>`: `classification.screen.done{rules, categories}`."""
        return self._run("screen", interactionid, root, server, text, attributes)

    def _run(
        self,
        action: str,
        interactionid: str | None,
        root: str | None,
        server: str | None,
        text: str | None,
        attributes: dict[str, Any] | None,
    ) -> str:
        request = self._request(action)
        interaction = self._interaction(interactionid)
        classify = ClassifyRequest(
            interaction,
            root="" if _absent(root) else _text(root),
            server="" if _absent(server) else _text(server),
            text="" if _absent(text) else _text(text),
            attributes=dict(attributes or {}),
        )
        getattr(self._backend.classification, action)(request, classify)
        return request.requestid


class ResourceModule(_Module):
    """`_genesys.resource`: resource enumerations."""

    __slots__ = ()
    prefix = "resource"
    resourceType: Final = enums.RESOURCE_TYPE


class ElasticModule(_Module):
    """`_genesys.elasticconnector`: Elasticsearch documents and index templates."""

    __slots__ = ()
    prefix = "elasticconnector"

    def perform(self, action: str, arguments: dict[str, Any]) -> str:
        """`<elasticconnector:createindextemplate|createdoc|updatedoc|deletedoc>`."""
        request = self._request(action)
        self._backend.elastic.perform(request, action, dict(arguments))
        return request.requestid


class WebModule(_Module):
    """`_genesys.ws`: documented to exist, with no known elements or functions."""

    __slots__ = ()
    prefix = "ws"


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

        def __getattr__(self, name: str) -> _Module:
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


_MODULES: Final[dict[str, type[_Module]]] = {
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


def _own_interaction(session: OrsSession, interactionid: Any) -> Interaction | None:
    interactions = session.interactions
    if _absent(interactionid) or interactionid == "0":
        first = session.firstixnid
        if first is not None and first in interactions:
            return interactions[first]
        return interactions.get(0)
    return interactions.get(_text(interactionid))


# -- value conversions (arguments come from either datamodel) -----------------------


def _absent(value: Any) -> bool:
    """None, JavaScript's undefined, or not given."""
    return value is None or value is undefined


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if _absent(value):
        return ""
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {_text(value)}")
    if isinstance(value, (int, float)):
        return float(value)
    text = _text(value).strip()
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no")
    if _absent(value):
        return False
    return bool(value)


def _mapping(value: Any) -> dict[str, Any]:
    if _absent(value):
        return {}
    if isinstance(value, dict):
        return dict(value)
    raise ValueError(f"expected an object, got {_text(value)!r}")


def _reply(params: dict[str, Any] | None, content: Any) -> Any:
    """The value `<session:response>` answers with, as plain JSON data."""
    fields = plain(params or {})
    if _absent(content):
        return fields
    value = plain(content)
    if fields and not isinstance(value, dict):
        raise ExecutionError(
            "session:response: <param>s go only with object <content>, "
            f"not {type(value).__name__}"
        )
    return {**value, **fields} if fields else value


def _zone(name: Any) -> datetime.tzinfo:
    text = _text(name) or "UTC"
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


def _delete_nested(udata: dict[str, Any], keys: dict[str, Any]) -> None:
    for key, value in keys.items():
        if isinstance(value, dict) and value and isinstance(udata.get(key), dict):
            _delete_nested(udata[key], value)
        else:
            udata.pop(key, None)


def _addresses(to: Any, parent: Interaction | None) -> tuple[str, ...]:
    """E-mail recipients: addresses, or `_origin` / `_origin.all` / `_udata` read
    from the interaction being answered (its `FromAddress`, `To`, `Cc` and
    `EmailAddress` attached data, as Genesys e-mail interactions carry them)."""
    if _absent(to):
        to = "_origin"
    items = [_text(v) for v in to] if isinstance(to, (list, tuple)) else [_text(to)]
    found: list[str] = []
    for item in items:
        if item in ("_origin", "_origin.all", "_udata"):
            if parent is None:
                raise ValueError(f"'{item}' needs the interaction being answered")
            found.extend(_origin_addresses(item, parent))
        elif item:
            found.extend(part.strip() for part in item.split(",") if part.strip())
    if not found:
        raise ValueError("no recipient address")
    return tuple(found)


def _origin_addresses(kind: str, parent: Interaction) -> list[str]:
    udata = parent.udata
    if kind == "_udata":
        address = udata.get("EmailAddress", "")
        return [str(address)] if address else []
    found = [str(udata["FromAddress"])] if udata.get("FromAddress") else []
    if kind == "_origin.all":
        for key in ("To", "Cc"):
            found.extend(
                a.strip() for a in str(udata.get(key, "")).split(",") if a.strip()
            )
    return found
