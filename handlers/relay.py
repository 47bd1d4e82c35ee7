"""Writing through the bot: the open conversations of a person, and writing in one of them.

A conversation is opened from the menu or from the "✉️ Message to …" button on a card; what the
person then types, and every photo or voice message, goes to the other side (through the outbox)
until they go back. Nobody sees the other's phone number or Telegram name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from engine.i18n import DateText, Raw, Text, Written, _, lines, paragraphs
from engine.steps import Call, Ctx, Flow, Goto, Outcome, Prompt, Retry, Return, Step
from engine.types import Button
from engine.widgets import PICK
from exchange import relays
from exchange.relays import Side
from handlers import donations
from handlers.targets import RELAY, RELAY_WRITE
from storage.models import RelayMessage
from vocabulary.cards import kind_of, partner, when_of

DONE = "relay:done"


def closed(ctx: Ctx) -> Text:
    return _(
        "This conversation has closed. If you need anything, please contact us: {contact}",
        contact=Raw(ctx.deployment.agency.contact),
    )


def open_conversation(ctx: Ctx, relay_id: int) -> Outcome:
    """Write in a conversation, and come back here afterwards (or stay, if already writing)."""
    if ctx.conversation.flow == RELAY:
        return Goto(RELAY_WRITE, data={"relay": relay_id})
    return Call(RELAY_WRITE, data={"relay": relay_id})


async def _side(ctx: Ctx) -> Side | None:
    relay_id = ctx.data.get("relay")
    if ctx.user is None or ctx.user.id is None or not isinstance(relay_id, int):
        return None
    side = await relays.side_of(ctx.session, relay_id, ctx.user.id)
    return side if side is not None and relays.can_write(side, ctx.now) else None


def subject(ctx: Ctx, side: Side) -> Text:
    """What a conversation is about, in a few words."""
    if side.request is not None:
        return _(
            "{kind}, {when}",
            kind=kind_of(ctx.deployment, side.request),
            when=when_of(side.request),
        )
    if side.donation is not None:
        return donations.category_label(side.donation.category)
    assert side.opportunity is not None
    return Raw(side.opportunity.title)


# --- the list of conversations ---------------------------------------------------------------


async def _ask_list(ctx: Ctx) -> Prompt:
    assert ctx.user is not None and ctx.user.id is not None
    sides = await relays.open_sides(ctx.session, ctx.user.id, ctx.now)
    buttons = [
        (
            Button(
                f"{PICK}{side.relay_id}",
                _("💬 {name}: {about}", name=partner(side), about=subject(ctx, side)),
            ),
        )
        for side in sides
    ]
    if not buttons:
        return Prompt(_("You have no open conversations."), ((Button(DONE, _("↩️ Back")),),))
    question = _(
        "💬 Your conversations. Choose one to read and write. We pass on your messages; "
        "nobody sees your phone number."
    )
    return Prompt(question, (*buttons, (Button(DONE, _("↩️ Back")),)))


def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == DONE:
        return Return()
    relay_id = payload.removeprefix(PICK)
    return Goto("write", data={"relay": int(relay_id)}) if relay_id.isdigit() else Return()


# --- writing ---------------------------------------------------------------------------------


def _shown(ctx: Ctx, message: RelayMessage, side: Side) -> Text:
    mine = ctx.user is not None and message.sender_id == ctx.user.id
    who: Text = _("You") if mine else partner(side)
    if message.photo:
        said: Text = _("📷 a photo")
    elif message.voice:
        said = _("🎤 a voice message")
    else:
        said = Written(message.text or "", message.language)
    return _(
        "{who} ({day}): {said}",
        who=who,
        day=DateText(message.created_at.date(), short=True),
        said=said,
    )


async def _ask_write(ctx: Ctx) -> Prompt:
    side = await _side(ctx)
    back = ((Button(DONE, _("↩️ Back")),),)
    if side is None:
        return Prompt(closed(ctx), back)
    earlier = await relays.history(ctx.session, side.relay_id)
    head = _(
        "💬 Conversation with {name} ({about}).",
        name=partner(side),
        about=subject(ctx, side),
    )
    parts: list[Text] = [head]
    if earlier:
        parts.append(lines(*(_shown(ctx, message, side) for message in earlier)))
    parts.append(
        _(
            "Write your message, or send a photo or a voice message. We pass it on to {name}.",
            name=partner(side),
        )
    )
    return Prompt(paragraphs(*parts), back)


async def _ask_sent(ctx: Ctx) -> Prompt:
    side = await _side(ctx)
    back = ((Button(DONE, _("↩️ Back")),),)
    if side is None:
        return Prompt(closed(ctx), back)
    return Prompt(
        _("✓ Sent to {name}. You can write more, or go back.", name=partner(side)),
        back,
    )


async def _send(
    ctx: Ctx, *, text: str | None = None, photo: str | None = None, voice: str | None = None
) -> Outcome:
    side = await _side(ctx)
    if side is None or ctx.user is None:
        return Retry(closed(ctx))
    await relays.send(ctx.session, side, ctx.user, text=text, photo=photo, voice=voice, now=ctx.now)
    ctx.about.add(side.partner_id)
    return Goto("sent")


async def _typed(ctx: Ctx, text: str) -> Outcome:
    if len(text) > relays.TEXT_LIMIT:
        return Retry(
            _(
                "That is {length} characters; please write at most {limit}.",
                length=len(text),
                limit=relays.TEXT_LIMIT,
            )
        )
    return await _send(ctx, text=text.strip())


async def _photo(ctx: Ctx, photo: str) -> Outcome:
    return await _send(ctx, photo=photo)


async def _voice(ctx: Ctx, voice: str) -> Outcome:
    return await _send(ctx, voice=voice)


def _back(ctx: Ctx, payload: str) -> Outcome:
    return Return()


def _writing(ask: Callable[[Ctx], Awaitable[Prompt]]) -> Step:
    """A step where whatever the person sends goes to the other side."""
    return Step(
        ask=ask,
        on_choice=_back,
        on_text=_typed,
        on_photo=_photo,
        on_voice=_voice,
        next=("sent",),
        cancel=False,
    )


FLOW = Flow(
    RELAY,
    start="list",
    steps={
        "list": Step(ask=_ask_list, on_choice=_list_chosen, next=("write",), cancel=False),
        "write": _writing(_ask_write),
        "sent": _writing(_ask_sent),
    },
)
