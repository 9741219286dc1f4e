"""What a session owns on its platform, carried in its snapshot to another one.

A snapshot of an ORS session (`OrsMachine._snapshot_extra`) keeps, as plain
data, what its platform holds for it:

- each interaction it owns (`interaction_record`): the object model the
  document reads (`g_uid`, media, category, attached data, parties, state,
  ani/dnis, ...) and what the backend needs to go on with it
  (`InteractionService.carry`, for the simulated center: the resource it
  waits at, the agent it reached, when, the rest of its script);
- each request it made that has not completed (`Request.record`): its id,
  prefix and action, the intermediate events it already delivered, and for
  the actions in `REISSUED` the service call that issued it (`call_record`).

Restored onto a platform that does not know them (a restart, or a session
adopted by another node), the platform rebuilds the interactions
(`interaction_from`) and hands each to its backend (`InteractionService.
take_over`), then settles every pending request (`resume_request`) in the
order the session made them:

- an action of `REISSUED` is issued again, with the same request id, on the
  new backend: its `done` or error event reaches the session once, and an
  intermediate event already delivered (`queue.submit.requestid`) is not
  delivered again;
- any other action fails with `error.<prefix>.<action>`, `error` =
  `UNKNOWN_OUTCOME`: the platform that served it stopped, and whether it
  took effect is not known (a call redirected, a message sent, a prompt
  played, a session started: doing it again could do it twice).

A request whose `done` (or error) event was delivered is no longer pending:
the event is in the session's queue, or consumed, in the same snapshot; so
no request is issued again after its outcome reached the session, and none
is both issued again and failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ..clock import Clock, wall_time
from .objects import (
    ChatProperties,
    Interaction,
    MessageProperties,
    Party,
    VoiceProperties,
)
from .plain import plain
from .requests import Request
from .services import (
    ClassifyRequest,
    FetchRequest,
    SubmitRequest,
    TargetSpec,
    Treatment,
)

if TYPE_CHECKING:
    from .platform import OrsSession, Platform

__all__ = [
    "REISSUED",
    "UNKNOWN_OUTCOME",
    "call_record",
    "interaction_from",
    "interaction_record",
    "request_record",
    "resume_request",
]

UNKNOWN_OUTCOME: Final = "outcome.unknown"
"""`_event.data.error` of a request failed because the platform that served
it stopped before its outcome reached the session."""

REISSUED: Final[dict[tuple[str, str], str]] = {
    ("queue", "submit"): "target selection ran on the stopped platform: the "
    "interaction, taken over here, is queued again for the same targets, with "
    "what is left of its timeout",
    ("queue", "cancel"): "cancelling again has the effect cancelling once has",
    ("queue", "query"): "a read",
    ("queue", "update"): "setting a priority or treatments again sets the same",
    ("statistic", "subscribe"): "a subscription of the stopped platform ended "
    "with it; subscribing here gives the same answer",
    ("statistic", "unsubscribe"): "unsubscribing again ends the same subscription",
    ("session", "fetch"): "GET and HEAD only: HTTP makes them safe to repeat "
    "(other methods fail)",
    ("classification", "classify"): "a read of the interaction's content",
    ("classification", "screen"): "a read of the interaction's content",
    ("chat", "getcontent"): "a read of the chat's content",
}
"""The actions a restored session's new platform issues again, and why doing
so is safe; every other pending action fails with `UNKNOWN_OUTCOME`."""

_SAFE_METHODS: Final = frozenset({"get", "head"})

_RECORDS: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (SubmitRequest, TargetSpec, Treatment, FetchRequest, ClassifyRequest)
}
"""The service records a call of `REISSUED` may hold, by name."""

_PROPERTIES: Final[dict[str, type[Any]]] = {
    "voice": VoiceProperties,
    "msgbased": MessageProperties,
    "chat": ChatProperties,
}


# -- interactions ------------------------------------------------------------------


def interaction_record(interaction: Interaction, carried: Any) -> dict[str, Any]:
    """`interaction` as plain data, with what its backend `carried`."""
    record: dict[str, Any] = {
        "g_uid": interaction.g_uid,
        "category": interaction.category,
        "media": interaction.media,
        "tenantid": interaction.tenantid,
        "parentid": interaction.parentid,
        "contactedaddr": interaction.contactedaddr,
        "ani": interaction.ani,
        "state": interaction.state,
        "parties": [[p.device, p.devicetype] for p in interaction.parties],
        "udata": plain(interaction.udata),
        "xdata": plain(interaction.xdata),
        "location": plain(interaction.location),
        "backend": plain(carried),
    }
    for name in _PROPERTIES:
        properties = getattr(interaction, name)
        record[name] = None if properties is None else plain(properties.fields())
    return record


def interaction_from(record: Mapping[str, Any]) -> Interaction:
    """The interaction `interaction_record` made `record` of."""
    properties = {
        name: None if record.get(name) is None else cls(**record[name])
        for name, cls in _PROPERTIES.items()
    }
    interaction = Interaction(
        str(record["g_uid"]),
        category=str(record.get("category", "voice")),
        media=str(record.get("media", "voice")),
        tenantid=str(record.get("tenantid", "")),
        parentid=record.get("parentid"),
        contactedaddr=str(record.get("contactedaddr", "")),
        ani=str(record.get("ani", "")),
        udata=dict(record.get("udata") or {}),
        location=dict(record.get("location") or {}),
        **properties,
    )
    interaction.state = str(record.get("state", ""))
    interaction.parties = [Party(str(d), str(t)) for d, t in record.get("parties", [])]
    interaction.xdata = dict(record.get("xdata") or {})
    return interaction


# -- requests ----------------------------------------------------------------------


def call_record(request: Request, clock: Clock, service: str, *arguments: Any) -> None:
    """Note on `request`, about to be issued, how to issue it again
    elsewhere: the backend's `service`, its method named by the request's
    action, with `arguments` after the request. Only for the actions of
    `REISSUED` (a fetch only when its method is safe); the others keep
    `call` None and fail when restored elsewhere."""
    if (request.prefix, request.action) not in REISSUED:
        return
    if service == "session" and not _safe_fetch(arguments):
        return
    request.call = {
        "service": service,
        "method": request.action,
        "arguments": arguments,
        "at": wall_time(clock),
    }


def request_record(request: Request) -> dict[str, Any]:
    """The pending `request` as plain data, for a snapshot of its session:
    its call's arguments encoded here, not when it was issued, so that an
    action pays for the encoding only when a snapshot keeps it."""
    call = request.call
    if call is not None:
        arguments = [_encode(argument) for argument in call["arguments"]]
        call = {**call, "arguments": arguments}
    return {
        "requestid": request.requestid,
        "prefix": request.prefix,
        "action": request.action,
        "notified": list(request.notified),
        "call": call,
    }


def _safe_fetch(arguments: tuple[Any, ...]) -> bool:
    fetch = arguments[0] if arguments else None
    return isinstance(fetch, FetchRequest) and fetch.method in _SAFE_METHODS


def resume_request(
    platform: Platform, session: OrsSession, record: Mapping[str, Any]
) -> Request:
    """Settle a request `session` (restored here) still waits for, made on
    a platform that stopped: issued again with its id if its `call` says how
    and what it names is here, else failed with `UNKNOWN_OUTCOME` on the next
    turn of the clock."""
    request = Request(
        session, str(record["prefix"]), str(record["action"]), str(record["requestid"])
    )
    request.notified = [str(suffix) for suffix in record.get("notified", [])]
    platform.track(session, request)
    platform.requestids.past(request.requestid)
    call = record.get("call")
    arguments = _arguments(platform, session, call)
    if arguments is None:
        description = (
            f"the platform that served request {request.requestid} stopped: "
            "whether it took effect is not known"
        )
        platform.clock.call_later(
            0.0, lambda: request.fail(UNKNOWN_OUTCOME, description)
        )
        return request
    assert isinstance(call, Mapping)
    request.call = {**call, "arguments": arguments}
    now = wall_time(platform.clock)
    elapsed = max(0.0, now - float(call.get("at", now)))
    service = getattr(platform.backend, str(call["service"]))
    getattr(service, str(call["method"]))(
        request, *[_less(argument, elapsed) for argument in arguments]
    )
    if platform.trace.active:
        platform.trace.add(
            "session",
            f"request {request.requestid} ({request.prefix}.{request.action}) "
            "issued again",
            session.label,
        )
    return request


def _arguments(platform: Platform, session: OrsSession, call: Any) -> list[Any] | None:
    """The arguments of `call` decoded here; None when there is no call, or
    it names an interaction this platform does not have."""
    if not isinstance(call, Mapping):
        return None
    try:
        return [
            _decode(value, platform, session) for value in call.get("arguments", [])
        ]
    except LookupError:
        return None


def _less(argument: Any, elapsed: float) -> Any:
    """A submit's timeout counts from when it was first issued."""
    if isinstance(argument, SubmitRequest) and argument.timeout:
        left = max(argument.timeout - elapsed, 0.001)
        return dataclasses.replace(argument, timeout=left)
    return argument


