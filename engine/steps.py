"""What a dialogue is made of: steps in a table, where each leads, and the outcomes a step can have.

A flow is a dict of named steps. Each step asks one question (`ask` returns a `Prompt`) and says
what it accepts: a button (`on_choice`), typed text (`on_text`), a shared location
(`on_location`), a voice message (`on_voice`) or a photo (`on_photo`), and where it may lead
(`next`: steps of its flow by name, steps of other flows as `Target` constants). It answers with
an outcome: go to another step, say something and ask again, call another flow and come back, or
end. The engine in `engine.core` adds Back and Cancel, persists the state, checks every button
press against the buttons it last showed, and refuses an outcome that leads where the step did
not declare.

The one rule of a step: it changes nothing outside its session and its conversation. Messages of
different people share a transaction (a group commit); when that transaction fails, each message is
handled again on its own, so a step may run twice. Whatever it wrote the first time is rolled back
with the transaction; what it kept elsewhere (a module-level cache, a file, a message sent) would
not be. Pushes are outbox rows written in the session, and sent after the commit.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from engine.i18n import Text, Translator
from engine.types import Button, Incoming, IncomingFile, OutgoingFile, Venue
from storage.conversations import DialogueState
from storage.models import User
from town.deployment import Deployment, Municipality

T = TypeVar("T")

# A flow that has a step named SUMMARY lets people change one answer from there: the draft key
# EDITING marks that, and Back or the next answer lead back to the summary (`engine.widgets`).
SUMMARY = "summary"
EDITING = "_editing"
MaybeAwaitable: TypeAlias = T | Awaitable[T]


@dataclass(frozen=True)
class Target:
    """A step of a named flow (its start when `step` is None): where one flow leads into another."""

    flow: str
    step: str | None = None


@dataclass
class Ctx:
    """Everything a step may look at or change while it handles one incoming message."""

    incoming: Incoming
    session: AsyncSession
    deployment: Deployment
    tr: Translator
    conversation: DialogueState
    user: User | None
    now: datetime
    # How a start code (an invitation) becomes something to send: a link on Telegram.
    start_link: Callable[[str], str] = field(default=lambda code: f"/start {code}")
    # The people whose personal details this turn's replies show (a volunteer's confirmation
    # shows the address of the person helped): if one of them erases their data, the message
    # is edited to show them no more.
    about: set[int] = field(default_factory=set)

    @property
    def data(self) -> dict[str, Any]:
        """The draft of the current flow; saved after every step."""
        return self.conversation.data

    @property
    def language(self) -> str:
        if self.user is not None:
            return self.user.language
        return self.tr.resolve(self.conversation.language, self.incoming.language_code)

    @property
    def municipality(self) -> Municipality:
        """The person's municipality, or the deployment's first while they have none yet."""
        chosen = self.user.municipality if self.user is not None else None
        return self.deployment.municipality(chosen) or self.deployment.municipalities[0]


@dataclass(frozen=True)
class Prompt:
    """A question and the buttons that answer it, as rows."""

    text: Text
    choices: tuple[tuple[Button, ...], ...] = ()
    request_location: bool = False
    # A voice message to forward before the question (the platform's id of the recording).
    voice: str | None = None
    # A photo to forward before the question (the platform's id of the picture).
    photo: str | None = None


@dataclass(frozen=True)
class Goto:
    """Continue with a step of this flow (by name), or of another flow (a `Target`, which replaces
    the current flow and its draft with `data`)."""

    to: str | Target
    notes: tuple[Text, ...] = ()
    data: Mapping[str, Any] | None = None
    # Cards of their own sent before the next question: files the step made, with captions.
    cards: tuple[Say, ...] = ()


@dataclass(frozen=True)
class Retry:
    """Explain what was wrong and ask the same question again; nothing changes."""

    error: Text


@dataclass(frozen=True)
class Say:
    """Tell the person something (thanks, noted, a notice) and ask the open question again.

    With `buttons` (of pushed-message actions) the text is a card of its own, such as the
    details of a help just accepted, sent before the question; with `file` it is the caption of
    that file (a document from the shelf); a `venue` follows the card on the map. `alone`
    sends the card only, leaving the open question where it is (an answer to a pushed call,
    which thousands give at once); `broadcast` marks it as one of many (`Reply.broadcast`)."""

    text: Text
    buttons: tuple[tuple[Button, ...], ...] = ()
    file: OutgoingFile | None = None
    venue: Venue | None = None
    alone: bool = False
    broadcast: bool = False


@dataclass(frozen=True)
class Call:
    """Run another flow, then come back to this step (as `/language` does); `data` is the
    called flow's draft to begin with."""

    to: Target
    notes: tuple[Text, ...] = ()
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Return:
    """Go back to the flow that called this one, or to the main menu."""

    notes: tuple[Text, ...] = ()


