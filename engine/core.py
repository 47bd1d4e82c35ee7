"""The dialogue engine: one incoming message and the stored conversation in, replies out.

It knows no chat platform. It loads the person's conversation, handles global commands, checks
button presses against the buttons it showed last, runs the current step, asks the next question
and stores the new state in the same transaction, so a restart resumes exactly where it stopped.
A channel that renders the replies (`Render`) gets them stored in that transaction too, in the
reply outbox, so that what a step answered is as durable as the step; and an update the platform
delivers again is recognised by its key and handled once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from engine import commands
from engine.batching import Batches
from engine.flood import MESSAGES_PER_MINUTE, Flood, FloodGate
from engine.i18n import Text, Translator, _, paragraphs
from engine.navigation import BACK, CANCEL, Navigator
from engine.steps import (
    ACTION_PREFIX,
    EDITING,
    Action,
    Call,
    Ctx,
    Dialogues,
    End,
    Goto,
    Outcome,
    Retry,
    Say,
    Step,
    resolve,
)
from engine.typed import clean_text, normalise
from engine.types import Button, Incoming, Render, Reply, Turn
from exchange import people
from storage import replies, updates
from storage.conversations import DialogueState, load_turns, save_states
from storage.models import User
from town.deployment import Deployment

log = logging.getLogger(__name__)

# What a blocked person can still do: their rights to see and erase their data.
RIGHTS = (commands.PRIVACY, commands.MYDATA, commands.DELETE)

MAX_TEXT_LENGTH = 4000

# How long the process that handled a step holds its replies before another may send them.
REPLY_LEASE = timedelta(seconds=20)


@dataclass(frozen=True, slots=True)
class _Arrived:
    """A message as it arrived: when, and whether it was one too many (counted once, on arrival,
    even if its group is handled again)."""

    incoming: Incoming
    at: datetime
    flooding: Flood | None
    render: Render | None


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
        dialogues: Dialogues,
        clock: Callable[[], datetime] = utcnow,
        messages_per_minute: int = MESSAGES_PER_MINUTE,
        transactions_at_once: int = 1,
        reply_lease: timedelta = REPLY_LEASE,
    ) -> None:
        self.sessions = sessions
        self.deployment = deployment
        self.tr = translator
        self.dialogues = dialogues
        self.flows = dialogues.flows
        self.actions: Mapping[str, Action] = dialogues.actions
        self.entrances = dialogues.entrances
        self.nav = Navigator(dialogues)
        self.clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.flood = FloodGate(messages_per_minute)
        # Who claims the replies this process stores, and for how long.
        self.worker = uuid.uuid4().hex[:12]
        self.reply_lease = reply_lease
        # How a start code becomes a link; a channel that knows its own address sets it.
        self.start_link: Callable[[str], str] = lambda code: f"/start {code}"
        # Messages of different people that arrive together share a transaction; SQLite has one
        # writer, so `transactions_at_once` is 1 there, and may be more on PostgreSQL.
        self._together: Batches[_Arrived, Turn] = Batches(
            self._handle_together, parallel=transactions_at_once
        )

    async def handle(self, incoming: Incoming, render: Render | None = None) -> Turn:
        """Answer one message; messages of one person are handled one after the other.

        With `render`, the rendered replies are stored with the step and returned, claimed by
        this process, in `Turn.queued`. A message whose `update_key` was handled before gets an
        empty turn and changes nothing.
        """
        lock = self._locks.get(incoming.user_key)
        if lock is None:
            lock = self._locks[incoming.user_key] = asyncio.Lock()
        async with lock:
            now = self.clock()
            flooding = self.flood.check(incoming.user_key, now)
            return await self._together.submit(_Arrived(incoming, now, flooding, render))

    async def _handle_together(self, arrivals: Sequence[_Arrived]) -> list[Turn]:
        """Messages of different people in one transaction: one read of their states, one write.

        The messages are handled one after the other, each seeing what those before it changed;
        the per-person locks keep two messages of one person out of the same group. The replies
        are returned only after the transaction committed.
        """
        turns: list[Turn] = []
        states: list[DialogueState] = []
        rendered: list[tuple[int, str, list[replies.Outgoing]]] = []
        now = self.clock()
        async with self.sessions() as session, session.begin():
            keys = [a.incoming.update_key for a in arrivals if a.incoming.update_key is not None]
            first_time = await updates.first_seen(session, keys, now)
            fresh = [
                a.incoming.update_key is None or a.incoming.update_key in first_time
                for a in arrivals
            ]
            loaded = await load_turns(
                session,
                [a.incoming.user_key for a, new in zip(arrivals, fresh, strict=True) if new],
            )
            for arrival, new in zip(arrivals, fresh, strict=True):
                if not new:  # delivered again: handled already, its replies are stored
                    turns.append(Turn())
                    continue
                user, conversation = loaded[arrival.incoming.user_key]
                ctx = self._context(session, arrival, user, conversation)
                turn = await self._dispatch(ctx, arrival.flooding)
                if ctx.about:
                    about = tuple(sorted(ctx.about))
                    turn = replace(turn, replies=[replace(r, about=about) for r in turn.replies])
                turns.append(turn)
                if arrival.render is not None:
                    rendered.append((len(turns) - 1, ctx.conversation.key, arrival.render(turn)))
                # Every message stores the state it leaves, so a restart or another worker
                # resumes it.
                ctx.conversation.updated_at = ctx.now
                states.append(ctx.conversation)
            await save_states(session, states)
            queued = await replies.queue(
                session,
                [(key, items) for _index, key, items in rendered],
                worker=self.worker,
                now=now,
                lease=self.reply_lease,
            )
        for (index, _key, _items), pending in zip(rendered, queued, strict=True):
            turns[index] = replace(turns[index], queued=tuple(pending))
        return turns

    def _context(
        self,
        session: AsyncSession,
        arrival: _Arrived,
        user: User | None,
        conversation: DialogueState,
    ) -> Ctx:
        if user is not None:
            people.wrote_to_us(session, user)
        return Ctx(
            incoming=arrival.incoming,
            session=session,
            deployment=self.deployment,
            tr=self.tr,
            conversation=conversation,
            user=user,
            now=arrival.at,
            start_link=self.start_link,
        )

    async def _dispatch(self, ctx: Ctx, flooding: Flood | None) -> Turn:
        incoming = ctx.incoming
        text = clean_text(incoming.text or "")
        name = text[1:].split(" ", 1)[0].split("@", 1)[0].lower() if text.startswith("/") else ""
        # A blocked person keeps their rights: the commands, and the erasure they asked for.
        erasing = not name and ctx.conversation.flow == self.entrances.erase.flow
        if people.is_blocked(ctx.user) and name not in RIGHTS and not erasing:
            return Turn([Reply(self._blocked(ctx), ctx.language)], language=ctx.language)
        if flooding is Flood.SILENT:
            return Turn([], language=ctx.language)
        if flooding is Flood.WARN:
            wait = _("You are sending very many messages. Please wait a minute.")
            return Turn([Reply(wait, ctx.language)], language=ctx.language)
        if text.startswith("/"):
            return await self._command(ctx, text)
        consent = self.entrances.consent
        version = ctx.deployment.agency.privacy_version
        if people.needs_consent(ctx.user, version) and ctx.conversation.flow != consent.flow:
            return await self.nav.apply(
                ctx,
                Goto(
                    consent,
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
        step = self.nav.step(ctx)
        if incoming.payload is not None:
            return await self._press(ctx, step, incoming.payload)
        if incoming.location is not None:
            if step.on_location is None:
                return await self._retry(ctx, _("Please answer with the buttons or in words."))
            loc = incoming.location
            located: Outcome = await resolve(step.on_location(ctx, loc.latitude, loc.longitude))
            return await self.nav.apply(ctx, self.nav.declared(ctx, located))
        if text:
            return await self._typed(ctx, step, text)
        if incoming.voice is not None and step.on_voice is not None:
            spoken: Outcome = await resolve(step.on_voice(ctx, incoming.voice))
            return await self.nav.apply(ctx, self.nav.declared(ctx, spoken))
        if incoming.photo is not None and step.on_photo is not None:
            shown: Outcome = await resolve(step.on_photo(ctx, incoming.photo))
            return await self.nav.apply(ctx, self.nav.declared(ctx, shown))
        if incoming.document is not None and step.on_document is not None:
            filed: Outcome = await resolve(step.on_document(ctx, incoming.document))
            return await self.nav.apply(ctx, self.nav.declared(ctx, filed))
        if (
            incoming.attachment is not None
            or incoming.voice is not None
            or incoming.photo is not None
            or incoming.document is not None
        ):
            return await self._retry(
                ctx, _("I can only read text messages and button presses here.")
            )
        return await self._retry(ctx, _("Please answer with the buttons or in words."))

    async def _fresh_start(self, ctx: Ctx) -> Turn:
        if ctx.user is not None:
            return await self.nav.apply(ctx, Goto(self.entrances.home))
        return await self.nav.apply(ctx, self._welcome(ctx))

    def _welcome(self, ctx: Ctx) -> Outcome:
        """A newcomer's first question: where the dialogues say, else the welcome."""
        if self.entrances.greeting is not None:
            return self.entrances.greeting(ctx)
        return Goto(self.entrances.welcome)

    async def _command(self, ctx: Ctx, text: str) -> Turn:
        name, _sep, argument = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        if name == commands.START:
            ctx.conversation.stack = []
            code = argument.strip()[:64]
            if code and self.entrances.start_link is not None:
                return await self.nav.apply(
                    ctx, await resolve(self.entrances.start_link(ctx, code))
                )
            if ctx.user is not None:
                return await self.nav.apply(
                    ctx, Goto(self.entrances.home, notes=(_("Welcome back!"),))
                )
            return await self.nav.apply(ctx, self._welcome(ctx))
        if name == commands.MENU:
            if ctx.user is None:
                return await self._retry_or_start(
                    ctx, _("The menu opens once you have finished the first steps.")
                )
            ctx.conversation.stack = []
            return await self.nav.apply(ctx, Goto(self.entrances.home))
        if name == commands.HELP:
            return await self._retry_or_start(ctx, commands.help_text(ctx))
        if name == commands.LANGUAGE:
            if not ctx.conversation.flow:
                await self._fresh_start(ctx)
            return await self.nav.apply(ctx, Call(self.entrances.language))
        if name == commands.CANCEL:
            return await self._cancel(ctx)
        if name == commands.PRIVACY:
            return await self._retry_or_start(ctx, commands.privacy_notice(ctx))
        if name == commands.MYDATA:
            return await self._my_data(ctx)
        if name == commands.DELETE:
            if ctx.user is None:
                return await self.nav.apply(ctx, End(notes=(_("We store nothing about you."),)))
            return await self.nav.apply(ctx, Call(self.entrances.erase))
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

    async def _my_data(self, ctx: Ctx) -> Turn:
        """Send everything stored about the person as a file, then the open question again."""
        file = await commands.my_data_file(ctx)
        sent = Reply(_("📄 Everything we store about you."), ctx.language, file=file)
        if not ctx.conversation.flow:
            if ctx.user is None:
                return Turn([sent], language=ctx.language)
            follow = await self._fresh_start(ctx)
        else:
            follow = await self.nav.ask(ctx, ())
        return Turn([sent, *follow.replies], language=ctx.language)

    async def _retry_or_start(self, ctx: Ctx, *notes: Text) -> Turn:
        if not ctx.conversation.flow:
            turn = await self._fresh_start(ctx)
            return Turn(
                replies=[_with_notes(r, notes) for r in turn.replies[:1]] + turn.replies[1:]
            )
        return await self.nav.ask(ctx, notes)

    async def _cancel(self, ctx: Ctx) -> Turn:
        ctx.conversation.stack = []
        if ctx.user is None:
            return await self.nav.apply(
                ctx,
                End(
                    notes=(
                        _(
                            "Stopped. Nothing has been stored about you. Send /start to begin again."
                        ),
                    )
                ),
            )
        return await self.nav.apply(ctx, Goto(self.entrances.home, notes=(_("Cancelled."),)))

    async def _action(self, ctx: Ctx, action: Action, payload: str) -> Turn:
        """A button of a pushed message: the action checks who may press it, then the open
        question (or the menu) follows its answer."""
        outcome = await action(ctx, payload)
        if not ctx.conversation.flow:
            if isinstance(outcome, Retry) or (
                isinstance(outcome, Say) and not outcome.buttons and outcome.file is None
            ):
                said = outcome.error if isinstance(outcome, Retry) else outcome.text
                return await self._retry_or_start(ctx, said)
            await self._fresh_start(ctx)
        return await self.nav.apply(ctx, outcome)

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
            shown = await self.nav.buttons(ctx)
        chosen = next((b.label for b in shown if b.payload == payload), None)
        if payload == BACK:
            back = self.nav.back_target(ctx, step) or ctx.conversation.step
            ctx.data.pop(EDITING, None)
            outcome: Outcome = Goto(back)
        elif payload == CANCEL:
            turn = await self._cancel(ctx)
            return Turn(turn.replies, chosen, turn.language)
        elif step.on_choice is None:
            outcome = Retry(_("Please answer in words."))
        else:
            outcome = self.nav.declared(ctx, await resolve(step.on_choice(ctx, payload)))
        where = ctx.conversation.step
        turn = await self.nav.apply(ctx, outcome)
        same_question = isinstance(outcome, Goto) and not outcome.notes and outcome.to == where
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
        shown = await self.nav.buttons(ctx)
        payload = self._payload_for_label(ctx, shown, text)
        if payload is not None:
            return await self._press(ctx, step, payload, shown)
        if step.on_text is None:
            return await self._retry(ctx, _("Please choose one of the buttons below."))
        return await self.nav.apply(
            ctx, self.nav.declared(ctx, await resolve(step.on_text(ctx, text)))
        )

    def _payload_for_label(self, ctx: Ctx, shown: list[Button], text: str) -> str | None:
        """Accept a typed answer when it names exactly one of the buttons on offer."""
        wanted = normalise(text)
        matches = [
            b.payload
            for b in shown
            if b.payload in ctx.conversation.options
            and normalise(self.tr.render(b.label, ctx.language)) == wanted
        ]
        return matches[0] if len(matches) == 1 else None

    async def _retry(self, ctx: Ctx, error: Text) -> Turn:
        return await self.nav.apply(ctx, Retry(error))


def _with_notes(reply: Reply, notes: tuple[Text, ...]) -> Reply:
    return Reply(
        text=paragraphs(*notes, reply.text),
        language=reply.language,
        buttons=reply.buttons,
        file=reply.file,
        request_location=reply.request_location,
    )
