"""The Classification interface (`www.genesyslab.com/modules/classification`, §8).

`<classification:classify>` (categories of a message, by relevancy) and
`<classification:screen>` (screening rules that match). `text` is a scxmlc
addition for classifying text other than the interaction's body.
"""

from __future__ import annotations

from .common import ActionEntry, define, element, expr, requestid

NAMESPACE = "www.genesyslab.com/modules/classification"


def _action(name: str, *, root_required: bool) -> ActionEntry:
    return element(
        name,
        f"classification.{name}",
        requestid(),
        expr("server"),
        expr("interactionid"),
        expr("root", required=root_required),
        expr("text"),
    )


EXTENSION = define(
    "classification",
    NAMESPACE,
    "classification",
    [_action("classify", root_required=True), _action("screen", root_required=False)],
)
