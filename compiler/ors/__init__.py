"""The Genesys ORS extension namespaces, one module each, registered at import.

Each module declares its action elements (attributes and their kind, required
ones, defaults, children) and what they compile to, with the table helpers of
`common`. The Web (`ws`) and Resource modules have no published action
elements: their namespaces are known, and any element in them compiles (with a
warning) to `error.unsupported.element` at run time. Namespaces match with or
without `http://`.
"""

from __future__ import annotations

from ..extensions import Extension, register
from . import classification, dialog, elastic, interaction, queue, session, statistic
from .common import define

__all__ = ["EXTENSIONS"]

WEB = define("web", "www.genesyslab.com/modules/ws", "ws", [])
RESOURCE = define("resource", "www.genesyslab.com/modules/resource", "resource", [])
AGENT = define("agent", "www.genesyslab.com/modules/agent", "agent", [])

EXTENSIONS: tuple[Extension, ...] = (
    session.EXTENSION,
    WEB,
    queue.EXTENSION,
    interaction.EXTENSION,
    dialog.EXTENSION,
    statistic.EXTENSION,
    classification.EXTENSION,
    RESOURCE,
    elastic.EXTENSION,
    AGENT,
)

for _extension in EXTENSIONS:
    register(_extension)
