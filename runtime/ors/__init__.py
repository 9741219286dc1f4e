"""scxmlc.runtime.ors: the Genesys Orchestration Server platform of compiled sessions.

- `machine.OrsMachine` is the base class of compiled ORS documents, whose
  `_genesys` is `genesys.Genesys`: the object model, the functions, and the
  entry points that ORS action elements compile to.
- `services` declares, as typed Protocols, what a contact-center backend
  implements; `scxmlc.runtime.sim` is the simulated default.
- `platform.Platform` hosts sessions, provisions applications per resource and
  keeps interaction ownership; `trace.Trace` records what a run did.
"""

from __future__ import annotations

from .enums import DAY as DAY
from .enums import MEDIA_TYPE as MEDIA_TYPE
from .enums import ROUTE_TYPE as ROUTE_TYPE
from .genesys import Genesys as Genesys
from .machine import OrsMachine as OrsMachine
from .objects import SESSION_ID_KEY as SESSION_ID_KEY
from .objects import Interaction as Interaction
from .objects import Interactions as Interactions
from .objects import Resource as Resource
from .objects import resource_from as resource_from
from .platform import OrsSession as OrsSession
from .platform import Platform as Platform
from .requests import Request as Request
from .services import Backend as Backend
from .services import TargetSpec as TargetSpec
from .services import Treatment as Treatment
from .trace import Trace as Trace
from .trace import TraceEntry as TraceEntry
