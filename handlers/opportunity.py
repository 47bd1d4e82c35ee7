"""Posting an opportunity: an approved organisation says what it needs volunteers for.

The flow asks for title, kind of help, description, districts, when, how many volunteers,
requirements and languages, shows a summary and publishes. Only the representative of an approved
organisation gets this far: the first step checks it again, and so does publishing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.i18n import DateText, Msg, Raw, Text, _, lines, paragraphs
from engine.steps import SUMMARY, Ctx, Flow, Goto, Outcome, Prompt, Retry, Step, resolve
from engine.types import Button
from engine.when import MAX_DAYS_AHEAD, parse_date, quick_days, today
from engine.widgets import (
    PICK,
    after,
    checked,
    free_text,
    multi_select,
    rows,
    single_choice,
    summary,
)
from exchange import opportunities, organisations
from exchange.opportunities import OpportunityValues
from handlers.targets import MAIN_MENU, OPPORTUNITY, ORGANISATION_CARD
from storage.models import OpportunityStatus, Organisation, OrganisationStatus
from town.deployment import Municipality
from vocabulary.labels import (
    REQUIREMENTS,
    SCHEDULES,
    CategoryLabel,
    category,
    category_options,
    district_names,
    district_options,
    language_names,
    language_options,
    requirement_names,
    schedule_text,
)

TITLE_LIMIT = 80
DESCRIPTION_LIMIT = 500
MAX_VOLUNTEERS = 99

PUBLISH = "publish"
MAIN_MENU_BUTTON = "opp:menu"
ONE_DAY = "once"
VOLUNTEER_COUNTS = (1, 2, 3, 5, 10)

FIELDS: dict[str, Msg] = {
    "title": _("Title"),
    "category": _("Help"),
    "districts": _("Districts"),
    "when": _("When"),
    "volunteers": _("Volunteers needed"),
    "requirements": _("Requirements"),
    "languages": _("Languages"),
    "description": _("Description"),
}


# --- who may post ---------------------------------------------------------------------------


async def approved_organisation(ctx: Ctx) -> Organisation | None:
    """The person's organisation if a coordinator approved it, else None."""
    return await organisations.approved_of_owner(ctx.session, ctx.user.id if ctx.user else None)


async def refusal(ctx: Ctx) -> Text:
    """Why this person cannot post (or manage) opportunities."""
    organisation = await organisations.of_owner(ctx.session, ctx.user.id if ctx.user else None)
    if organisation is None:
        return _(
            "Only registered organisations can post opportunities. Please register your "
            "organisation first: in the menu under 🏛️ Our organisation."
        )
    if organisation.status == OrganisationStatus.REJECTED:
        return _(
            "Your organisation's registration was not approved, so it cannot post opportunities. "
            "Please get in touch with us: {contact}",
            contact=ctx.deployment.agency.contact,
        )
    return _(
        "⏳ Your organisation is still waiting for approval by a coordinator. Once it is approved, "
        "you can post opportunities here."
    )


def refused_prompt(text: Text, menu: str) -> Prompt:
    return Prompt(text, ((Button(menu, _("🏠 Main menu")),),))


def to_menu(ctx: Ctx, payload: str) -> Outcome:
    return Goto(MAIN_MENU)


def _municipality(ctx: Ctx) -> Municipality:
    """The organisation's municipality, remembered in the draft when the flow starts."""
    return (
        ctx.deployment.municipality(ctx.data.get("municipality"))
        or ctx.deployment.municipalities[0]
    )


# --- title ----------------------------------------------------------------------------------


def _title_valid(_ctx: Ctx, text: str) -> Text | None:
    if not any(ch.isalpha() for ch in text):
        return _("Please give the opportunity a title in words, for example Reading buddy.")
    return None


_TITLE = free_text(
    "title",
    lambda ctx: Raw(""),
    next="category",
    max_length=TITLE_LIMIT,
    one_line=True,
    validate=_title_valid,
)


async def _ask_title(ctx: Ctx) -> Prompt:
    if await approved_organisation(ctx) is None:
        return refused_prompt(await refusal(ctx), MAIN_MENU_BUTTON)
    return Prompt(
        _(
            "What do you need volunteers for? Please type a short title, for example "
            "Reading buddy for our library (at most {limit} characters).",
            limit=TITLE_LIMIT,
        )
    )


