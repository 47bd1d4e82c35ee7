"""Asking for help, for oneself or on behalf of someone else, with a summary to check before sending.

Someone asking for a relative or neighbour names that person; every question then says whom it is
about, and the asker stays the contact. The meeting address and the phone number are shown only to
the volunteer who is confirmed later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, time
from typing import Any

from engine.i18n import DateText, Msg, Raw, Text, _, lines, paragraphs
from engine.steps import EDITING, SUMMARY, Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from engine.typed import PHONE_PATTERN, is_a_name
from engine.types import Button
from engine.when import MAX_DAYS_AHEAD, local_now, parse_date, parse_time, quick_days, today
from engine.widgets import PICK, after, free_text, multi_select, rows, single_choice, summary
from exchange import audit, invitations, requests, staff
from exchange.requests import RequestValues
from handlers import contact
from handlers.targets import (
    AGENCY_QUEUE,
    CALL_BACK_PHONE,
    MAIN_MENU,
    NEW_REQUEST,
    NEW_REQUEST_FOR_SOMEONE,
    REQUEST,
)
from town.geo import nearest_district
from vocabulary.labels import (
    PARTS_OF_DAY,
    CategoryLabel,
    category,
    category_options,
    district_options,
    language_names,
    language_options,
    when_text,
)

FLEXIBLE = "flexible"
# The first quick days in words; the summary says the date.
NEAR_DAYS: tuple[Msg, ...] = (_("Today"), _("Tomorrow"), _("The day after tomorrow"))
SUBMIT = "submit"
NAME_LIMIT = 60
ADDRESS_LIMIT = 200
DESCRIPTION_LIMIT = 500


def for_other(ctx: Ctx) -> bool:
    return bool(ctx.data.get("for_other"))


def _about(ctx: Ctx, mine: Msg, theirs: Msg) -> Text:
    """The text for oneself, or the one about the person helped, with their `{name}` filled in."""
    if not for_other(ctx):
        return mine
    return Msg(theirs.msgid, {**theirs.params, "name": Raw(ctx.data.get("name") or "")})


def intake(ctx: Ctx) -> bool:
    """A coordinator enters the request of someone who phoned or came to the office."""
    return bool(ctx.data.get("intake"))


def _describe(ctx: Ctx) -> Goto:
    """On to the description, or straight to the summary when the typed message that started
    the request is its description already."""
    if ctx.data.get("prefilled") and ctx.data.get("description"):
        ctx.data.pop(EDITING, None)
        return Goto(SUMMARY)
    return after(ctx, "description")


def _after_name(ctx: Ctx) -> Goto:
    """What a typed message named is not asked again."""
    if not ctx.data.get("category"):
        return after(ctx, "category")
    return after(ctx, "time" if ctx.data.get("day") else "day")


def spoken_too(step: Step) -> Step:
    """A voice message instead of typed words goes to a person of the agency, who calls back."""

    async def spoken(ctx: Ctx, voice: str) -> Outcome:
        return await contact.call_back(ctx, voice=voice)

    return replace(step, on_voice=spoken, next=(*step.next, CALL_BACK_PHONE))


async def _category_typed(ctx: Ctx, text: str) -> Outcome:
    """Words instead of a button at the first question, as in the main menu: a request
    prefilled with what they name, or a person of the agency calls back."""
    if ctx.data.get(EDITING) or ctx.data.get("name") or intake(ctx):
        return Retry(_("Please choose one of the buttons below."))
    return await contact.from_words(ctx, text)


def start(for_someone_else: bool) -> Goto:
    """Begin a new request; for someone else it starts by asking their first name."""
    first = NEW_REQUEST_FOR_SOMEONE if for_someone_else else NEW_REQUEST
    return Goto(first, data={"for_other": for_someone_else})


# --- when -----------------------------------------------------------------------------------


def _ask_day(ctx: Ctx) -> Prompt:
    days = [
        Button(
            PICK + d.isoformat(), NEAR_DAYS[i] if i < len(NEAR_DAYS) else DateText(d, short=True)
        )
        for i, d in enumerate(quick_days(ctx))
    ]
    question = _about(
        ctx,
        _("When do you need help? Choose a day, type a date like 24.12., or choose Flexible."),
        _("When does {name} need help? Choose a day, type a date like 24.12., or choose Flexible."),
    )
    return Prompt(question, (*rows(days, 3), (Button(FLEXIBLE, _("🤷 Flexible")),)))


def _set_day(ctx: Ctx, day: date | None) -> Outcome:
    ctx.data["day"] = day.isoformat() if day else None
    if day is None:
        ctx.data["part"] = ctx.data["at_time"] = None
        return after(ctx, "district")
    return Goto("time")  # a day needs a time; an edit returns to the summary after it


def _day_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == FLEXIBLE:
        return _set_day(ctx, None)
    return _set_day(ctx, date.fromisoformat(payload.removeprefix(PICK)))


def _day_typed(ctx: Ctx, text: str) -> Outcome:
    day = parse_date(text, today(ctx))
    if day is None:
        return Retry(_("Please type a date like 24.12. or choose a day below."))
    if day < today(ctx):
        return Retry(_("That day has passed. Please choose a date from today on."))
    if (day - today(ctx)).days > MAX_DAYS_AHEAD:
        return Retry(_("Please choose a date within the next twelve months."))
    return _set_day(ctx, day)


def _ask_time(ctx: Ctx) -> Prompt:
    parts = [Button(PICK + key, label) for key, label in PARTS_OF_DAY.items()]
    question = _(
        "{day}: at what time of day? Choose, or type an exact time like 14:30.",
        day=DateText(date.fromisoformat(ctx.data["day"])),
    )
    return Prompt(question, (tuple(parts),))


def _part_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["part"], ctx.data["at_time"] = payload.removeprefix(PICK), None
    return after(ctx, "district")


def _time_typed(ctx: Ctx, text: str) -> Outcome:
    at = parse_time(text)
    if at is None:
        return Retry(_("Please type a time like 14:30, or choose a time of day."))
    day = date.fromisoformat(ctx.data["day"])
    if day == today(ctx) and at <= local_now(ctx).time():
        return Retry(_("That time has passed today. Please choose a later time."))
    ctx.data["at_time"] = at.strftime("%H:%M")
    ctx.data["part"] = "morning" if at.hour < 12 else "afternoon" if at.hour < 17 else "evening"
    return after(ctx, "district")


def draft_when(data: dict[str, Any]) -> Text:
    """When help is needed, from a draft of this flow."""
    day, at = data.get("day"), data.get("at_time")
    return when_text(
        date.fromisoformat(day) if day else None,
        data.get("part"),
        time.fromisoformat(at) if at else None,
    )


# --- where ----------------------------------------------------------------------------------


def _ask_district(ctx: Ctx) -> Prompt:
    options = district_options(ctx.municipality)
    own = ctx.user.district if ctx.user is not None else None
    first = [
        (Button(PICK + value, _("📍 {district}", district=label)),)
        for value, label in options
        if value == own
    ]
    others = [Button(PICK + value, label) for value, label in options if value != own]
    question = _about(
        ctx,
        _("In which district do you need help? Choose, or share your location."),
        _("In which district does {name} need help? Choose, or share the location."),
    )
    return Prompt(question, (*first, *rows(others, 2)), request_location=True)


def _district_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["district"] = payload.removeprefix(PICK)
    return after(ctx, "address")


def _district_from_location(ctx: Ctx, latitude: float, longitude: float) -> Outcome:
    district = nearest_district(ctx.municipality, latitude, longitude)
    if district is None:
        return Retry(_("That place is too far away. Please choose the district with the buttons."))
    ctx.data["district"] = district.id
    outcome = after(ctx, "address")
    return Goto(outcome.to, notes=(_("📍 District: {district}", district=district.name),))


def _address_question(ctx: Ctx) -> Text:
    return _about(
        ctx,
        _(
            "Where should the volunteer meet you? Type the street and house number, or skip. "
            "Only the volunteer who is confirmed will see it."
        ),
        _(
            "Where should the volunteer meet {name}? Type the street and house number, or skip. "
            "Only the volunteer who is confirmed will see it."
        ),
    )


# --- who and what ---------------------------------------------------------------------------


def _phone_valid(_ctx: Ctx, text: str) -> Text | None:
    if PHONE_PATTERN.match(text):
        return None
    return _("That does not look like a phone number. Please type digits, for example 06721 12345.")


def _description_valid(_ctx: Ctx, text: str) -> Text | None:
    if len(text) < 5:
        return _("Please describe in a few words what help is needed.")
    return None


def _name_valid(_ctx: Ctx, text: str) -> Text | None:
    return None if is_a_name(text) else _("Please type the first name.")


# --- summary --------------------------------------------------------------------------------

FIELDS: dict[str, Msg] = {
    "name": _("Person"),
    "own_name": _("Person"),
    "category": _("Help"),
    "day": _("When"),
    "district": _("District"),
    "address": _("Address"),
    "languages": _("Languages"),
    "phone": _("Phone"),
    "description": _("Description"),
}


def _hidden(data: dict[str, Any]) -> set[str]:
    """Asking for oneself, the first name is one's own (asked near the end, "own_name")."""
    return {"own_name"} if data.get("for_other") else {"name"}


