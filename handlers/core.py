"""The dialogue engine: one incoming message and the stored conversation in, replies out.

It knows no chat platform. It loads the person's conversation, handles global commands, checks
button presses against the buttons it showed last, runs the current step, asks the next question
and stores the new state in the same transaction, so a restart resumes exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import commands, privacy
from handlers.batching import Batches
from handlers.flow import (
    EDITING,
    SUMMARY,
    Action,
    Call,
    Ctx,
    End,
    Flow,
    Goto,
    Outcome,
    Prompt,
    Retry,
    Return,
    Step,
    resolve,
)
from handlers.i18n import Text, Translator, _, paragraphs
from handlers.onboarding import needs_consent
from handlers.types import Button, Incoming, Reply, Turn
from storage.conversations import DialogueState, load_turns, save_states
from storage.models import User
from town.deployment import Deployment

log = logging.getLogger(__name__)

MESSAGES_PER_MINUTE = 30
# What a blocked person can still do: their rights to see and erase their data.
RIGHTS = (commands.MYDATA, commands.DELETE)

BACK = "nav:back"
ACTION_PREFIX = "act:"
CANCEL = "nav:cancel"
MAX_TEXT_LENGTH = 4000

MENU_FLOW, MENU_STEP = "menu", "main"
ONBOARDING_FLOW = "onboarding"


@dataclass(frozen=True, slots=True)
class _Arrived:
    """A message as it arrived: when, and whether it was one too many (counted once, on arrival,
    even if its group is handled again)."""

    incoming: Incoming
    at: datetime
    flooding: bool


def utcnow() -> datetime:
    return datetime.now(UTC)


class DialogueCore:
    """Handles incoming messages for every channel; one instance per process."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        deployment: Deployment,
        translator: Translator,
        flows: dict[str, Flow],
        actions: Mapping[str, Action] | None = None,
        clock: Callable[[], datetime] = utcnow,
        messages_per_minute: int = MESSAGES_PER_MINUTE,
        transactions_at_once: int = 1,
    ) -> None:
        self.sessions = sessions
        self.deployment = deployment
        self.tr = translator
        self.flows = flows
        self.actions = dict(actions or {})
        self.clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._recent: dict[str, deque[float]] = {}
        self.messages_per_minute = messages_per_minute
        # Messages of different people that arrive together share a transaction; SQLite has one
        # writer, so `transactions_at_once` is 1 there, and may be more on PostgreSQL.
        self._together: Batches[_Arrived, Turn] = Batches(
            self._handle_together, parallel=transactions_at_once
        )

    async def handle(self, incoming: Incoming) -> Turn:
        """Answer one message; messages of one person are handled one after the other."""
        lock = self._locks.get(incoming.user_key)
        if lock is None:
            lock = self._locks[incoming.user_key] = asyncio.Lock()
        async with lock:
            now = self.clock()
            flooding = self._flooding(incoming.user_key, now)
            return await self._together.submit(_Arrived(incoming, now, flooding))

    async def _handle_together(self, arrivals: Sequence[_Arrived]) -> list[Turn]:
        """Messages of different people in one transaction: one read of their states, one write.

        The messages are handled one after the other, each seeing what those before it changed;
        the per-person locks keep two messages of one person out of the same group. The replies
        are returned only after the transaction committed.
        """
        turns: list[Turn] = []
        states: list[DialogueState] = []
        async with self.sessions() as session, session.begin():
            loaded = await load_turns(session, [a.incoming.user_key for a in arrivals])
            for arrival in arrivals:
                user, conversation = loaded[arrival.incoming.user_key]
                ctx = self._context(session, arrival, user, conversation)
                turns.append(await self._dispatch(ctx, arrival.flooding))
                # Every message stores the state it leaves, so a restart or another worker
                # resumes it.
                ctx.conversation.updated_at = ctx.now
                states.append(ctx.conversation)
            await save_states(session, states)
        return turns

    def _context(
        self,
        session: AsyncSession,
        arrival: _Arrived,
        user: User | None,
        conversation: DialogueState,
    ) -> Ctx:
        if user is not None and user.unreachable_at is not None:
            user.unreachable_at = None  # they wrote to us, so they can be reached again
            session.add(user)
        return Ctx(
            incoming=arrival.incoming,
            session=session,
            deployment=self.deployment,
            tr=self.tr,
            conversation=conversation,
            user=user,
            now=arrival.at,
        )

    async def _dispatch(self, ctx: Ctx, flooding: bool) -> Turn:
        incoming = ctx.incoming
        text = clean_text(incoming.text or "")
        name = text[1:].split(" ", 1)[0].split("@", 1)[0].lower() if text.startswith("/") else ""
        if ctx.user is not None and ctx.user.blocked_at is not None and name not in RIGHTS:
            return Turn([Reply(self._blocked(ctx), ctx.language)], language=ctx.language)
        if flooding:
            return Turn(
                [
                    Reply(
                        _("You are sending very many messages. Please wait a minute."), ctx.language
                    )
                ],
                language=ctx.language,
            )
        if text.startswith("/"):
            return await self._command(ctx, text)
        if needs_consent(ctx) and ctx.conversation.flow != ONBOARDING_FLOW:
            return await self._apply(
                ctx,
                Goto(
                    "privacy",
                    ONBOARDING_FLOW,
                    notes=(_("Our privacy notice has changed. Please read it and agree again."),),
                ),
            )
        if incoming.payload is not None and incoming.payload.startswith(ACTION_PREFIX):
            name = incoming.payload.split(":", 2)[1]
            action = self.actions.get(name)
            if action is None:
                return await self._retry_or_start(
                    ctx, _("This button is no longer valid. Here is where we are now:")
                )
            return await self._action(ctx, action, incoming.payload)
        if not ctx.conversation.flow:
            return await self._fresh_start(ctx)
        step = self._step(ctx)
        if incoming.payload is not None:
            return await self._press(ctx, step, incoming.payload)
        if incoming.location is not None:
            if step.on_location is None:
                return await self._retry(ctx, _("Please answer with the buttons or in words."))
            loc = incoming.location
            located: Outcome = await resolve(step.on_location(ctx, loc.latitude, loc.longitude))
            return await self._apply(ctx, located)
        if text:
            return await self._typed(ctx, step, text)
        if incoming.attachment is not None:
            return await self._retry(
                ctx, _("I can only read text messages and button presses here.")
            )
        return await self._retry(ctx, _("Please answer with the buttons or in words."))

    async def _fresh_start(self, ctx: Ctx) -> Turn:
        if ctx.user is not None:
            return await self._apply(ctx, Goto(MENU_STEP, MENU_FLOW))
        return await self._apply(ctx, Goto(self.flows[ONBOARDING_FLOW].start, ONBOARDING_FLOW))

    async def _command(self, ctx: Ctx, text: str) -> Turn:
        name, _sep, argument = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        if name == commands.START:
            ctx.conversation.stack = []
            if ctx.user is not None:
                return await self._apply(
                    ctx, Goto(MENU_STEP, MENU_FLOW, notes=(_("Welcome back!"),))
                )
            start = self.flows[ONBOARDING_FLOW].start
            code = argument.strip()[:64]
            return await self._apply(
                ctx, Goto(start, ONBOARDING_FLOW, data={"start_code": code} if code else {})
            )
        if name == commands.MENU:
            if ctx.user is None:
                return await self._retry_or_start(
                    ctx, _("The menu opens once you have finished the first steps.")
                )
            ctx.conversation.stack = []
            return await self._apply(ctx, Goto(MENU_STEP, MENU_FLOW))
        if name == commands.HELP:
            return await self._retry_or_start(ctx, commands.help_text(ctx))
        if name == commands.LANGUAGE:
            if not ctx.conversation.flow:
                await self._fresh_start(ctx)
            return await self._apply(ctx, Call("language"))
        if name == commands.CANCEL:
            return await self._cancel(ctx)
        if name == commands.MYDATA:
            return await self._my_data(ctx)
        if name == commands.DELETE:
            if ctx.user is None:
                return await self._apply(ctx, End(notes=(_("We store nothing about you."),)))
            return await self._apply(ctx, Call("privacy"))
        return await self._retry_or_start(
            ctx,
            _("I do not know the command /{command}.", command=name[:32]),
            commands.help_text(ctx),
        )

    def _blocked(self, ctx: Ctx) -> Text:
        return _(
            "Your access to the volunteer exchange has been blocked. Please contact us: {contact}",
            contact=ctx.deployment.agency.contact,
        )

    def _flooding(self, key: str, at: datetime) -> bool:
        """More than `messages_per_minute` messages from one person within a minute."""
        now = at.timestamp()
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] < now - 60:
            recent.popleft()
        recent.append(now)
        if len(self._recent) > 50_000:  # forget people who went quiet
            for key in [
                k for k, times in self._recent.items() if not times or times[-1] < now - 60
            ]:
                del self._recent[key]
        return len(recent) > self.messages_per_minute

    async def _my_data(self, ctx: Ctx) -> Turn:
        """Send everything stored about the person as a file, then the open question again."""
        file = await privacy.my_data(ctx)
        sent = Reply(_("📄 Everything we store about you."), ctx.language, file=file)
        if not ctx.conversation.flow:
            if ctx.user is None:
                return Turn([sent], language=ctx.language)
            follow = await self._fresh_start(ctx)
        else:
            follow = await self._ask(ctx, ())
        return Turn([sent, *follow.replies], language=ctx.language)

    async def _retry_or_start(self, ctx: Ctx, *notes: Text) -> Turn:
        if not ctx.conversation.flow:
            turn = await self._fresh_start(ctx)
            return Turn(
                replies=[_with_notes(r, notes) for r in turn.replies[:1]] + turn.replies[1:]
            )
        return await self._ask(ctx, notes)

    async def _cancel(self, ctx: Ctx) -> Turn:
        ctx.conversation.stack = []
        if ctx.user is None:
            return await self._apply(
                ctx,
                End(
                    notes=(
                        _(
                            "Stopped. Nothing has been stored about you. Send /start to begin again."
                        ),
                    )
                ),
            )
        return await self._apply(ctx, Goto(MENU_STEP, MENU_FLOW, notes=(_("Cancelled."),)))

    def _step(self, ctx: Ctx) -> Step:
        return self.flows[ctx.conversation.flow].steps[ctx.conversation.step]

    async def _action(self, ctx: Ctx, action: Action, payload: str) -> Turn:
        """A button of a pushed message: the action checks who may press it, then the open
        question (or the menu) follows its answer."""
        outcome = await action(ctx, payload)
        if not ctx.conversation.flow:
            if isinstance(outcome, Retry):
                return await self._retry_or_start(ctx, outcome.error)
            await self._fresh_start(ctx)
        return await self._apply(ctx, outcome)

    async def _press(
        self, ctx: Ctx, step: Step, payload: str, shown: list[Button] | None = None
    ) -> Turn:
        """A button of the open question; `shown` are its buttons if they were built already."""
        if payload not in ctx.conversation.options:
            log.info(
                "refused a button that is not on offer in %s.%s",
                ctx.conversation.flow,
                ctx.conversation.step,
            )
            return await self._retry(
                ctx, _("This button is no longer valid. Here is where we are now:")
            )
        if shown is None:
            shown = await self._buttons(ctx)
        chosen = next((b.label for b in shown if b.payload == payload), None)
        if payload == BACK:
            target = self._back_target(ctx, step) or ctx.conversation.step
            ctx.data.pop(EDITING, None)
            outcome: Outcome = Goto(target)
        elif payload == CANCEL:
            turn = await self._cancel(ctx)
            return Turn(turn.replies, chosen, turn.language)
        elif step.on_choice is None:
            outcome = Retry(_("Please answer in words."))
        else:
            outcome = await resolve(step.on_choice(ctx, payload))
        where = (ctx.conversation.flow, ctx.conversation.step)
        turn = await self._apply(ctx, outcome)
        same_question = (
            isinstance(outcome, Goto)
            and not outcome.notes
            and (outcome.flow or where[0], outcome.step) == where
        )
        if same_question:  # a ✓ toggled: the question is shown again with updated buttons
            return Turn(turn.replies, None, turn.language, replace=True)
        return Turn(turn.replies, chosen, turn.language)

    async def _typed(self, ctx: Ctx, step: Step, text: str) -> Turn:
        if len(text) > MAX_TEXT_LENGTH:
            return await self._retry(
                ctx,
                _(
                    "That message is too long. Please write at most {limit} characters.",
                    limit=MAX_TEXT_LENGTH,
                ),
            )
        shown = await self._buttons(ctx)
        payload = self._payload_for_label(ctx, shown, text)
        if payload is not None:
            return await self._press(ctx, step, payload, shown)
        if step.on_text is None:
            return await self._retry(ctx, _("Please choose one of the buttons below."))
        return await self._apply(ctx, await resolve(step.on_text(ctx, text)))

    async def _buttons(self, ctx: Ctx) -> list[Button]:
        prompt = await self._prompt(ctx)
        return [button for row in prompt.choices for button in row]

    def _payload_for_label(self, ctx: Ctx, shown: list[Button], text: str) -> str | None:
        """Accept a typed answer when it names exactly one of the buttons on offer."""
        wanted = _normalise(text)
        matches = [
            b.payload
            for b in shown
            if b.payload in ctx.conversation.options
            and _normalise(self.tr.render(b.label, ctx.language)) == wanted
        ]
        return matches[0] if len(matches) == 1 else None

    def _back_target(self, ctx: Ctx, step: Step) -> str | None:
        steps = self.flows[ctx.conversation.flow].steps
        if ctx.data.get(EDITING) and SUMMARY in steps:
            return SUMMARY
        target = step.back
        while target is not None:
            candidate = steps[target]
            if candidate.skip is None or not candidate.skip(ctx):
                return target
            target = candidate.back
        return None

    async def _apply(self, ctx: Ctx, outcome: Outcome) -> Turn:
        conversation = ctx.conversation
        match outcome:
            case Retry(error=error):
                return await self._ask(ctx, (error,))
            case Goto(step=step, flow=flow, notes=notes, data=data):
                if flow is not None and flow != conversation.flow:
                    conversation.flow = flow
                    conversation.data = dict(data or {})
                elif data is not None:
                    conversation.data = dict(data)
                conversation.step = step
                return await self._enter(ctx, notes)
            case Call(flow=flow, step=step):
                caller: dict[str, Any] = {
                    "flow": conversation.flow,
                    "step": conversation.step,
                    "data": conversation.data,
                }
                conversation.stack = [*conversation.stack, caller]
                conversation.flow, conversation.step = flow, step or self.flows[flow].start
                conversation.data = {}
                return await self._enter(ctx, ())
            case Return(notes=notes):
                if not conversation.stack:
                    return await self._apply(
                        ctx, Goto(MENU_STEP, MENU_FLOW, notes=notes) if ctx.user else End(notes)
                    )
                *rest, frame = conversation.stack
                conversation.stack = rest
                conversation.flow, conversation.step = frame["flow"], frame["step"]
                conversation.data = dict(frame["data"])
                return await self._enter(ctx, notes)
            case End(notes=notes):
                conversation.flow = conversation.step = ""
                conversation.options = []
                text = paragraphs(*notes) if notes else _("Goodbye!")
                return Turn(
                    replies=[Reply(text=text, language=ctx.language)], language=ctx.language
                )
        raise AssertionError(f"unknown outcome {outcome!r}")

    async def _enter(self, ctx: Ctx, notes: tuple[Text, ...]) -> Turn:
        """Ask the current step, skipping forward over steps that do not apply."""
        step = self._step(ctx)
        if step.skip is not None and step.skip(ctx):
            raise AssertionError(
                f"step {ctx.conversation.step} is skipped; its predecessor must route past it"
            )
        return await self._ask(ctx, notes)

    async def _ask(self, ctx: Ctx, notes: tuple[Text, ...] | list[Text]) -> Turn:
        prompt = await self._prompt(ctx)
        ctx.conversation.options = [b.payload for row in prompt.choices for b in row]
        text = paragraphs(*notes, prompt.text) if notes else prompt.text
        reply = Reply(
            text=text,
            language=ctx.language,
            buttons=prompt.choices,
            request_location=prompt.request_location,
        )
        return Turn(replies=[reply], language=ctx.language)

    async def _prompt(self, ctx: Ctx) -> Prompt:
        """The current step's question with Back and Cancel added."""
        step = self._step(ctx)
        prompt: Prompt = await resolve(step.ask(ctx))
        nav: list[Button] = []
        if self._back_target(ctx, step) is not None:
            nav.append(Button(BACK, _("« Back")))
        if step.cancel:
            nav.append(Button(CANCEL, _("✖ Cancel")))
        if not nav:
            return prompt
        return Prompt(prompt.text, (*prompt.choices, tuple(nav)), prompt.request_location)

    async def _retry(self, ctx: Ctx, error: Text) -> Turn:
        return await self._apply(ctx, Retry(error))


def _with_notes(reply: Reply, notes: tuple[Text, ...]) -> Reply:
    return Reply(
        text=paragraphs(*notes, reply.text),
        language=reply.language,
        buttons=reply.buttons,
        file=reply.file,
        request_location=reply.request_location,
    )


def _normalise(text: str) -> str:
    return " ".join("".join(ch for ch in text.casefold() if ch.isalnum() or ch.isspace()).split())


def clean_text(text: str) -> str:
    """What we keep of typed text: normalised, without control and invisible formatting characters.

    Zero-width characters and bidirectional overrides can disguise a name or reorder a sentence,
    and control characters have no place in a message; line breaks stay.
    """
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        ch
        if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        else " "
        if ch == "\t"
        else ""
        for ch in text
    )
    return "\n".join(" ".join(line.split()) for line in kept.strip().splitlines()).strip()
