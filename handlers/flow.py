"""What a dialogue is made of: steps in a table, and the outcomes a step can have.

A flow is a dict of named steps. Each step asks one question (`ask` returns a `Prompt`) and says
what it accepts: a button (`on_choice`), typed text (`on_text`) or a shared location
(`on_location`). It answers with an outcome: go to another step, ask again with an explanation,
call another flow and come back, or end. The engine in `handlers.core` adds Back and Cancel,
persists the state and checks every button press against the buttons it last showed.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.i18n import Text, Translator
from handlers.types import Button, Incoming
from storage.conversations import DialogueState
from storage.models import User
from town.deployment import Deployment

T = TypeVar("T")

# A flow that ends with a step named SUMMARY lets people change one answer from there: the draft
# key EDITING marks that, and Back or the next answer lead back to the summary.
SUMMARY = "summary"
EDITING = "_editing"
MaybeAwaitable: TypeAlias = T | Awaitable[T]


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

    @property
    def data(self) -> dict[str, Any]:
        """The draft of the current flow; saved after every step."""
        return self.conversation.data

    @property
    def language(self) -> str:
        if self.user is not None:
            return self.user.language
        return self.tr.resolve(self.conversation.language, self.incoming.language_code)


@dataclass(frozen=True)
class Prompt:
    """A question and the buttons that answer it, as rows."""

    text: Text
    choices: tuple[tuple[Button, ...], ...] = ()
    request_location: bool = False


@dataclass(frozen=True)
class Goto:
    """Continue with `step`, in `flow` if given (which replaces the current flow and its draft)."""

    step: str
    flow: str | None = None
    notes: tuple[Text, ...] = ()
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Retry:
    """Explain what was wrong and ask the same question again; nothing changes."""

    error: Text


@dataclass(frozen=True)
class Call:
    """Run another flow, then come back to this step (as `/language` does)."""

    flow: str
    step: str | None = None


@dataclass(frozen=True)
class Return:
    """Go back to the flow that called this one, or to the main menu."""

    notes: tuple[Text, ...] = ()


@dataclass(frozen=True)
class End:
    """Close the conversation and forget its state; the next message starts afresh."""

    notes: tuple[Text, ...] = ()


Outcome = Goto | Retry | Call | Return | End


@dataclass(frozen=True)
class Step:
    ask: Callable[[Ctx], MaybeAwaitable[Prompt]]
    on_choice: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    on_text: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    on_location: Callable[[Ctx, float, float], MaybeAwaitable[Outcome]] | None = None
    back: str | None = None
    skip: Callable[[Ctx], bool] | None = None
    cancel: bool = True


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    steps: dict[str, Step] = field(default_factory=dict)

    def __post_init__(self) -> None:
        targets = [self.start, *(s.back for s in self.steps.values() if s.back)]
        unknown = [name for name in targets if name not in self.steps]
        if unknown:
            raise ValueError(f"flow {self.name!r} refers to unknown steps {unknown}")


# A button on a pushed message (accept an offer, report hours): not among the current step's
# options, so the action itself checks that the person may press it.
Action = Callable[[Ctx, str], Awaitable[Outcome]]


async def resolve(value: MaybeAwaitable[T]) -> T:
    """Await a step callback's result if it is awaitable, so simple steps can stay synchronous."""
    if inspect.isawaitable(value):
        return await value
    return value
