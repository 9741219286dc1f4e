"""The Dialog (treatment) interface (`www.genesyslab.com/modules/dialog`, §6).

Each action runs on an interaction and ends with `dialog.<action>.done`
(`digits` for the collecting ones). Attributes other than `requestid` and
`interactionid` pass to the backend as one `attributes` dict, since treatments
take open-ended settings. `<dialog:runtreatments>` runs its children in order
and produces no events. Attribute kinds follow Composer's output: `type` of
`<dialog:prompts>` is a literal (`type="ann"`), every other attribute a value
expression.
"""

from __future__ import annotations

from .common import ActionEntry, ChildKind, define, element, expr, literal, requestid

NAMESPACE = "www.genesyslab.com/modules/dialog"

_PROMPTING: dict[str, ChildKind] = {"prompts": "children", "input": "children"}
_TREATMENTS = (
    "collect",
    "play",
    "playandcollect",
    "playandverify",
    "playsound",
    "start",
    "pause",
    "remote",
)


def _action(name: str, *attributes: str, prompting: bool = False) -> ActionEntry:
    children: dict[str, ChildKind] = dict(_PROMPTING) if prompting else {}
    if name == "start":
        children["param"] = "params"
    return element(
        name,
        "dialog.action",
        requestid(),
        expr("interactionid"),
        *(expr(a) for a in attributes),
        leading=(repr(name),),
        style="attributes",
        children=children,
    )


EXTENSION = define(
    "dialog",
    NAMESPACE,
    "dialog",
    [
        _action("start", "type", "device", "language", "duration"),
        _action("playsound", "type", "resource", "duration"),
        _action("play", "language", "duration", prompting=True),
        _action("collect", "language", "duration", prompting=True),
        _action("playandcollect", "language", "duration", "device", prompting=True),
        _action("playandverify", "language", "duration", prompting=True),
        element(
            "runtreatments",
            "dialog.runtreatments",
            expr("interactionid"),
            children={name: "children" for name in _TREATMENTS},
        ),
        element("stop", "dialog.stop", expr("requestid"), expr("interactionid")),
        element("pause", None, expr("duration"), parents=("runtreatments",)),
        element(
            "remote",
            None,
            expr("destination"),
            expr("default"),
            parents=("runtreatments",),
        ),
        element(
            "prompts",
            None,
            literal("type"),
            children={"prompt": "children"},
            parents=("play", "collect", "playandcollect", "playandverify"),
        ),
        element(
            "prompt",
            None,
            expr("interrupt"),
            expr("intid"),
            expr("number"),
            expr("text"),
            expr("resource"),
            expr("duration"),
            parents=("prompts",),
        ),
        element(
            "input",
            None,
            expr("max_digits"),
            expr("abort_digits"),
            expr("term_digits"),
            expr("total_timeout"),
            expr("digit_timeout"),
            expr("start_timeout"),
            expr("ignore_digits"),
            expr("clear"),
            parents=("collect", "playandcollect", "playandverify"),
        ),
    ],
)