@dataclass(frozen=True)
class End:
    """Close the conversation and forget its state; the next message starts afresh."""

    notes: tuple[Text, ...] = ()


Outcome = Goto | Retry | Say | Call | Return | End


@dataclass(frozen=True)
class Step:
    ask: Callable[[Ctx], MaybeAwaitable[Prompt]]
    on_choice: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    on_text: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    on_location: Callable[[Ctx, float, float], MaybeAwaitable[Outcome]] | None = None
    # A voice message, by the platform's id of the recording.
    on_voice: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    # A photo, by the platform's id of the picture.
    on_photo: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    # A document (a file), by the platform's description of it.
    on_document: Callable[[Ctx, IncomingFile], MaybeAwaitable[Outcome]] | None = None
    # Where this step's outcomes may lead besides itself (and the summary, while editing).
    next: tuple[str | Target, ...] = ()
    back: str | None = None
    skip: Callable[[Ctx], bool] | None = None
    cancel: bool = True


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    steps: dict[str, Step] = field(default_factory=dict)

    def __post_init__(self) -> None:
        named = [self.start]
        for step in self.steps.values():
            named += [target for target in step.next if isinstance(target, str)]
            named += [step.back] if step.back else []
        unknown = sorted({name for name in named if name not in self.steps})
        if unknown:
            raise ValueError(f"flow {self.name!r} refers to unknown steps {unknown}")

    def leads_to(self, step: str, target: str | Target) -> bool:
        """Whether `step` declared `target` (itself and, while editing, the summary always)."""
        target = self._local(target)
        if target == step or (target == SUMMARY and SUMMARY in self.steps):
            return True
        return target in {self._local(declared) for declared in self.steps[step].next}

    def _local(self, target: str | Target) -> str | Target:
        """A target in this flow by its step's name; one in another flow as it is."""
        if isinstance(target, Target) and target.flow == self.name:
            return target.step or self.start
        return target


# A button on a pushed message (accept an offer, report hours): not among the current step's
# options, so the action itself checks that the person may press it. Its payload is
# "act:<action name>:...".
Action = Callable[[Ctx, str], Awaitable[Outcome]]
ACTION_PREFIX = "act:"


@dataclass(frozen=True)
class Entrances:
    """The places the engine itself leads people to, as the dialogues name them."""

    welcome: Target  # a newcomer's first question
    consent: Target  # asked again when the privacy notice changed
    home: Target  # the main menu of someone registered
    language: Target  # called by /language
    erase: Target  # called by /delete
    # What a start link (/start <code>) leads to, for someone registered or new: the dialogues
    # decide (a poster's district, an invitation); without it, the code is ignored.
    start_link: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    # Where a newcomer starts, if the dialogues decide (the language their phone reports is
    # known: straight to consent); without it, `welcome`.
    greeting: Callable[[Ctx], Outcome] | None = None


class Dialogues:
    """Every flow, the actions of buttons on pushed messages, and the entrances: checked when built,
    so a step that leads to a flow or step that does not exist fails at import."""

    def __init__(
        self, flows: Iterable[Flow], actions: Mapping[str, Action], entrances: Entrances
    ) -> None:
        self.flows = {flow.name: flow for flow in flows}
        self.actions = dict(actions)
        self.entrances = entrances
        entries = [(name, t) for name, t in vars(entrances).items() if isinstance(t, Target)]
        targets = [(f"entrance {name}", target) for name, target in entries] + [
            (f"{flow.name}.{name}", target)
            for flow in self.flows.values()
            for name, step in flow.steps.items()
            for target in step.next
            if isinstance(target, Target)
        ]
        unknown = [f"{where} -> {target}" for where, target in targets if not self.exists(target)]
        if unknown:
            raise ValueError(f"unknown targets: {', '.join(unknown)}")

    def exists(self, target: Target) -> bool:
        flow = self.flows.get(target.flow)
        return flow is not None and (target.step is None or target.step in flow.steps)

    def step_of(self, target: Target) -> str:
        return target.step or self.flows[target.flow].start


async def resolve(value: MaybeAwaitable[T]) -> T:
    """Await a step callback's result if it is awaitable, so simple steps can stay synchronous."""
    if inspect.isawaitable(value):
        return await value
    return value