def _fields(ctx: Ctx) -> Iterable[str]:
    return [key for key in FIELDS if key not in _hidden(ctx.data)]


def summary_text(ctx: Ctx, data: dict[str, Any]) -> Text:
    kind = category(ctx.deployment, data.get("category", ""))
    district = ctx.municipality.district(data.get("district", ""))
    values: dict[str, Text] = {
        "name": Raw(data.get("name") or ""),
        "own_name": Raw(data.get("name") or ""),
        "category": CategoryLabel(kind) if kind else _("not given"),
        "day": draft_when(data),
        "district": Raw(district.name) if district else _("not given"),
        "address": Raw(data["address"]) if data.get("address") else _("none"),
        "languages": language_names(data.get("languages", [])),
        "phone": Raw(data["phone"]) if data.get("phone") else _("only through the bot"),
        "description": Raw(data.get("description") or ""),
    }
    hidden = _hidden(data)
    shown = [
        _("{field}: {value}", field=FIELDS[k], value=v)
        for k, v in values.items()
        if k not in hidden
    ]
    return lines(*shown)


def _summary(ctx: Ctx) -> Text:
    title = _about(ctx, _("📋 Your request"), _("📋 Request for {name}"))
    return paragraphs(title, summary_text(ctx, ctx.data))


async def _sent(ctx: Ctx) -> Outcome:
    assert ctx.user is not None and ctx.user.id is not None
    if intake(ctx):
        return await _taken_in(ctx)
    if not await requests.may_ask(ctx.session, ctx.user.id, ctx.now):
        return Retry(
            _(
                "You have sent {limit} requests within a day. Please wait until tomorrow, or "
                "contact us: {contact}",
                limit=requests.REQUESTS_PER_DAY,
                contact=ctx.deployment.agency.contact,
            )
        )
    replaced = await requests.own(ctx.session, ctx.user.id, ctx.data.get("replaces"))
    if replaced is not None:
        await requests.withdraw(ctx.session, replaced, ctx.now)
    request = await requests.submit(ctx.session, ctx.user, _values(ctx), ctx.now)
    notes: list[Text] = [
        _about(
            ctx,
            _(
                "📨 Sent. We are looking for a volunteer and will write to you here as soon as someone is found."
            ),
            _(
                "📨 Sent. We are looking for a volunteer for {name} and will write to you here as soon "
                "as someone is found. You stay the contact."
            ),
        )
    ]
    kind = category(ctx.deployment, request.category)
    if kind is not None and kind.referrals:
        services = [
            Raw(" · ".join(part for part in (r.name, r.phone, r.url) if part))
            for r in kind.referrals
        ]
        notes.append(
            paragraphs(_("While you wait, these services can also help:"), lines(*services))
        )
    return Goto(MAIN_MENU, notes=tuple(notes))


