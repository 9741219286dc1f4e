"""The events the ORS platform sends a session (EXTENSIONS.md §1.2, §1.3 and the
event tables of each module).

Every action element of the extension tables (`<queue:submit>`) completes with
`<prefix>.<action>.done` or fails with `error.<prefix>.<action>`, where the
prefix is the module's event prefix (`interaction` for `<ixn:redirect>`; the
voice, message-based and chat elements of the interaction namespace use
`voice`, `msgbased` and `chat`). Besides those, the platform sends the
intermediate and unsolicited events listed here, and the error events of
§1.3, some of which end with a state id or a protocol (`PLATFORM_PREFIXES`: any
name below them may come).

`platform_events()` is what `compiler/events.py` checks a document's
transitions against: a transition waiting for `queue.submitted.done` waits for
an event no platform sends.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from ..extensions import Extension
from . import EXTENSIONS

__all__ = ["PLATFORM_PREFIXES", "platform_events"]

EVENT_PREFIXES: Final[dict[str, str]] = {
    "interaction": "interaction",
    "session": "session",
    "queue": "queue",
    "dialog": "dialog",
    "statistic": "statistic",
    "classification": "classification",
    "elasticconnector": "elasticconnector",
}
"""The event prefix of each extension (by `Extension.name`) that has actions."""

ELEMENT_PREFIXES: Final[dict[str, str]] = {
    "createcall": "voice",
    "hold": "voice",
    "retrieve": "voice",
    "createmessage": "msgbased",
    "sendmessage": "msgbased",
    "getcontent": "chat",
}
"""Interaction elements whose events carry a sub-interface's prefix (§5.6-5.8)."""

SILENT_ELEMENTS: Final = frozenset({"runtreatments", "response"})
"""Action elements that answer with no event: `<dialog:runtreatments>` (§6.1)
and `<session:response>`, which answers a request at once."""

OTHER_EVENTS: Final = (
    "queue.submit.requestid",
    "dialog.start.requestid",
    "interaction.added",
    "interaction.present",
    "interaction.deleted",
    "interaction.notcontrolled",
    "interaction.partystatechanged",
    "interaction.onrouterequest",
    "interaction.onmerge",
    "interaction.abandoned",
    "interaction.udata.changed",
    "statistic.update",
    "session.updatestart.done",
    "error.session.updatestart",
    "error.elasticconnector.createindex",
    "error.unsupported.element",
    "error.notallowed",
    "cancel.successful",
)
"""Intermediate and unsolicited events, and the odd ones of the tables."""

PLATFORM_PREFIXES: Final = (
    "error.illegalcond",
    "error.illegalloc",
    "error.illegalvalue",
    "error.illegaldata",
    "error.illegalassign",
    "error.script",
    "error.receive",
    "error.send",
    "error.cancel",
    "error.badfetch",
)
"""The platform error events of §1.3, as descriptors: the names below them
end with a state id, a protocol or a response code."""


@cache
def platform_events() -> frozenset[str]:
    """Every event name the ORS platform sends a session (not `PLATFORM_PREFIXES`)."""
    found = set(OTHER_EVENTS)
    for extension in EXTENSIONS:
        found.update(_action_events(extension))
    return frozenset(found)


def _action_events(extension: Extension) -> list[str]:
    """`<prefix>.<action>.done` and `error.<prefix>.<action>` of each action element."""
    module = EVENT_PREFIXES.get(extension.name)
    if module is None:
        return []
    found: list[str] = []
    for name, element in extension.elements.items():
        if element.parents or name in SILENT_ELEMENTS:
            continue
        prefix = (
            ELEMENT_PREFIXES.get(name, module) if module == "interaction" else module
        )
        found += [f"{prefix}.{name}.done", f"error.{prefix}.{name}"]
    return found
