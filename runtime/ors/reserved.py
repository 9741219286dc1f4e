"""Event names only the platform raises, which callers from outside may not send.

A session trusts its platform events: `queue.submit.done` says where the
interaction goes, `error.execution` and `done.invoke.<id>` drive its error and
completion handling. The session server therefore refuses events from outside
(the REST API's `/event/<name>` and `/request/<name>`, Basic HTTP's
`_scxmleventname`) whose name falls under one of `RESERVED_EVENTS`.

The list comes from the event prefixes of the ORS extension table
(EXTENSIONS.md §1.1: `session`, `ws`, `queue`, `interaction`, `voice`,
`msgbased`, `chat`, `dialog`, `statistic`, `classification`, `resource`,
`elasticconnector`, `agent`), which are also the prefixes of the platform's
`Request`s (`runtime/ors/*_api.py`: `<prefix>.<action>.done`), from SCXML's own
platform events (`error.*`, whose `error.<prefix>.<action>` carries the ORS
failures, and `done.*`: EXTENSIONS.md §1.3), and from the answer to `<cancel>`
(`cancel.successful`, `runtime/machine.py`).

A descriptor reserves the names that start with its tokens, as SCXML event
descriptors match (3.12.1), compared without regard to case: `queue` reserves
`queue`, `queue.submit.done` and `Queue.Submit.Done`, not `queued` or
`myqueue.submit.done`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["RESERVED_EVENTS", "reserved_descriptor"]

RESERVED_EVENTS: Final[tuple[str, ...]] = (
    "error",
    "done",
    "cancel.successful",
    "session",
    "ws",
    "queue",
    "interaction",
    "voice",
    "msgbased",
    "chat",
    "dialog",
    "statistic",
    "classification",
    "resource",
    "elasticconnector",
    "agent",
)
"""The descriptors of the events the ORS platform raises (see the module docstring)."""


def reserved_descriptor(
    name: str, reserved: Iterable[str] = RESERVED_EVENTS
) -> str | None:
    """The descriptor of `reserved` that event `name` falls under, or None.

    `name` falls under a descriptor when its dot-separated tokens start with
    the descriptor's tokens, ignoring case (`queue.submit.done` under `queue`).
    """
    folded = name.casefold()
    for descriptor in reserved:
        prefix = descriptor.casefold()
        if folded == prefix or folded.startswith(prefix + "."):
            return descriptor
    return None