async def _taken_in(ctx: Ctx) -> Outcome:
    """A request taken by phone: the coordinator is its contact; the volunteer calls the senior."""
    assert ctx.user is not None
    if not await staff.scope_of(ctx.session, ctx.deployment, ctx.user):
        return Goto(
            MAIN_MENU, notes=(_("This is only for the agency's coordinators and sponsors."),)
        )
    if not ctx.data.get("phone"):
        return Retry(_("Please add the phone number: the volunteer needs it to call."))
    request = await requests.submit(ctx.session, ctx.user, _values(ctx), ctx.now)
    await ctx.session.flush()
    audit.record(
        ctx.session,
        actor=ctx.user,
        via="chat",
        action="intake",
        subject=f"request:{request.id}",
        now=ctx.now,
    )
    done = _(
        "📨 Entered. We look for a volunteer for {name}. You get every update here.",
        name=Raw(ctx.data.get("name") or ""),
    )
    code = await invitations.hand_over_link(
        ctx.session, ctx.deployment, request, by=ctx.user, now=ctx.now
    )
    relative = paragraphs(
        _(
            "Should a relative on Telegram get the updates instead? Send them this link. "
            "It works once."
        ),
        Raw(ctx.start_link(code)),
    )
    return Goto(AGENCY_QUEUE, notes=(done, relative))


def own_language(ctx: Ctx) -> str:
    """The spoken language of the person's chat language (plain German is German); a request a
    coordinator takes by phone, German."""
    if intake(ctx):
        return "de"
    code = ctx.language.split("_", 1)[0]
    return code if code in dict(language_options()) else "de"


async def _after_address(ctx: Ctx) -> Outcome:
    """The languages are not asked: the person's own, stated in the summary to change there."""
    if ctx.data.pop(EDITING, False):
        return Goto(SUMMARY)
    if not ctx.data.get("languages"):
        ctx.data["languages"] = [own_language(ctx)]
    return await _after_languages(ctx)


