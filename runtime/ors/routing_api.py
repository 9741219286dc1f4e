"""`_genesys.queue`, `.dialog`, `.statistic`, `.classification`, `.resource`,
`.elasticconnector` and `.ws`: target selection, treatments, statistics and
the smaller modules (EXTENSIONS.md §4, §6-§10)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar, Final

from ..errors import ExecutionError
from . import enums
from .api import (
    Module,
    as_boolean,
    as_mapping,
    as_number,
    as_text,
    is_absent,
)
from .services import (
    ClassifyRequest,
    DialogRequest,
    SubmitRequest,
    TargetSpec,
    Treatment,
)

__all__ = [
    "ClassificationModule",
    "DialogModule",
    "ElasticModule",
    "QueueModule",
    "ResourceModule",
    "StatisticModule",
    "WebModule",
]


class QueueModule(Module):
    """`_genesys.queue`: route types and the `<queue:*>` actions."""

    __slots__ = ()
    prefix = "queue"
    js_properties: ClassVar[tuple[str, ...]] = ("rType", "overwriteType", "usecapcond")
    rType: Final = enums.ROUTE_TYPE
    overwriteType: Final = enums.OVERWRITE_TYPE
    usecapcond: Final = enums.USE_CAPACITY_CONDITION

    def submit(
        self,
        *,
        interactionid: str | None = None,
        queue: str | None = None,
        priority: float | None = None,
        ordertype: str | None = None,
        orderstat: str | None = None,
        timeout: float | None = None,
        clearontimeout: bool | None = None,
        route: bool | None = None,
        hints: dict[str, Any] | None = None,
        targets: Sequence[TargetSpec] = (),
        treatments: Sequence[Treatment] = (),
    ) -> str:
        """`<queue:submit>`: select a target for the interaction (and route to it
        unless `route` is false). `queue.submit.requestid`, then
        `queue.submit.done{targetselected, resource, ...}` or `error.queue.submit`."""
        request = self._request("submit")
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        try:
            submit = SubmitRequest(
                interaction,
                queue="none" if is_absent(queue) else as_text(queue),
                priority=0 if is_absent(priority) else int(as_number(priority)),
                ordertype="any" if is_absent(ordertype) else as_text(ordertype).lower(),
                orderstat="none" if is_absent(orderstat) else as_text(orderstat),
                timeout=None if is_absent(timeout) else as_number(timeout),
                clearontimeout=(
                    True if is_absent(clearontimeout) else as_boolean(clearontimeout)
                ),
                route=True if is_absent(route) else as_boolean(route),
                targets=tuple(_weighed(spec) for spec in targets),
                treatments=tuple(treatments),
                hints=as_mapping(hints),
            )
        except (TypeError, ValueError) as error:
            return self._refuse(request, "invalidparameter", str(error))
        return self._call(request, "queue", submit)

    def cancel(
        self,
        *,
        requestid: str | None = None,
        interactionid: str | None = None,
        queue: str | None = None,
    ) -> str:
        """`<queue:cancel>`: cancel a submit by its request id, or clear the
        interaction's requests in virtual queue `queue`."""
        request = self._request("cancel")
        interaction = (
            None if is_absent(interactionid) else self._interaction(interactionid)
        )
        target = None if is_absent(requestid) else as_text(requestid)
        name = None if is_absent(queue) else as_text(queue)
        return self._call(request, "queue", target, interaction, name)

    def query(self, *, requestid: str) -> str:
        """`<queue:query>`: `queue.query.done{priority, positioninqueue, invqwaittime}`."""
        request = self._request("query")
        return self._call(request, "queue", as_text(requestid))

    def update(
        self,
        *,
        requestid: str,
        priority: float | None = None,
        treatments: Sequence[Treatment] = (),
    ) -> str:
        """`<queue:update>`: change a pending submit's priority or busy treatments."""
        request = self._request("update")
        arguments = (
            as_text(requestid),
            None if is_absent(priority) else int(as_number(priority)),
            tuple(treatments),
        )
        return self._call(request, "queue", *arguments)