# Arguments are plain data: a scalar, or a pair [kind, payload].


def _encode(value: Any) -> Any:
    from .platform import OrsSession

    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Interaction):
        return ["interaction", value.g_uid]
    if isinstance(value, OrsSession):
        return ["session", ""]
    name = type(value).__name__
    if _RECORDS.get(name) is type(value):
        fields = {
            field.name: _encode(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
        return ["record", [name, fields]]
    if isinstance(value, Mapping):
        return ["dict", {str(key): _encode(item) for key, item in value.items()}]
    if isinstance(value, (list, tuple)):
        return ["list", [_encode(item) for item in value]]
    return _encode(plain(value))


def _decode(value: Any, platform: Platform, session: OrsSession) -> Any:
    if not isinstance(value, list):
        return value
    kind, payload = value
    if kind == "interaction":
        interaction = platform.interactions.get(str(payload))
        if interaction is None:
            raise LookupError(payload)
        return interaction
    if kind == "session":
        return session
    if kind == "dict":
        return {key: _decode(item, platform, session) for key, item in payload.items()}
    if kind == "list":
        return [_decode(item, platform, session) for item in payload]
    if kind == "record":
        name, fields = payload
        cls = _RECORDS[name]
        values = {key: _decode(item, platform, session) for key, item in fields.items()}
        for field in dataclasses.fields(cls):
            if str(field.type).startswith("tuple") and field.name in values:
                values[field.name] = tuple(values[field.name])
        return cls(**values)
    raise LookupError(f"unknown argument kind {kind!r}")
