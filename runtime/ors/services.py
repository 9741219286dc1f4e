"""What a contact-center backend implements: one typed Protocol per ORS module.

Generated code calls the `_genesys` API (`genesys.py`); the API validates and
normalises the arguments into the records below and hands them, with the pending
`Request`, to the backend. The backend answers later through the request
(`done`/`fail`) and pushes unsolicited events through the platform. The embedded
default backend is the simulated contact center of `scxmlc.runtime.sim`; a real
deployment supplies its own implementations of these Protocols, and generated
code does not change.

Sessions that move. A durable session's snapshot keeps what the backend holds
for it (`handover`): each interaction it owns, with the plain data
`InteractionService.carry` gives, and each request it made that has not
completed. Restored on a platform whose backend does not know them (after a
restart, or adopted by another node), the interactions are handed to the
backend through `InteractionService.take_over`, and the pending requests of
the actions `handover.REISSUED` names are issued again through the same
method as the first time, with a `Request` of the same id (a backend that
outlives the platform, as a real one does, can recognise the id and answer
with the outcome it already reached); the others fail with
`error.<prefix>.<action>`, `error="outcome.unknown"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .objects import Interaction, Resource
from .requests import Request

if TYPE_CHECKING:
    from .platform import OrsSession

__all__ = [
    "Backend",
    "CallRequest",
    "ClassificationService",
    "ClassifyRequest",
    "DialogRequest",
    "DialogService",
    "ElasticService",
    "FetchRequest",
    "InteractionService",
    "MessageRequest",
    "QueueService",
    "RedirectRequest",
    "SessionService",
    "StatisticService",
    "SubmitRequest",
    "TargetSpec",
    "Treatment",
]


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One `<queue:target>` (type, name, statserver, weight) or one
    `<queue:targetid>` string.

    For a targetid, `type` is `"targetid"` and `name` holds the possible-target
    list in the target format of §4.1 (`{StatAgentsAvailable>0}[25]Sales@.GA`).
    `weight` is the `<queue:target weight>` (None when absent): the target's
    share under `ordertype="percentage"`.
    """

    type: str
    name: str
    statserver: str = ""
    weight: float | None = None


@dataclass(frozen=True, slots=True)
class Treatment:
    """One child of `<dialog:runtreatments>` (or of a dialog action): its element
    name, evaluated attributes, `<param>`s, and its own children (`<dialog:prompt>`,
    `<dialog:input>`) in document order."""

    kind: str
    attributes: dict[str, Any] = field(default_factory=dict)
    children: tuple[Treatment, ...] = ()


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """`<queue:submit>`: queue an interaction for target selection (§4.3)."""

    interaction: Interaction
    queue: str = "none"
    priority: int = 0
    ordertype: str = "any"
    orderstat: str = "none"
    timeout: float | None = None
    clearontimeout: bool = True
    route: bool = True
    targets: tuple[TargetSpec, ...] = ()
    treatments: tuple[Treatment, ...] = ()
    hints: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RedirectRequest:
    """`<ixn:redirect>`: route or transfer an interaction to a resource (§5.4)."""

    interaction: Interaction
    to: Resource
    source: str = ""
    type: int | None = None
    detach: bool = False
    hints: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallRequest:
    """`<ixn:createcall>` (§5.6)."""

    source: Resource
    to: Resource
    type: str = "regular"
    reason: str = ""
    udata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """`<ixn:createmessage>` (§5.7): `to` holds resolved addresses."""

    type: str
    parent: Interaction | None
    media: str = "email"
    source: str = ""
    to: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    srid: str = ""
    queue: str = ""
    send: bool = False
    server: str = ""


