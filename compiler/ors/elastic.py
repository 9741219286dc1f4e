"""The Elasticconnector interface (`www.genesyslab.com/modules/elasticconnector`, §10).

Index templates and documents; every attribute but `requestid` passes to the
backend in one `arguments` dict, and results come as
`elasticconnector.<action>.done` / `error.elasticconnector.<action>`.
"""

from __future__ import annotations

from .common import ActionEntry, define, element, expr, requestid

NAMESPACE = "www.genesyslab.com/modules/elasticconnector"


def _action(name: str, *attributes: str, required: tuple[str, ...] = ()) -> ActionEntry:
    return element(
        name,
        "elasticconnector.perform",
        requestid(),
        *(expr(a, required=a in required) for a in attributes),
        leading=(repr(name),),
        style="attributes",
    )


EXTENSION = define(
    "elasticconnector",
    NAMESPACE,
    "elasticconnector",
    [
        _action(
            "createindextemplate",
            "name",
            "index",
            "order",
            "type",
            "mapping",
            "timeout",
            required=("name", "index", "type", "mapping"),
        ),
        _action("createdoc", "id", "index", "type", "body", "settings", "timeout"),
        _action("updatedoc", "id", "index", "type", "body", "settings", "timeout"),
        _action("deletedoc", "id", "index", "type", "timeout"),
    ],
)
