"""Events as the datamodel sees them: the `_event` system variable.

`Event` carries the seven fields of SCXML 5.10.1. `EventData` is the value of
`_event.data` for events built from `<param>` and `namelist`: a dict that also answers
attribute access (`_event.data.aParam`), the shape that Python-datamodel documents use.

ECMAScript reads an event through `js_properties`, the fields it declares
(the seven, and `raw` of Basic HTTP events), and nothing else of it: no
method, no Python attribute (see `runtime/js/host.py`). Its `data` reaches
scripts as a JavaScript copy, made once per event and kept in `_js_data`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from .interpreted import mypyc_attr
from .snapshot import allow

__all__ = ["AttrDict", "Event", "EventData", "EXTERNAL", "INTERNAL", "PLATFORM"]

EXTERNAL: Final = "external"
INTERNAL: Final = "internal"
PLATFORM: Final = "platform"


@allow
@mypyc_attr(native_class=False)
class AttrDict(dict[str, Any]):
    """A dict whose keys can also be read as attributes (`d.key` is `d['key']`)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@allow
@mypyc_attr(native_class=False)
class EventData(AttrDict):
    """`_event.data` built from `<param>` elements and a `namelist`."""

    __slots__ = ()


@mypyc_attr(allow_interpreted_subclasses=True)
class Event:
    """One SCXML event (SCXML 1.0 section 5.10.1).

    `name` is the dotted event name; `type` is "platform", "internal" or "external";
    `sendid`, `origin`, `origintype` and `invokeid` are None when they do not apply;
    `data` is whatever the sender attached (None when nothing was).
    """

    FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "type",
        "sendid",
        "origin",
        "origintype",
        "invokeid",
        "data",
        "raw",
    )
    """The fields, in declaration order."""
    js_properties: ClassVar[tuple[str, ...]] = FIELDS
    """What ECMAScript may read of an event: its fields, nothing else."""

    __slots__ = (*FIELDS, "_js_data")

    def __init__(
        self,
        name: str,
        data: Any = None,
        type: str = EXTERNAL,
        *,
        sendid: str | None = None,
        origin: str | None = None,
        origintype: str | None = None,
        invokeid: str | None = None,
        raw: str | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.sendid = sendid
        self.origin = origin
        self.origintype = origintype
        self.invokeid = invokeid
        self.data = data
        self.raw = raw
        self._js_data: Any = None

    def fields(self) -> dict[str, Any]:
        """The fields that are set, by name, in declaration order."""
        values = [(name, getattr(self, name)) for name in self.FIELDS]
        return {name: value for name, value in values if value is not None}

    def copy(self) -> Event:
        """A field-for-field copy (autoforwarded events are exact copies)."""
        return Event(
            self.name,
            self.data,
            self.type,
            sendid=self.sendid,
            origin=self.origin,
            origintype=self.origintype,
            invokeid=self.invokeid,
            raw=self.raw,
        )

    def __getstate__(self) -> tuple[Any, ...]:
        """What a snapshot keeps: the fields (not the ECMAScript copy of `data`,
        which the session makes again when a script reads it)."""
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.FIELDS, state):
            setattr(self, name, value)
        self._js_data = None

    def __repr__(self) -> str:
        fields = [f"{self.name!r}"]
        if self.data is not None:
            fields.append(f"data={self.data!r}")
        if self.type != EXTERNAL:
            fields.append(f"type={self.type!r}")
        for key in ("sendid", "origin", "invokeid"):
            value = getattr(self, key)
            if value is not None:
                fields.append(f"{key}={value!r}")
        return f"Event({', '.join(fields)})"


# Called, not a decorator: mypyc compiles a class that has a decorator other
# than its own or dataclass as a Python class. Taking interpreted subclasses
# also lets pickle make an Event without calling __init__, as for a Python class.
allow(Event)
