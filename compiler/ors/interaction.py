"""The Interaction interface (`www.genesyslab.com/modules/interaction`, §5).

Common actions (redirect, terminate, accept, attach, detach, associate), voice
(createcall, hold, retrieve: events `voice.*`), message-based (createmessage,
sendmessage: `msgbased.*`) and chat (getcontent: `chat.*`); all live in this one
namespace, usually prefixed `ixn`.
"""

from __future__ import annotations

from .common import ActionEntry, define, element, expr, literal, requestid

NAMESPACE = "www.genesyslab.com/modules/interaction"


def _on_interaction(name: str, *, required: bool = False) -> ActionEntry:
    """An action whose only argument is the interaction."""
    return element(
        name, f"ixn.{name}", requestid(), expr("interactionid", required=required)
    )


EXTENSION = define(
    "interaction",
    NAMESPACE,
    "ixn",
    [
        element(
            "redirect",
            "ixn.redirect",
            requestid(),
            expr("interactionid"),
            expr("from"),
            expr("to", required=True),
            expr("type"),
            expr("detach"),
            expr("hints"),
            expr("location"),
            unused=("location",),
        ),
        element(
            "terminate",
            "ixn.terminate",
            requestid(),
            expr("interactionid", required=True),
            expr("reason"),
            expr("resource"),
            expr("hints"),
        ),
        element(
            "accept", "ixn.accept", requestid(), expr("interactionid"), expr("resource")
        ),
        _on_interaction("attach", required=True),
        _on_interaction("detach"),
        element(
            "associate",
            "ixn.associate",
            requestid(),
            expr("interactionid"),
            expr("sessionid", required=True),
        ),
        element(
            "createcall",
            "ixn.createcall",
            requestid(),
            expr("from", required=True),
            expr("to", required=True),
            literal("type", default="regular"),
            expr("reason"),
            expr("udata"),
        ),
        _on_interaction("hold"),
        _on_interaction("retrieve"),
        element(
            "createmessage",
            "ixn.createmessage",
            requestid(),
            literal("type", default="emailout"),
            expr("interactionid"),
            expr("media"),
            expr("server"),
            expr("from"),
            expr("to"),
            expr("subject"),
            expr("body"),
            expr("srid"),
            expr("queue"),
            expr("send"),
        ),
        _on_interaction("sendmessage"),
        _on_interaction("getcontent"),
    ],
)
