"""Treatments, dialog applications and content analysis of the simulation.

`Media` is the simulator's `DialogService` and `ClassificationService`:

- `playsound`, `play` and `pause` last their `duration` (prompts two seconds
  each); `collect`, `playandcollect` and `playandverify` answer with the next
  digits the scenario scripted for the contact (`digits:`), less the input's
  `ignore_digits`, after one second a digit, or fail with `error="timeout"`
  after `start_timeout` (or `total_timeout`, if shorter) when nothing is
  scripted; `start` runs a dialog application and returns what the scenario
  scripted (`dialogs:`) as `extensions`.
- Busy treatments (`<dialog:runtreatments>` in `<queue:submit>`) run one after
  the other while the interaction waits, and stop when it is served.
- Every treatment of an interaction stops when the interaction is routed away
  (to an agent, a DN, a queue or another routing point) or ends: busy
  treatments end, and a dialog under way fails with `error="interactionrouted"`
  or `error="interactiondeleted"`.
- `classify` scores the categories of the scenario (`classification:`) by the
  share of their keywords found in the message; `screen` matches the screening
  rules' regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..clock import Timer
from ..ors.objects import Interaction
from ..ors.requests import Request
from ..ors.services import ClassifyRequest, DialogRequest, Treatment
from .model import Contact

if TYPE_CHECKING:
    from .center import ContactCenter

__all__ = ["Media"]

PROMPT_SECONDS = 2.0
DIGIT_SECONDS = 1.0


class Media:
    """Dialogs and treatments on interactions, and classification of messages."""

    def __init__(self, center: ContactCenter) -> None:
        self.center = center
        self.running: dict[str, tuple[Contact, Timer, Request]] = {}
        self.busy: dict[str, Timer] = {}

    # -- DialogService ------------------------------------------------------------------

    def run(self, request: Request | None, dialog: DialogRequest) -> None:
        interaction = dialog.interaction
        if interaction is None:
            return
        contact = self.center.contact(interaction)
        if dialog.action == "runtreatments":
            self.busy_treatments(contact, dialog.children, chained=False)
            return
        assert request is not None
        seconds, outcome = self._outcome(
            contact, dialog.action, dialog.attributes, dialog.children
        )
        self.center.trace(
            "treatment",
            f"{interaction.g_uid} {dialog.action} {_describe(dialog.attributes)} ({seconds:g}s)",
        )
        interaction.state = "treating"

        def finish() -> None:
            self.running.pop(request.requestid, None)
            if interaction.state == "treating":
                interaction.state = ""
            outcome(request)

        timer = self.center.clock.call_later(seconds, finish)
        self.running[request.requestid] = (contact, timer, request)

    def stop(
        self, request: Request, target: str | None, interaction: Interaction | None
    ) -> None:
        def stop() -> None:
            stopped = [
                key
                for key, (contact, _, _) in self.running.items()
                if key == target
                or (target is None and contact.interaction is interaction)
            ]
            for key in stopped:
                contact, timer, pending = self.running.pop(key)
                timer.cancel()
                contact.interaction.state = ""
                pending.fail("stopped", "stopped by <dialog:stop>")
            if not stopped and interaction is not None:
                self.stop_busy_treatments(self.center.contact(interaction))
            request.done()

        self.center.later(stop)

    def _outcome(
        self,
        contact: Contact,
        action: str,
        attributes: dict[str, Any],
        children: tuple[Treatment, ...],
    ) -> tuple[float, Callable[[Request], None]]:
        """How long `action` takes and how its request completes."""
        if action in ("collect", "playandcollect", "playandverify"):
            return self._collect(contact, attributes, children)
        if action == "start":
            scripted = contact.dialogs.pop(0) if contact.dialogs else None
            if scripted is None:
                return 5.0, lambda request: request.done(extensions={})
            return scripted.duration, lambda request: request.done(
                extensions=dict(scripted.result)
            )
        seconds = _duration(attributes, children)
        return seconds, lambda request: request.done()

    def _collect(
        self,
        contact: Contact,
        attributes: dict[str, Any],
        children: tuple[Treatment, ...],
    ) -> tuple[float, Callable[[Request], None]]:
        prompts = _duration(attributes, children, default=0.0)
        limits = _input(children)
        if not contact.digits or contact.digits[0] is None:
            if contact.digits:
                contact.digits.pop(0)
            timeout = _no_input_timeout(limits)
            return prompts + timeout, lambda request: request.fail(
                "timeout", "no input", digits=""
            )
        digits = contact.digits.pop(0) or ""
        ignored = str(limits.get("ignore_digits") or "")
        digits = "".join(d for d in digits if d not in ignored)
        maximum = int(limits.get("max_digits", 0) or 0)
        if maximum:
            digits = digits[:maximum]
        seconds = prompts + DIGIT_SECONDS * max(len(digits), 1)
        return seconds, lambda request: request.done(digits=digits)

    # -- busy treatments --------------------------------------------------------------

    def busy_treatments(
        self,
        contact: Contact,
        treatments: tuple[Treatment, ...],
        *,
        chained: bool = True,
    ) -> None:
        """Run `treatments` one after another on `contact` (no events)."""
        g_uid = contact.interaction.g_uid
        self.stop_busy_treatments(contact)
        queue = list(treatments)

        def next_treatment() -> None:
            self.busy.pop(g_uid, None)
            if not queue or contact.ended is not None:
                return
            treatment = queue.pop(0)
            seconds, _ = self._outcome(
                contact, treatment.kind, treatment.attributes, treatment.children
            )
            if self.center.tracing:
                self.center.trace(
                    "treatment",
                    f"{g_uid} {treatment.kind} {_describe(treatment.attributes)} ({seconds:g}s)",
                )
            self.busy[g_uid] = self.center.clock.call_later(seconds, next_treatment)

        next_treatment()

    def stop_busy_treatments(self, contact: Contact) -> None:
        timer = self.busy.pop(contact.interaction.g_uid, None)
        if timer is not None:
            timer.cancel()

    def interaction_gone(self, contact: Contact) -> None:
        """The interaction ended: its dialogs fail, its treatments stop."""
        self.stop_treatments(contact, "interactiondeleted", "the interaction ended")

    def interaction_routed(self, contact: Contact, where: str) -> None:
        """The interaction was routed away to `where` (`agent anna`, `DN 7001`):
        its dialogs fail, its treatments stop."""
        self.stop_treatments(
            contact, "interactionrouted", f"the interaction was routed to {where}"
        )

    def stop_treatments(self, contact: Contact, error: str, description: str) -> None:
        """Stop every treatment on `contact`: busy treatments end, each dialog
        under way fails with `error` (`error.dialog.<action>`)."""
        stopped = self.busy.get(contact.interaction.g_uid) is not None
        self.stop_busy_treatments(contact)
        for key, (running, timer, request) in list(self.running.items()):
            if running is contact:
                del self.running[key]
                timer.cancel()
                request.fail(error, description)
                stopped = True
        if contact.interaction.state == "treating":
            contact.interaction.state = ""
        if stopped and self.center.tracing:
            self.center.trace(
                "treatment",
                f"{contact.interaction.g_uid} treatments stopped: {description}",
            )

    # -- ClassificationService ----------------------------------------------------------

    def classify(self, request: Request, classify: ClassifyRequest) -> None:
        text = self._text(classify).lower()
        categories = []
        for category in self.center.config.categories:
            words = [str(w).lower() for w in category.get("keywords", [])]
            if classify.root and category.get("root", classify.root) != classify.root:
                continue
            hits = sum(1 for word in words if word in text)
            if words and hits:
                relevancy = round(100.0 * hits / len(words))
                categories.append(
                    {
                        "id": str(category.get("id", category["name"])),
                        "name": category["name"],
                        "relevancy": relevancy,
                    }
                )
        categories.sort(key=lambda c: -float(c["relevancy"]))
        self.center.trace(
            "classification",
            f"classified: {', '.join(c['name'] for c in categories) or 'no category'}",
        )
        self.center.later(lambda: request.done(categories=categories))

    def screen(self, request: Request, classify: ClassifyRequest) -> None:
        text = self._text(classify)
        rules = [
            {"name": rule["name"], "category": rule.get("category", "")}
            for rule in self.center.config.screening
            if re.search(str(rule.get("pattern", "")), text, re.IGNORECASE)
        ]
        categories = [r["category"] for r in rules if r["category"]]
        self.center.later(lambda: request.done(rules=rules, categories=categories))

    def _text(self, classify: ClassifyRequest) -> str:
        if classify.text:
            return classify.text
        interaction = classify.interaction
        if interaction is None:
            return ""
        contact = self.center.contact(interaction)
        return f"{interaction.udata.get('Subject', '')}\n{contact.body}"


def _duration(
    attributes: dict[str, Any], children: tuple[Treatment, ...], default: float = 10.0
) -> float:
    """A treatment's length: its `duration`, else two seconds a prompt."""
    value = attributes.get("duration")
    if value is not None and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    prompts = sum(
        len(child.children) if child.kind == "prompts" else 0 for child in children
    )
    return PROMPT_SECONDS * prompts if prompts else default


def _no_input_timeout(limits: dict[str, Any]) -> float:
    """Seconds a collect without input waits: `start_timeout` (for the first
    digit) when it is shorter than `total_timeout` (10 by default)."""
    total = _seconds(limits.get("total_timeout")) or 10.0
    start = _seconds(limits.get("start_timeout"))
    return min(start, total) if start else total


def _seconds(value: Any) -> float:
    """A timeout attribute's seconds; 0 when absent or not a number."""
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 0.0


def _input(children: tuple[Treatment, ...]) -> dict[str, Any]:
    for child in children:
        if child.kind == "input":
            return child.attributes
    return {}


def _describe(attributes: dict[str, Any]) -> str:
    shown = {
        k: v for k, v in attributes.items() if k not in ("params",) and v is not None
    }
    return " ".join(f"{k}={v}" for k, v in shown.items())
