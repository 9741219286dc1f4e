"""Sessions in real time: wait, on the running asyncio loop, for one to finish."""

from __future__ import annotations

import asyncio

from scxmlc.runtime import Machine


async def until_finished(machine: Machine, limit: float) -> bool:
    """Wait until `machine` has finished, or `limit` seconds; whether it finished.

    `limit` only stops a session that hangs; it is no measure of speed.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not machine.finished and loop.time() < deadline:
        await asyncio.sleep(0.01)
    return machine.finished