@dataclass(frozen=True, slots=True)
class DialogRequest:
    """A `<dialog:*>` action on an interaction: `action` and its evaluated attributes
    (`duration`, `resource`, `type`, `language`, ...) and `<param>`s."""

    action: str
    interaction: Interaction | None
    attributes: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    children: tuple[Treatment, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """`<session:fetch>` (§2.3)."""

    url: str
    method: str = "get"
    enctype: str = "application/x-www-form-urlencoded"
    type: str = ""
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    content: str | None = None


@dataclass(frozen=True, slots=True)
class ClassifyRequest:
    """`<classification:classify>` and `<classification:screen>` (§8)."""

    interaction: Interaction | None
    root: str = ""
    server: str = ""
    text: str = ""


class QueueService(Protocol):
    """Target selection (URS in a real deployment)."""

    def submit(self, request: Request, submit: SubmitRequest) -> None: ...

    def cancel(
        self,
        request: Request,
        target: str | None,
        interaction: Interaction | None,
        queue: str | None,
    ) -> None: ...

    def query(self, request: Request, target: str) -> None: ...

    def update(
        self,
        request: Request,
        target: str,
        priority: int | None,
        treatments: tuple[Treatment, ...],
    ) -> None: ...


class InteractionService(Protocol):
    """Interaction control: routing, ending, association, creation."""

    def redirect(self, request: Request, redirect: RedirectRequest) -> None: ...

    def terminate(
        self, request: Request, interaction: Interaction, reason: str
    ) -> None: ...

    def accept(
        self, request: Request, interaction: Interaction, resource: Resource | None
    ) -> None: ...

    def hold(self, request: Request, interaction: Interaction) -> None: ...

    def retrieve(self, request: Request, interaction: Interaction) -> None: ...

    def createcall(
        self, request: Request, session: OrsSession, call: CallRequest
    ) -> None: ...

    def createmessage(
        self, request: Request, session: OrsSession, message: MessageRequest
    ) -> None: ...

    def sendmessage(self, request: Request, interaction: Interaction) -> None: ...

    def getcontent(self, request: Request, interaction: Interaction) -> None: ...

    def udata_changed(self, interaction: Interaction, changed: dict[str, Any]) -> None:
        """Attached data changed through `setuData`/`deleteuData` (no event is owed)."""
        ...

    def carry(self, interaction: Interaction) -> dict[str, Any]:
        """What the backend needs to go on with `interaction` after its session
        moves to another platform, as plain data (dicts, lists, strings,
        numbers, booleans, None; times as wall-clock seconds since 1970): a
        snapshot of the session keeps it with the interaction. Called once per
        snapshot for each interaction the session owns."""
        ...

    def take_over(self, interaction: Interaction, carried: dict[str, Any]) -> None:
        """A session restored on this platform owns `interaction`, which this
        backend has not seen (its platform stopped, or another node adopted
        the session): make it its own from what `carry` gave on the old
        platform (`{}` when nothing). The session already had its
        `interaction.added`: no event is owed, and the interaction's state,
        attached data and parties are as the snapshot kept them. What happens
        next (the conversation ends, the customer hangs up) reaches the
        session as for any interaction of this backend."""
        ...


class DialogService(Protocol):
    """Treatments and dialog applications (GVP, legacy IVR, music)."""

    def run(self, request: Request | None, dialog: DialogRequest) -> None:
        """Run one dialog action; `request` is None for `<dialog:runtreatments>`,
        which produces no events."""
        ...

    def stop(
        self, request: Request, target: str | None, interaction: Interaction | None
    ) -> None: ...


class StatisticService(Protocol):
    """Statistics (Stat Server in a real deployment)."""

    def value(self, target: str, statistic: str) -> float:
        """The current value of `statistic` for `target` (target format, §4.1);
        raises `LookupError` for an unknown object or statistic."""
        ...

    def subscribe(
        self,
        request: Request,
        session: OrsSession,
        target: str,
        statistic: str,
        interval: float,
    ) -> None: ...

    def unsubscribe(
        self, request: Request, session: OrsSession, target: str, statistic: str
    ) -> None: ...


class ClassificationService(Protocol):
    """Content analysis (Classification Server in a real deployment)."""

    def classify(self, request: Request, classify: ClassifyRequest) -> None: ...

    def screen(self, request: Request, classify: ClassifyRequest) -> None: ...


class SessionService(Protocol):
    """Configuration, time and web access of the Session module."""

    def now(self) -> float:
        """Wall-clock time, seconds since the Unix epoch, on the platform's clock."""
        ...

    def list_item(self, list_name: str, item: str, key: str | None) -> Any:
        """One key's value of an item of a List object, or the whole item (a
        dict of its keys) when `key` is None or empty; raises `LookupError` when
        the list, item or key is absent."""
        ...

    def config_option(
        self, interaction: Interaction | None, key: str, lookup: int
    ) -> str:
        """A configuration option as ORS looks it up, `""` when absent."""
        ...

    def tenant(self) -> tuple[str, str]:
        """The tenant's name and DBID."""
        ...

    def fetch(self, request: Request, fetch: FetchRequest) -> None: ...


class ElasticService(Protocol):
    """Elasticsearch documents and templates (§10)."""

    def perform(
        self, request: Request, action: str, arguments: dict[str, Any]
    ) -> None: ...


class Backend(Protocol):
    """Everything a platform needs: one service per module."""

    @property
    def queue(self) -> QueueService: ...

    @property
    def interactions(self) -> InteractionService: ...

    @property
    def dialog(self) -> DialogService: ...

    @property
    def statistic(self) -> StatisticService: ...

    @property
    def classification(self) -> ClassificationService: ...

    @property
    def session(self) -> SessionService: ...

    @property
    def elastic(self) -> ElasticService: ...
