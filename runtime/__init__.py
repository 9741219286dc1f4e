"""scxmlc.runtime: what compiled state machines import, and nothing more.

Generated modules use only the names exported here, and the two packages that
documents of their kind need: `js` (the ECMAScript datamodel) and `ors` (the
Genesys platform), which this package does not import itself, so a
python-datamodel chart loads neither. The runtime never imports the compiler,
lxml, jinja2, ruff, black or mypy: shipping an application needs this package
alone.

`NATIVE` says whether the core (`native.CORE_MODULES`) was imported compiled by
mypyc or from its Python sources; `native.select_core` decides, before the core
is imported (`SCXMLC_PURE=1`, a stale build: docs/native.md).
"""

from __future__ import annotations

from typing import Final

from . import native as _native

_native.select_core()

from .budget import Budget as Budget
from .budget import BudgetExceeded as BudgetExceeded
from .chart import ATOMIC as ATOMIC
from .chart import COMPOUND as COMPOUND
from .chart import DEEP_HISTORY as DEEP_HISTORY
from .chart import FINAL as FINAL
from .chart import PARALLEL as PARALLEL
from .chart import ROOT as ROOT
from .chart import SHALLOW_HISTORY as SHALLOW_HISTORY
from .chart import Chart as Chart
from .chart import InvokeSpec as InvokeSpec
from .chart import StateSpec as StateSpec
from .chart import TransitionSpec as TransitionSpec
from .clock import AsyncioClock as AsyncioClock
from .clock import Clock as Clock
from .clock import VirtualClock as VirtualClock
from .errors import CommunicationError as CommunicationError
from .errors import ExecutionError as ExecutionError
from .errors import PlatformError as PlatformError
from .events import AttrDict as AttrDict
from .events import Event as Event
from .events import EventData as EventData
from .invoke import register_document as register_document
from .invoke import set_document_resolver as set_document_resolver
from .machine import Machine as Machine
from .machine import Observer as Observer
from .steps import MacroStep as MacroStep
from .steps import MicroStep as MicroStep
from .steps import TakenTransition as TakenTransition

NATIVE: Final = _native.core_is_native()
"""True when the compiled core is what got imported (`native.describe()` says why)."""

RUNTIME_VERSION: Final = "0.1"
"""The generated-code contract: modules compiled for another version refuse to load."""


def check_version(compiled_for: str) -> None:
    """Called by every generated module at import: the runtime must match."""
    if compiled_for != RUNTIME_VERSION:
        raise ImportError(
            f"module compiled for scxmlc runtime {compiled_for}, but this is "
            f"{RUNTIME_VERSION}: recompile it with this version of scxmlc"
        )
