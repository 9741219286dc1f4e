"""The enumerations of the `_genesys` object model, as ORS documents read them.

Each enumeration is an object whose attributes are its members, so the same
spelling works from both datamodels: `_genesys.queue.rType.RouteTypeDefault`,
`_genesys.ixn.mediaType.TMediaVoice`, `_genesys.session.day.Sunday`. Values follow
the Genesys T-Library and URS conventions where those are known (EXTENSIONS.md
§2.1, §4.2, §5.2, §9); `lookupseq.StartFromStrategy` is -1 as documented.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

__all__ = [
    "Day",
    "LookupSequence",
    "MediaType",
    "OverwriteType",
    "ResourceType",
    "RouteType",
    "UseCapacityCondition",
    "DAY",
    "LOOKUPSEQ",
    "MEDIA_TYPE",
    "OVERWRITE_TYPE",
    "RESOURCE_TYPE",
    "ROUTE_TYPE",
    "USE_CAPACITY_CONDITION",
]


class _Enumeration:
    """Members are class attributes; `names()` lists them in declaration order,
    and they are all ECMAScript sees of an enumeration (`js_properties`)."""

    __slots__ = ()
    js_properties: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.js_properties = tuple(cls.names())

    @classmethod
    def names(cls) -> list[str]:
        return [name for name in vars(cls) if name[:1].isupper()]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} enumeration>"


class RouteType(_Enumeration):
    """`_genesys.queue.rType`: how `<ixn:redirect>` routes a call (TRouteType)."""

    __slots__ = ()
    RouteTypeUnknown: Final = 0
    RouteTypeDefault: Final = 1
    RouteTypeLabel: Final = 2
    RouteTypeOverwriteDNIS: Final = 3
    RouteTypeDDD: Final = 4
    RouteTypeIDDD: Final = 5
    RouteTypeDirect: Final = 6
    RouteTypeReject: Final = 7
    RouteTypeAnnouncement: Final = 8
    RouteTypePostFeature: Final = 9
    RouteTypeDirectAgent: Final = 10
    RouteTypeGetFromDN: Final = 11


class OverwriteType(_Enumeration):
    """`_genesys.queue.overwriteType` and `_genesys.voice.overwriteType`."""

    __slots__ = ()
    UseNone: Final = 0
    UseDNIS: Final = 1
    UseANI: Final = 2
    UseConfig: Final = 3


class UseCapacityCondition(_Enumeration):
    """`_genesys.queue.usecapcond`."""

    __slots__ = ()
    Never: Final = 0
    Only: Final = 1
    OnStatError: Final = 2


class MediaType(_Enumeration):
    """`_genesys.ixn.mediaType`: media names as interactions carry them."""

    __slots__ = ()
    TMediaVoice: Final = "voice"
    TMediaVoIP: Final = "voip"
    TMediaEMail: Final = "email"
    TMediaVMail: Final = "vmail"
    TMediaSMail: Final = "smail"
    TMediaChat: Final = "chat"
    TMediaVideo: Final = "video"
    TMediaCobrowsing: Final = "cobrowsing"
    TMediaWhiteboard: Final = "whiteboard"
    TMediaAppSharing: Final = "appsharing"
    TMediaWebform: Final = "webform"
    TMediaWorkItem: Final = "workitem"
    TMediaCallback: Final = "callback"
    TMediaFax: Final = "fax"
    TMediaIMChat: Final = "imchat"
    TMediaBusinessEvent: Final = "businessevent"
    TMediaAlert: Final = "alert"
    TMediaSMS: Final = "sms"
    TMediaOutboundPreview: Final = "outboundpreview"
    TMediaOpenMedia: Final = "openmedia"
    TMediaNativeSMS: Final = "nativesms"
    TMediaAny: Final = "any"


class LookupSequence(_Enumeration):
    """`_genesys.session.lookupseq`: where `getConfigOption` looks first."""

    __slots__ = ()
    StartFromStrategy: Final = -1
    StartFromCDN: Final = 0
    StartFromRouter: Final = 1
    StartFromTenant: Final = 2
    StartFromTserver: Final = 3


class Day(_Enumeration):
    """`_genesys.session.day`: what `dayInZone()` returns (Python's weekday order)."""

    __slots__ = ()
    Monday: Final = 1
    Tuesday: Final = 2
    Wednesday: Final = 3
    Thursday: Final = 4
    Friday: Final = 5
    Saturday: Final = 6
    Sunday: Final = 7


class ResourceType(_Enumeration):
    """`_genesys.resource.resourceType`: DN types."""

    __slots__ = ()
    any: Final = "any"
    CFGACDPosition: Final = "CFGACDPosition"
    CFGCellular: Final = "CFGCellular"
    CFGChat: Final = "CFGChat"
    CFGCoBrowse: Final = "CFGCoBrowse"
    CFGEmail: Final = "CFGEmail"
    CFGExtension: Final = "CFGExtension"
    CFGFAX: Final = "CFGFAX"
    CFGRoutingPoint: Final = "CFGRoutingPoint"
    CFGVirtRoutingPoint: Final = "CFGVirtRoutingPoint"
    CFGVirtACDQueue: Final = "CFGVirtACDQueue"
    CFGACDQueue: Final = "CFGACDQueue"
    CFGVideo: Final = "CFGVideo"
    CFGVoIP: Final = "CFGVoIP"
    CFGVoiceMail: Final = "CFGVoiceMail"
    CFGWorkflow: Final = "CFGWorkflow"


ROUTE_TYPE: Final = RouteType()
OVERWRITE_TYPE: Final = OverwriteType()
USE_CAPACITY_CONDITION: Final = UseCapacityCondition()
MEDIA_TYPE: Final = MediaType()
LOOKUPSEQ: Final = LookupSequence()
DAY: Final = Day()
RESOURCE_TYPE: Final = ResourceType()