async def _after_languages(ctx: Ctx) -> Outcome:
    """On to the phone number; asking for oneself, first the own first name, once ever."""
    if not for_other(ctx) and not ctx.data.get("name") and ctx.user is not None:
        ctx.data["name"] = await requests.own_first_name(ctx.session, ctx.user.id or 0)
        if not ctx.data["name"]:
            return after(ctx, "own_name")
    return after(ctx, "phone")


def _phone_question(ctx: Ctx) -> Text:
    name = Raw(ctx.data.get("name") or "")
    if intake(ctx):
        return _(
            "What is the phone number of {name}? The volunteer calls them. Only the confirmed "
            "volunteer will see it.",
            name=name,
        )
    return _about(
        ctx,
        _(
            "How can the volunteer reach you? Type your phone number. Only the confirmed "
            "volunteer sees it. Or choose: only through the bot. Then you write to each other here."
        ),
        _(
            "How can the volunteer reach {name}? Type a phone number. Only the confirmed "
            "volunteer sees it. Or choose: only through the bot. Then the volunteer writes to you here."
        ),
    )


def _values(ctx: Ctx) -> RequestValues:
    data = ctx.data
    return RequestValues(
        for_other=for_other(ctx),
        person_name=data.get("name"),
        person_phone=data.get("phone"),
        category=data["category"],
        municipality=ctx.municipality.id,
        district=data["district"],
        day=date.fromisoformat(data["day"]) if data.get("day") else None,
        part_of_day=data.get("part"),
        at_time=time.fromisoformat(data["at_time"]) if data.get("at_time") else None,
        address=data.get("address"),
        languages=list(data["languages"]),
        description=data["description"],
        language=ctx.language,
    )


FLOW = Flow(
    REQUEST,
    start="category",
    steps={
        "name": free_text(
            "name",
            lambda ctx: _("Who needs help? Please type their first name."),
            next=("category", "day", "time"),
            then=_after_name,
            max_length=NAME_LIMIT,
            one_line=True,
            validate=_name_valid,
            skip=lambda ctx: not for_other(ctx),
        ),
        "category": spoken_too(
            replace(
                single_choice(
                    "category",
                    lambda ctx: _about(
                        ctx,
                        _("What kind of help do you need?"),
                        _("What kind of help does {name} need?"),
                    ),
                    lambda ctx: category_options(ctx.deployment),
                    next="day",
                    back="name",
                    columns=2,
                ),
                on_text=_category_typed,
                next=("day", "name", "time", CALL_BACK_PHONE),
            )
        ),
        "day": Step(
            ask=_ask_day,
            on_choice=_day_chosen,
            on_text=_day_typed,
            next=("time", "district"),
            back="category",
        ),
        "time": Step(
            ask=_ask_time,
            on_choice=_part_chosen,
            on_text=_time_typed,
            next=("district",),
            back="day",
        ),
        "district": Step(
            ask=_ask_district,
            on_choice=_district_chosen,
            on_location=_district_from_location,
            next=("address",),
            back="day",
        ),
        "address": free_text(
            "address",
            _address_question,
            next=("own_name", "phone", SUMMARY),
            then=_after_address,
            max_length=ADDRESS_LIMIT,
            back="district",
            optional=True,
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _about(
                ctx, _("Which languages do you speak?"), _("Which languages does {name} speak?")
            ),
            lambda ctx: language_options(),
            next=("own_name", "phone"),
            then=_after_languages,
            back=SUMMARY,
            required=_("Please tick at least one language."),
        ),
        "own_name": free_text(
            "name",
            lambda ctx: _(
                "What is your first name? The volunteer sees it, so they know whom they meet."
            ),
            next="phone",
            max_length=NAME_LIMIT,
            back="address",
            one_line=True,
            validate=_name_valid,
        ),
        "phone": free_text(
            "phone",
            _phone_question,
            next="description",
            then=_describe,
            max_length=30,
            back="address",
            optional=True,
            skip_label=_("✉️ Only through the bot"),
            validate=_phone_valid,
        ),
        "description": spoken_too(
            free_text(
                "description",
                lambda ctx: _(
                    "Please describe in a few words what help is needed (at most {limit} characters).",
                    limit=DESCRIPTION_LIMIT,
                ),
                next=SUMMARY,
                max_length=DESCRIPTION_LIMIT,
                back="phone",
                validate=_description_valid,
            )
        ),
        **summary(
            _summary,
            fields=FIELDS,
            shown=_fields,
            direct=lambda ctx: ("languages",),
            submit=Button(SUBMIT, _("📨 Send request")),
            on_submit=_sent,
            next=(MAIN_MENU, AGENCY_QUEUE),
        ),
    },
)
