"""`_genesys.ixn` and `_genesys.voice`: the session's interactions, attached
data, and the interaction action elements, common, voice, message-based and
chat (EXTENSIONS.md §5)."""

from __future__ import annotations

from typing import Any, ClassVar, Final

from ..errors import ExecutionError
from ..events import AttrDict
from . import enums
from .api import (
    Module,
    as_boolean,
    as_mapping,
    as_number,
    as_text,
    is_absent,
)
from .objects import Interaction, Interactions, resource_from
from .services import CallRequest, MessageRequest, RedirectRequest

__all__ = ["InteractionModule", "VoiceModule"]


class InteractionModule(Module):
    """`_genesys.ixn`: the session's interactions, attached-data functions, and the
    interaction action elements (common, voice, message-based, chat)."""

    __slots__ = ()
    prefix = "interaction"
    js_properties: ClassVar[tuple[str, ...]] = (
        "interactions",
        "firstixnid",
        "mediaType",
    )
    js_functions: ClassVar[tuple[str, ...]] = ("setuData", "deleteuData", "getuData")
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
                f"no interaction {'' if is_absent(interactionid) else interactionid} in this session"
            )
        return interaction

    def setuData(self, data: dict[str, Any], interactionid: str | None = None) -> bool:
        """Add or overwrite attached-data keys; `interaction.udata.changed` follows."""
        interaction = self._owned(interactionid)
        changed = {str(k): v for k, v in as_mapping(data).items()}
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
        if is_absent(data):
            for key in [k for k in interaction.udata if k != "OP-Session-ID"]:
                del interaction.udata[key]
        elif isinstance(data, str):
            interaction.udata.pop(data, None)
        elif isinstance(data, (list, tuple)):
            for key in data:
                interaction.udata.pop(as_text(key), None)
        else:
            _delete_nested(interaction.udata, as_mapping(data))
        self._backend.interactions.udata_changed(interaction, {})
        self._changed(interaction)
        return True

    def getuData(self, key: str, interactionid: str | None = None) -> Any:
        """One attached-data value (undefined/None when absent)."""
        return self._owned(interactionid).udata.get(as_text(key))

    def _changed(self, interaction: Interaction) -> None:
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
            return self._refuse(
                request,
                "invaliddestination",
                str(error),
                interactionid=interaction.g_uid,
            )
        redirect = RedirectRequest(
            interaction,
            destination,
            source=as_text(from_),
            type=None if is_absent(type) else int(as_number(type)),
            detach=as_boolean(detach),
            hints=as_mapping(hints),
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
        self._backend.interactions.terminate(request, interaction, as_text(reason))
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
            if is_absent(resource)
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
            target = platform.session(as_text(sessionid))
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
                reason=as_text(reason),
                udata=as_mapping(udata),
            )
        except ValueError as error:
            return self._refuse(request, "invaliddestination", str(error))
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
        return self._call(request, "interactions", interaction)

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
        if parent is None and not is_absent(interactionid):
            return self._missing(request, interactionid)
        try:
            addresses = _addresses(to, parent)
        except ValueError as error:
            return self._refuse(request, "Request Invalid", str(error))
        message = MessageRequest(
            type=as_text(type),
            parent=parent,
            media="email" if is_absent(media) else as_text(media),
            source=as_text(from_),
            to=addresses,
            subject=as_text(subject),
            body=as_text(body),
            srid=as_text(srid),
            queue=as_text(queue),
            send=as_boolean(send),
            server=as_text(server),
        )
        self._backend.interactions.createmessage(request, self._session, message)
        return request.requestid

    def sendmessage(self, *, interactionid: str | None = None) -> str:
        """Send a message created earlier: `msgbased.sendmessage.done`."""
        return self._simple("sendmessage", "msgbased", interactionid)

    def getcontent(self, *, interactionid: str | None = None) -> str:
        """Refresh a chat's content object: `chat.getcontent.done`."""
        return self._simple("getcontent", "chat", interactionid)


class VoiceModule(Module):
    """`_genesys.voice`: the voice enumerations."""

    __slots__ = ()
    prefix = "voice"
    js_properties: ClassVar[tuple[str, ...]] = ("overwriteType",)
    overwriteType: Final = enums.OVERWRITE_TYPE


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
    if is_absent(to):
        to = "_origin"
    items = [as_text(v) for v in to] if isinstance(to, (list, tuple)) else [as_text(to)]
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
