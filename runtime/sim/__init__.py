"""scxmlc.runtime.sim: a simulated contact center to run ORS applications against.

The embedded default backend of the ORS platform (`scxmlc.runtime.ors`): agents,
places, groups with skills, DNs and routing points, virtual and interaction
queues, interactions of every media, List objects and options, statistics,
treatments with durations and collected digits, classification rules, all
driven by a scenario file with a timeline. Deterministic on a virtual clock.
"""

from __future__ import annotations

from .center import ContactCenter as ContactCenter
from .model import Agent as Agent
from .model import Config as Config
from .model import Contact as Contact
from .model import Dn as Dn
from .scenario import Scenario as Scenario
from .scenario import ScenarioError as ScenarioError
from .scenario import load_scenario as load_scenario
from .scenario import parse_scenario as parse_scenario
from .simulation import Simulation as Simulation
from .simulation import format_summary as format_summary
from .simulation import format_trace as format_trace
from .simulation import provision_default as provision_default
