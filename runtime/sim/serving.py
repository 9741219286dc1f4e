"""The session server over the simulated contact center, in real time.

`simulated_server(resolver)` builds a `SessionServer` whose platform's backend
is a `ContactCenter` on a `ServerClock`; `play_timeline` plays a scenario's
timeline on it. `scxmlc serve` wires the two; the server itself knows only the
backend Protocols.
"""

from __future__ import annotations

import time
from typing import Any

from ..ors.platform import ApplicationResolver, Platform
from ..ors.server import ServerClock, SessionServer
from ..ors.trace import Trace
from .center import ContactCenter
from .model import Config
from .scenario import Step

__all__ = ["play_timeline", "simulated_server"]


def simulated_server(
    resolver: ApplicationResolver | None,
    *,
    config: Config | None = None,
    trace: Trace | None = None,
    **options: Any,
) -> SessionServer:
    """A server over the simulated contact center configured by `config` (by
    default an empty one whose time functions tell the real time and whose
    `<session:fetch>`es go to the real network), on a new `ServerClock`. Call
    it inside the running loop; `options` are those of `SessionServer`."""
    clock = ServerClock()
    center = ContactCenter(config or Config(start=time.time(), network=True), clock)
    platform = Platform(
        center,
        clock,
        resolver=resolver,
        trace=trace if trace is not None else Trace(clock.now, keep=False),
    )
    center.attach(platform)
    return SessionServer(platform, **options)


def play_timeline(platform: Platform, timeline: list[Step]) -> None:
    """Schedule a scenario's timeline on the platform's clock (from now): its
    arrivals, agent state changes and hang-ups, at their `at` seconds. The
    platform's backend must be the simulated `ContactCenter`."""
    center = platform.backend
    if not isinstance(center, ContactCenter):
        raise TypeError("a timeline plays on the simulated ContactCenter only")
    center.schedule(timeline)
