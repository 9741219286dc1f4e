"""The interaction object model: `_genesys.ixn.interactions` and what it holds.

An `Interaction` is the platform's record of one customer contact (a call, an
e-mail, a chat, ...), shared by the platform and the session that owns it: the
session reads it (`interactions[id].voice.ani`, `.udata.Segment`), the platform
changes it, always as a consequence of an event (EXTENSIONS.md §5.2).
`Interactions` is the session's collection: a mapping keyed by `g_uid` that also
answers integer indexes in association order (`interactions[0]`), as ORS
documents use both. `Resource` is the resource object of §5.1, and
`resource_from` normalises the string and object forms of an address into one.

Every object here reads the same from both datamodels: attributes for the python
datamodel (typed), properties for ECMAScript, which sees only the fields each
class declares in `js_properties` (the JavaScript runtime reads Python objects
deny by default). `udata`, `xdata`, `location` and `parties` reach scripts as
JavaScript copies: documents change attached data through `setuData` and
`deleteuData`, never by assignment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Final

from ..events import AttrDict
from ..snapshot import allow

__all__ = [
    "ChatProperties",
    "Interaction",
    "Interactions",
    "MessageProperties",
    "Party",
    "Resource",
    "SESSION_ID_KEY",
    "TARGET_TYPES",
    "VoiceProperties",
    "resource_from",
]

SESSION_ID_KEY: Final = "OP-Session-ID"
"""The attached-data key ORS writes the owning session's id under (SEED-IXN)."""

TARGET_TYPES: Final = frozenset(
    {"A", "AP", "GA", "GP", "AG", "PG", "WB", "IQ", "Q", "RP", "DN", "DL", "C", "GC"}
)
"""Resource and target type suffixes; `AG`/`PG` are TR81's spellings of `GA`/`GP`."""

_TYPE_SPELLINGS: Final = {"AG": "GA", "PG": "GP"}
"""TR81's spellings of the group target types, to the ones this runtime uses."""


class _Properties:
    """Base of the small property records: `fields()` lists the set ones.

    ECMAScript reads the fields a record declares (`js_properties`, the
    documented ones) and nothing else of it.
    """

    __slots__: tuple[str, ...] = ()
    js_properties: ClassVar[tuple[str, ...]] = ()

    def fields(self) -> dict[str, Any]:
        """The properties that are set, by name (what `uneval` prints)."""
        values = ((name, getattr(self, name)) for name in self.__slots__)
        return {name: value for name, value in values if value is not None}

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self.fields().items())
        return f"{type(self).__name__}({items})"


class VoiceProperties(_Properties):
    """`interaction.voice`: present only for voice interactions."""

    __slots__ = ("callid", "connid", "ani", "dnis", "type", "media")
    js_properties = __slots__

    def __init__(
        self,
        *,
        callid: str,
        connid: str,
        ani: str = "",
        dnis: str = "",
        type: str = "inbound",
        media: str = "voice",
    ) -> None:
        self.callid = callid
        self.connid = connid
        self.ani = ani
        self.dnis = dnis
        self.type = type
        self.media = media


class MessageProperties(_Properties):
    """`interaction.msgbased`: e-mail, SMS, work items and other message media."""

    __slots__ = ("type", "media", "queue", "view", "externalID")
    js_properties = __slots__

    def __init__(
        self,
        *,
        type: str = "Inbound",
        media: str = "email",
        queue: str = "",
        view: str = "",
        externalID: str = "",
    ) -> None:
        self.type = type
        self.media = media
        self.queue = queue
        self.view = view
        self.externalID = externalID


class ChatProperties(_Properties):
    """`interaction.chat`."""

    __slots__ = ("type", "media", "externalID")
    js_properties = __slots__

    def __init__(
        self, *, type: str = "Inbound", media: str = "chat", externalID: str = ""
    ) -> None:
        self.type = type
        self.media = media
        self.externalID = externalID


class Party(_Properties):
    """A member of `interaction.parties`: a device the interaction is on."""

    __slots__ = ("device", "devicetype")
    js_properties = __slots__

    def __init__(self, device: str, devicetype: str) -> None:
        self.device = device
        self.devicetype = devicetype


class Interaction(_Properties):
    """One interaction (`_genesys.ixn.interactions[id]`).

    `g_uid` is the id every action element's `interactionid` takes; `category`
    is the media family (`voice`, `email`, `chat`, ...); `udata` the attached
    data, changed through `setuData`/`deleteuData` and the platform; `state`
    what error codes call the interaction's state (`""` while it waits,
    `treating`, `routed`, `hold`, ...). `voice`, `msgbased` and `chat` are set
    for their media only.
    """

    __slots__ = (
        "g_uid",
        "category",
        "media",
        "tenantid",
        "parentid",
        "contactedaddr",
        "ani",
        "state",
        "parties",
        "udata",
        "voice",
        "msgbased",
        "chat",
        "xdata",
        "location",
    )
    js_properties = __slots__

    def __init__(
        self,
        g_uid: str,
        *,
        category: str = "voice",
        media: str = "voice",
        tenantid: str = "101",
        parentid: str | None = None,
        contactedaddr: str = "",
        ani: str = "",
        udata: dict[str, Any] | None = None,
        voice: VoiceProperties | None = None,
        msgbased: MessageProperties | None = None,
        chat: ChatProperties | None = None,
        location: dict[str, Any] | None = None,
    ) -> None:
        self.g_uid = g_uid
        self.category = category
        self.media = media
        self.tenantid = tenantid
        self.parentid = parentid
        self.contactedaddr = contactedaddr
        self.ani = ani
        self.state = ""
        self.parties: list[Party] = []
        self.udata: dict[str, Any] = dict(udata or {})
        self.voice = voice
        self.msgbased = msgbased
        self.chat = chat
        self.xdata: dict[str, Any] = {}
        self.location: dict[str, Any] = dict(location or {})

    def __repr__(self) -> str:
        return f"<Interaction {self.g_uid} {self.category} {self.state or 'new'}>"