async def _title_typed(ctx: Ctx, text: str) -> Outcome:
    organisation = await approved_organisation(ctx)
    if organisation is None:
        return Retry(await refusal(ctx))
    ctx.data["municipality"] = organisation.municipality
    assert _TITLE.on_text is not None
    return await resolve(_TITLE.on_text(ctx, text))


# --- description ----------------------------------------------------------------------------


def _description_valid(_ctx: Ctx, text: str) -> Text | None:
    if len(text) < 10:
        return _("Please describe in a sentence or two what the volunteers will do.")
    return None


# --- when -----------------------------------------------------------------------------------


def _ask_when(ctx: Ctx) -> Prompt:
    has_day = bool(ctx.data.get("day"))
    current = ctx.data.get("schedule")
    one_day = Button(ONE_DAY, checked(_("📅 On one day"), has_day))
    regular = [
        Button(PICK + key, checked(label, key == current)) for key, label in SCHEDULES.items()
    ]
    return Prompt(
        _(
            "When are volunteers needed? On one day, regularly, or is it flexible? "
            "You can also type a date like 24.12."
        ),
        ((one_day,), *rows(regular, 2)),
    )


def _set_day(ctx: Ctx, day: date) -> Outcome:
    ctx.data["day"], ctx.data["schedule"] = day.isoformat(), None
    return after(ctx, "volunteers")


def _when_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == ONE_DAY:
        return Goto("day")  # an edit returns to the summary once the day is chosen
    ctx.data["day"], ctx.data["schedule"] = None, payload.removeprefix(PICK)
    return after(ctx, "volunteers")


def _typed_date(ctx: Ctx, text: str, unreadable: Msg) -> Outcome:
    day = parse_date(text, today(ctx))
    if day is None:
        return Retry(unreadable)
    if day < today(ctx):
        return Retry(_("That day has passed. Please choose a date from today on."))
    if (day - today(ctx)).days > MAX_DAYS_AHEAD:
        return Retry(_("Please choose a date within the next twelve months."))
    return _set_day(ctx, day)


def _when_typed(ctx: Ctx, text: str) -> Outcome:
    return _typed_date(ctx, text, _("Please choose one of the buttons, or type a date like 24.12."))


def _day_typed(ctx: Ctx, text: str) -> Outcome:
    return _typed_date(ctx, text, _("Please type a date like 24.12. or choose a day below."))


def _ask_day(ctx: Ctx) -> Prompt:
    days = [Button(PICK + d.isoformat(), DateText(d, short=True)) for d in quick_days(ctx)]
    return Prompt(
        _("On which day? Choose one, or type a date like 24.12."),
        rows(days, 3),
    )


def _day_chosen(ctx: Ctx, payload: str) -> Outcome:
    return _set_day(ctx, date.fromisoformat(payload.removeprefix(PICK)))


# --- how many -------------------------------------------------------------------------------


def _ask_volunteers(ctx: Ctx) -> Prompt:
    current = ctx.data.get("volunteers")
    buttons = [Button(PICK + str(n), checked(Raw(str(n)), n == current)) for n in VOLUNTEER_COUNTS]
    return Prompt(
        _(
            "How many volunteers do you need? Choose, or type a number from 1 to {limit}.",
            limit=MAX_VOLUNTEERS,
        ),
        (tuple(buttons),),
    )


def _set_volunteers(ctx: Ctx, count: int) -> Outcome:
    ctx.data["volunteers"] = count
    return after(ctx, "requirements")


def _volunteers_chosen(ctx: Ctx, payload: str) -> Outcome:
    return _set_volunteers(ctx, int(payload.removeprefix(PICK)))


def _volunteers_typed(ctx: Ctx, text: str) -> Outcome:
    digits = text.strip()
    if not digits.isdecimal():
        return Retry(
            _("Please type the number in digits, for example 4, or choose one of the buttons.")
        )
    count = int(digits)
    if not 1 <= count <= MAX_VOLUNTEERS:
        return Retry(_("Please choose a number from 1 to {limit}.", limit=MAX_VOLUNTEERS))
    return _set_volunteers(ctx, count)


# --- the summary ----------------------------------------------------------------------------


def _requirement_names(ids: list[str]) -> Text:
    return requirement_names(ids) if ids else _("none")


def _language_names(codes: list[str]) -> Text:
    return language_names(codes) if codes else _("German is enough")


