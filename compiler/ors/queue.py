"""The Queue interface (`www.genesyslab.com/modules/queue`, EXTENSIONS.md §4).

`<queue:submit>` with `<queue:targets>` of `<queue:target>` and `<queue:targetid>`
children and busy treatments in `<dialog:runtreatments>`; `<queue:cancel>`,
`<queue:query>` and `<queue:update>`, whose `requestid` names the submit they act
on (a value, not a location).
"""

from __future__ import annotations

from .common import define, element, expr, literal, requestid

NAMESPACE = "www.genesyslab.com/modules/queue"

EXTENSION = define(
    "queue",
    NAMESPACE,
    "queue",
    [
        element(
            "submit",
            "queue.submit",
            requestid(),
            expr("interactionid"),
            expr("queue"),
            expr("priority"),
            expr("ordertype"),
            expr("orderstat"),
            expr("timeout"),
            expr("clearontimeout"),
            expr("route"),
            expr("hints"),
            children={"targets": "targets", "runtreatments": "treatments"},
        ),
        element(
            "targets",
            None,
            literal("type", default="agent"),
            expr("statserver"),
            children={"target": "targets", "targetid": "targets"},
            parents=("submit",),
        ),
        element(
            "target",
            None,
            expr("name", required=True),
            literal("type"),
            expr("statserver"),
            expr("weight"),
            parents=("targets",),
        ),
        element("targetid", None, expr("expr", required=True), parents=("targets",)),
        element(
            "cancel",
            "queue.cancel",
            expr("requestid"),
            expr("interactionid"),
            expr("queue"),
        ),
        element("query", "queue.query", expr("requestid", required=True)),
        element(
            "update",
            "queue.update",
            expr("requestid", required=True),
            expr("priority"),
            children={"runtreatments": "treatments"},
        ),
    ],
)