class Interactions(dict[str, Interaction]):
    """A session's interactions, by `g_uid` and by index in association order.

    `interactions["0123ABCD"]` and `interactions[0]` both work, from both
    datamodels; iterating yields the ids (a JavaScript `for (id in ...)`).
    The collection is read-only for documents: only the platform associates
    and removes interactions.
    """

    __slots__ = ()

    def __getitem__(self, key: str | int) -> Interaction:
        if isinstance(key, str) and dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        index = _as_index(key)
        if index is not None and index < len(self):
            return dict.__getitem__(self, list(dict.keys(self))[index])
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        index = _as_index(key)
        return index is not None and index < len(self)

    def get(self, key: str | int) -> Interaction | None:  # type: ignore[override]
        """The interaction by id or index, None when there is none."""
        try:
            return self[key]
        except KeyError:
            return None

    def js_property(self, name: str) -> Any:
        """What ECMAScript reads as `interactions[name]`: an interaction by id or
        by index, or `length`; `NotImplemented` for anything else (the JavaScript
        runtime then looks further, as for any object)."""
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        if name == "length":
            return len(self)
        index = _as_index(name)
        if index is not None and index < len(self):
            return self[index]
        return NotImplemented

    def ids(self) -> Iterator[str]:
        """The `g_uid`s in association order."""
        return iter(dict.keys(self))

    def _add(self, interaction: Interaction) -> None:
        dict.__setitem__(self, interaction.g_uid, interaction)

    def _remove(self, g_uid: str) -> Interaction | None:
        return dict.pop(self, g_uid, None)


def _as_index(key: object) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key if key >= 0 else None
    if isinstance(key, float) and key.is_integer() and key >= 0:
        return int(key)
    if isinstance(key, str) and key.isdigit() and len(key) < 6:
        return int(key)
    return None


@allow
class Resource(AttrDict):
    """A resource object (§5.1): `type` in A, AP, GA, GP, WB, IQ, Q, RP, DN, and
    `dn`, `agent`, `place`, `id`, `switch`, `vq`, `wb_type`, `wb_owner`.

    A dict, so documents read and build it as an ECMAScript object, and pass it
    back as the `to` of `<ixn:redirect>`; `.type`, `.dn`, ... read it in Python.

    Plain data, so a snapshot of a session keeps the ones its datamodel holds.
    """

    __slots__ = ()

    def describe(self) -> str:
        """A short readable form for traces: `agent anna`, `dn 5001@SIP_Switch`."""
        kind = self.get("type", "")
        for key in ("agent", "place", "id", "dn"):
            if self.get(key):
                suffix = (
                    f"@{self['switch']}" if key == "dn" and self.get("switch") else ""
                )
                return f"{key} {self[key]}{suffix}" + (f" ({kind})" if kind else "")
        return f"resource {dict(self)}"


def resource_from(value: Any, *, media: str = "voice") -> Resource:
    """Normalise an address given as a string or a resource object (§5.1).

    Strings: target format `name@switch.TYPE` (`5001@SIP_Switch.DN`,
    `anna@StatServer.A`), an e-mail address or one of the magic words `_origin`,
    `_origin.all`, `_udata`, `_customerview` (type `EMAIL`), a URL (type `URL`),
    a bare DN number (voice: type `DN`), or else an agent id (multimedia: type
    `A`). Objects are copied; `AG`/`PG` become `GA`/`GP`. Raises `ValueError`
    for anything else.
    """
    if isinstance(value, dict):
        resource = Resource({str(k): v for k, v in value.items()})
        kind = str(resource.get("type", "")).upper()
        kind = _TYPE_SPELLINGS.get(kind, kind)
        if kind:
            resource["type"] = kind
        return resource
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a resource: {value!r}")
    return _resource_from_text(value, media)


def _resource_from_text(text: str, media: str) -> Resource:
    if text.startswith(("http://", "https://")):
        return Resource(type="URL", id=text)
    target = _is_target_format(text)
    if text in ("_origin", "_origin.all", "_udata", "_customerview") or (
        "@" in text and "." in text.rsplit("@", 1)[1] and " " not in text and not target
    ):
        return Resource(type="EMAIL", id=text)
    if target:
        name, rest = text.rsplit("@", 1)
        where, kind = rest.rsplit(".", 1)
        kind = _TYPE_SPELLINGS.get(kind, kind)
        key = {"A": "agent", "AP": "place", "DN": "dn", "Q": "dn", "RP": "dn"}.get(
            kind, "id"
        )
        resource = Resource(type=kind)
        resource[key] = name
        if where and key == "dn":
            resource["switch"] = where
        elif where:
            resource["statserver"] = where
        return resource
    if text.replace("+", "", 1).isdigit() or media == "voice":
        return Resource(type="DN", dn=text)
    return Resource(type="A", agent=text)


def _is_target_format(text: str) -> bool:
    """`name@place.TYPE` with a known type suffix."""
    if "@" not in text:
        return False
    rest = text.rsplit("@", 1)[1]
    return "." in rest and rest.rsplit(".", 1)[1] in TARGET_TYPES