def opportunity_text(ctx: Ctx, data: dict[str, Any]) -> Text:
    """An opportunity, line by line, from a draft of this flow."""
    kind = category(ctx.deployment, data.get("category") or "")
    day = data.get("day")
    values: dict[str, Text] = {
        "category": CategoryLabel(kind) if kind else _("not given"),
        "districts": district_names(_municipality(ctx), data.get("districts", [])),
        "when": schedule_text(date.fromisoformat(day) if day else None, data.get("schedule")),
        "volunteers": Raw(str(data.get("volunteers") or "")),
        "requirements": _requirement_names(data.get("requirements", [])),
        "languages": _language_names(data.get("languages", [])),
        "description": Raw(data.get("description") or ""),
    }
    details = lines(
        *(_("{field}: {value}", field=FIELDS[key], value=value) for key, value in values.items())
    )
    return paragraphs(_("📢 {title}", title=Raw(data.get("title") or "")), details)


async def _published(ctx: Ctx) -> Outcome:
    organisation = await approved_organisation(ctx)
    if organisation is None:
        return Goto(MAIN_MENU, notes=(await refusal(ctx),))
    data = ctx.data
    if not data.get("day") and not data.get("schedule"):
        return Goto("when")
    values = OpportunityValues(
        title=data["title"],
        category=data["category"],
        description=data["description"],
        districts=list(data["districts"]),
        day=date.fromisoformat(data["day"]) if data.get("day") else None,
        schedule=data.get("schedule"),
        volunteers_needed=int(data["volunteers"]),
        requirements=list(data.get("requirements", [])),
        languages=list(data.get("languages", [])),
        language=ctx.language,
    )
    assert ctx.user is not None
    posted = await opportunities.publish(
        ctx.session, ctx.deployment, organisation, ctx.user, values, ctx.now
    )
    if posted.status == OpportunityStatus.PENDING:
        done = _(
            "📨 Saved. This opportunity needs a police certificate or works with children. "
            "A coordinator checks it first. We will write to you when it is open."
        )
    else:
        done = _(
            "📢 Published. Your opportunity is now open for volunteers. You can pause or close "
            "it at any time under 📋 Our opportunities."
        )
    return Goto(ORGANISATION_CARD, notes=(done,))


FLOW = Flow(
    OPPORTUNITY,
    start="title",
    steps={
        "title": Step(
            ask=_ask_title, on_text=_title_typed, on_choice=to_menu, next=("category", MAIN_MENU)
        ),
        "category": single_choice(
            "category",
            lambda ctx: _("What kind of help is it?"),
            lambda ctx: category_options(ctx.deployment),
            next="description",
            back="title",
            columns=2,
        ),
        "description": free_text(
            "description",
            lambda ctx: _(
                "Please describe what the volunteers will do, where and with whom "
                "(at most {limit} characters).",
                limit=DESCRIPTION_LIMIT,
            ),
            next="districts",
            max_length=DESCRIPTION_LIMIT,
            back="category",
            validate=_description_valid,
        ),
        "districts": multi_select(
            "districts",
            lambda ctx: _("In which districts? Tick all that fit, then Continue."),
            lambda ctx: district_options(_municipality(ctx)),
            next="when",
            back="description",
            required=_("Please tick at least one district."),
        ),
        "when": Step(
            ask=_ask_when,
            on_choice=_when_chosen,
            on_text=_when_typed,
            next=("day", "volunteers"),
            back="districts",
        ),
        "day": Step(
            ask=_ask_day,
            on_choice=_day_chosen,
            on_text=_day_typed,
            next=("volunteers",),
            back="when",
        ),
        "volunteers": Step(
            ask=_ask_volunteers,
            on_choice=_volunteers_chosen,
            on_text=_volunteers_typed,
            next=("requirements",),
            back="when",
        ),
        "requirements": multi_select(
            "requirements",
            lambda ctx: _(
                "What must volunteers bring? Tick all that apply, or just Continue if nothing is "
                "needed."
            ),
            lambda ctx: list(REQUIREMENTS.items()),
            next="languages",
            back="volunteers",
            columns=1,
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _(
                "Which languages should volunteers speak? Tick them, or just Continue if German "
                "is enough."
            ),
            lambda ctx: language_options(),
            next=SUMMARY,
            back="requirements",
        ),
        **summary(
            lambda ctx: opportunity_text(ctx, ctx.data),
            fields=FIELDS,
            submit=Button(PUBLISH, _("📢 Publish")),
            on_submit=_published,
            next=(MAIN_MENU, "when", ORGANISATION_CARD),
        ),
    },
)
