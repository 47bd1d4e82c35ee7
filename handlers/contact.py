"""A door for those who do not press buttons: typed text and voice messages reach a person.

At the seeker's main menu (and in a request's description) a typed message that names a kind of
help starts a request prefilled with what was understood; anything else, and every voice message,
goes into the agency's queue as "call back". The asker is told truthfully who calls back and when
(the main office's hours), and may leave a phone number. The voice message is kept as the platform
stored it and forwarded to the coordinator; nothing is transcribed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from engine.i18n import Raw, Text, _, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from engine.typed import PHONE_PATTERN, normalise
from engine.types import Button
from engine.when import parse_date, today
from exchange import cases, staff
from handlers.targets import (
    CALL_BACK_PHONE,
    CONTACT,
    MAIN_MENU,
    NEW_REQUEST_NAME,
    REQUEST_AGAIN,
    REQUEST_TIME,
)
from storage.models import Case, CaseKind, Role
from vocabulary.offices import call_back_promise, where_to_go

WRITE_HERE = "contact:here"
NOTE_LIMIT = 1000

# Words for the next days, in the languages most askers write in.
_DAYS_AHEAD: dict[str, int] = {
    "heute": 0,
    "today": 0,
    "übermorgen": 2,
    "uebermorgen": 2,
    "morgen": 1,
    "tomorrow": 1,
    "dziś": 0,
    "jutro": 1,
    "сегодня": 0,
    "завтра": 1,
    "сьогодні": 0,
    "bugün": 0,
    "yarın": 1,
    "azi": 0,
    "mâine": 1,
}
_WORD = re.compile(r"[\w.]+", re.UNICODE)


def recognise(ctx: Ctx, text: str) -> tuple[str | None, date | None]:
    """The kind of help (when exactly one is named) and the day a typed message names."""
    words = _WORD.findall(normalise(text))
    named = {
        kind.id
        for kind in ctx.deployment.categories
        for word in words
        if any(word.startswith(normalise(key)) for key in kind.keywords)
    }
    day: date | None = None
    for word in words:
        if word in _DAYS_AHEAD:
            day = today(ctx) + timedelta(days=_DAYS_AHEAD[word])
            break
        parsed = parse_date(word, today(ctx)) if any(c.isdigit() for c in word) else None
        if parsed is not None:
            day = parsed
            break
    return (named.pop() if len(named) == 1 else None), day


def understood(ctx: Ctx, text: str) -> Goto | None:
    """A request prefilled with the kind of help and the day the message names; None if it
    names no kind of help."""
    kind, day = recognise(ctx, text)
    if kind is None:
        return None
    for_other = ctx.user is not None and ctx.user.role == Role.RELATIVE
    data: dict[str, object] = {
        "for_other": for_other,
        "category": kind,
        "description": text[:500],
        "prefilled": True,
    }
    if day is not None and 0 <= (day - today(ctx)).days <= 365:
        data["day"] = day.isoformat()
    if for_other:
        return Goto(NEW_REQUEST_NAME, data=data)
    return Goto(REQUEST_TIME if "day" in data else REQUEST_AGAIN, data=data)


async def from_words(ctx: Ctx, text: str) -> Goto:
    """Words instead of a button from someone asking for help: a request prefilled with what
    they name, or a person of the agency calls back."""
    prefilled = understood(ctx, text)
    if prefilled is not None:
        return Goto(
            prefilled.to,
            notes=(_("I understood this much. Please answer the rest."),),
            data=prefilled.data,
        )
    return await call_back(ctx, note=text[:NOTE_LIMIT])


async def call_back(
    ctx: Ctx,
    *,
    note: str | None = None,
    voice: str | None = None,
    kind: CaseKind = CaseKind.CALLBACK,
) -> Goto:
    """Put the message into the agency's queue and tell the person who answers, and when."""
    assert ctx.user is not None
    case = await cases.open_case(
        ctx.session,
        ctx.deployment,
        kind=kind,
        person=ctx.user,
        municipality=ctx.municipality.id,
        note=note,
        voice=voice,
        now=ctx.now,
    )
    return Goto(CALL_BACK_PHONE, data={"case": case.id})


async def _staffed(ctx: Ctx) -> bool:
    return bool(await staff.coordinators_of(ctx.session, ctx.deployment, ctx.municipality.id))


async def _ask_phone(ctx: Ctx) -> Prompt:
    if await _staffed(ctx):
        promise: Text = call_back_promise(ctx.deployment, ctx.now)
    else:
        promise = paragraphs(
            _("Nobody of the agency reads this chat yet. Please call or visit us:"),
            where_to_go(ctx.deployment),
        )
    return Prompt(
        paragraphs(
            _("📨 Thank you. We have your message."),
            promise,
            _("Please type your phone number, so we can call you. Or choose: write to me here."),
        ),
        ((Button(WRITE_HERE, _("✉️ Write to me here")),),),
    )


async def _case(ctx: Ctx) -> Case | None:
    case_id = ctx.data.get("case")
    case = await ctx.session.get(Case, case_id) if isinstance(case_id, int) else None
    if case is None or ctx.user is None or case.person_id != ctx.user.id:
        return None
    return case


async def _phone_typed(ctx: Ctx, text: str) -> Outcome:
    if not PHONE_PATTERN.match(text.strip()):
        return Retry(
            _(
                "That does not look like a phone number. Please type digits, for example 06721 12345."
            )
        )
    case = await _case(ctx)
    if case is None or ctx.user is None:
        return Goto(MAIN_MENU)
    await cases.set_phone(ctx.session, case, ctx.user, text.strip())
    return Goto(
        MAIN_MENU, notes=(_("📞 Thank you. We will call you at {phone}.", phone=Raw(text.strip())),)
    )


def _write_here(ctx: Ctx, payload: str) -> Outcome:
    return Goto(MAIN_MENU, notes=(_("All right. We will write to you here."),))


async def _written(ctx: Ctx, text: str) -> Outcome:
    if len(text) > NOTE_LIMIT:
        return Retry(
            _(
                "That is {length} characters; please write at most {limit}.",
                length=len(text),
                limit=NOTE_LIMIT,
            )
        )
    return await call_back(ctx, note=text)


async def _spoken(ctx: Ctx, voice: str) -> Outcome:
    return await call_back(ctx, voice=voice)


FLOW = Flow(
    CONTACT,
    start="write",
    steps={
        "write": Step(
            ask=lambda ctx: Prompt(
                _(
                    "Please write your answer, or send a voice message. A person of the agency reads it."
                )
            ),
            on_text=_written,
            on_voice=_spoken,
            next=("phone",),
        ),
        "phone": Step(
            ask=_ask_phone,
            on_text=_phone_typed,
            on_choice=_write_here,
            next=(MAIN_MENU,),
            cancel=False,
        ),
    },
)