class DialogModule(Module):
    """`_genesys.dialog`: treatments and dialog applications."""

    __slots__ = ()
    prefix = "dialog"

    def action(
        self,
        action: str,
        *,
        interactionid: str | None = None,
        attributes: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        children: Sequence[Treatment] = (),
    ) -> str:
        """`<dialog:start|playsound|play|collect|playandcollect|playandverify>`:
        `dialog.<action>.done` (with `digits` for the collecting ones)."""
        request = self._request(action)
        interaction = self._interaction(interactionid)
        if interaction is None:
            return self._missing(request, interactionid)
        dialog = DialogRequest(
            action,
            interaction,
            dict(attributes or {}),
            dict(params or {}),
            tuple(children),
        )
        if action == "start":
            request.notify("requestid")
        self._backend.dialog.run(request, dialog)
        return request.requestid

    def runtreatments(
        self, *, interactionid: str | None = None, children: Sequence[Treatment] = ()
    ) -> None:
        """`<dialog:runtreatments>`: run treatments in order; no events follow."""
        interaction = self._interaction(interactionid)
        if interaction is None:
            raise ExecutionError("dialog:runtreatments: no interaction in this session")
        self._backend.dialog.run(
            None, DialogRequest("runtreatments", interaction, children=tuple(children))
        )

    def stop(
        self, *, requestid: str | None = None, interactionid: str | None = None
    ) -> str:
        """`<dialog:stop>`: stop a running dialog (`dialog.stop.done`)."""
        request = self._request("stop")
        self._backend.dialog.stop(
            request,
            None if is_absent(requestid) else as_text(requestid),
            self._interaction(interactionid),
        )
        return request.requestid


class StatisticModule(Module):
    """`_genesys.statistic`: `sData` and subscriptions."""

    __slots__ = ()
    prefix = "statistic"
    js_functions: ClassVar[tuple[str, ...]] = ("sData",)

    def sData(
        self, target: str | dict[str, Any], statistic: str | None = None
    ) -> float:
        """The current value of `statistic` for `target` (target format, or an
        object `{object, statistic}`); error.execution when unknown."""
        if isinstance(target, dict):
            statistic = target.get("statistic", statistic)
            name = as_text(target.get("object", target.get("name", "")))
        else:
            name = as_text(target)
        try:
            return float(self._backend.statistic.value(name, as_text(statistic)))
        except LookupError as error:
            raise ExecutionError(f"sData({name}, {statistic!s}): {error}") from None

    def subscribe(
        self, *, object: str, statistic: str, interval: float | None = None
    ) -> str:
        """`<statistic:subscribe>`: `statistic.subscribe.done`, then
        `statistic.update{object, statistic, value}` every `interval` seconds."""
        request = self._request("subscribe")
        seconds = 30.0 if is_absent(interval) else as_number(interval)
        return self._call(
            request,
            "statistic",
            self._session,
            as_text(object),
            as_text(statistic),
            seconds,
        )

    def unsubscribe(self, *, object: str, statistic: str) -> str:
        request = self._request("unsubscribe")
        return self._call(
            request, "statistic", self._session, as_text(object), as_text(statistic)
        )


class ClassificationModule(Module):
    """`_genesys.classification`: content analysis of message interactions."""

    __slots__ = ()
    prefix = "classification"

    def classify(
        self,
        *,
        interactionid: str | None = None,
        root: str | None = None,
        server: str | None = None,
        text: str | None = None,
    ) -> str:
        """`<classification:classify>`: `classification.classify.done{categories}`."""
        return self._run("classify", interactionid, root, server, text)

    def screen(
        self,
        *,
        interactionid: str | None = None,
        root: str | None = None,
        server: str | None = None,
        text: str | None = None,
    ) -> str:
        """`<classification:screen>`: `classification.screen.done{rules, categories}`."""
        return self._run("screen", interactionid, root, server, text)

    def _run(
        self,
        action: str,
        interactionid: str | None,
        root: str | None,
        server: str | None,
        text: str | None,
    ) -> str:
        request = self._request(action)
        interaction = self._interaction(interactionid)
        classify = ClassifyRequest(
            interaction,
            root=as_text(root),
            server=as_text(server),
            text=as_text(text),
        )
        return self._call(request, "classification", classify)


class ResourceModule(Module):
    """`_genesys.resource`: resource enumerations."""

    __slots__ = ()
    prefix = "resource"
    js_properties: ClassVar[tuple[str, ...]] = ("resourceType",)
    resourceType: Final = enums.RESOURCE_TYPE


class ElasticModule(Module):
    """`_genesys.elasticconnector`: Elasticsearch documents and index templates."""

    __slots__ = ()
    prefix = "elasticconnector"

    def perform(self, action: str, arguments: dict[str, Any]) -> str:
        """`<elasticconnector:createindextemplate|createdoc|updatedoc|deletedoc>`."""
        request = self._request(action)
        self._backend.elastic.perform(request, action, dict(arguments))
        return request.requestid


class WebModule(Module):
    """`_genesys.ws`: documented to exist, with no known elements or functions."""

    __slots__ = ()
    prefix = "ws"


def _weighed(spec: TargetSpec) -> TargetSpec:
    """`spec` with its `weight` as a float (None when absent); raises
    `ValueError` for a weight that is not a finite number >= 0."""
    if is_absent(spec.weight):
        return spec if spec.weight is None else replace(spec, weight=None)
    weight = as_number(spec.weight)
    if not 0 <= weight < math.inf:
        raise ValueError(f"target weight {as_text(spec.weight)} is not a number >= 0")
    return replace(spec, weight=weight)
