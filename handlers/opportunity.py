"""Opportunities: an approved organisation posts what it needs volunteers for, and manages its posts.

The flow "opportunity" asks for title, kind of help, description, districts, when, how many
volunteers, requirements and languages, shows a summary and publishes. The flow "opportunities"
lists the organisation's posts; each can be paused, reopened or closed. Only the representative of
an approved organisation gets this far: the first step of each flow checks it again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select

from handlers.flow import EDITING, SUMMARY, Ctx, Flow, Goto, Outcome, Prompt, Retry, Step, resolve
from handlers.i18n import DateText, Msg, Raw, Text, _, lines, paragraphs
from handlers.organisation import APPROVED, load_organisation, one_line
from handlers.types import Button
from handlers.vocabulary import (
    CategoryLabel,
    Joined,
    category,
    category_options,
    language_names,
    language_options,
)
from handlers.when import MAX_DAYS_AHEAD, parse_date, quick_days, today
from handlers.widgets import (
    PICK,
    after,
    checked,
    free_text,
    goto,
    multi_select,
    rows,
    single_choice,
)
from storage.models import Opportunity, Organisation
from town.deployment import Municipality

TITLE_LIMIT = 80
DESCRIPTION_LIMIT = 500
MAX_VOLUNTEERS = 99
LIST_LIMIT = 20

PUBLISH = "publish"
EDIT = "edit"
FIELD = "field:"
MAIN_MENU = "opp:menu"
ORGANISATION = "opp:org"
NEW = "opp:new"
OPEN_PREFIX = "opp:"  # followed by the opportunity's id
PAUSE = "pause"
REOPEN = "reopen"
CLOSE = "close"
CLOSE_YES = "close:yes"
CLOSE_NO = "close:no"

ONE_DAY = "once"
SCHEDULES: dict[str, Msg] = {
    "weekly": _("🔁 Every week"),
    "monthly": _("🗓 Every month"),
    "flexible": _("🤷 Flexible"),
}
SCHEDULE_TEXTS: dict[str, Msg] = {
    "weekly": _("regularly, every week"),
    "monthly": _("regularly, every month"),
    "flexible": _("flexible"),
}
VOLUNTEER_COUNTS = (1, 2, 3, 5, 10)

REQUIREMENTS: dict[str, Msg] = {
    "police_clearance": _("Police clearance certificate"),
    "driving_licence": _("Driving licence"),
    "first_aid": _("First-aid course"),
    "adults": _("Minimum age 18"),
}

STATUSES: dict[str, Msg] = {
    "open": _("🟢 open"),
    "paused": _("⏸ paused"),
    "closed": _("✔️ closed"),
}


def status_label(status: str) -> Text:
    return STATUSES.get(status) or Raw(status)


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
    organisation = await load_organisation(ctx)
    if organisation is None or organisation.status != APPROVED:
        return None
    return organisation


async def _refusal(ctx: Ctx) -> Text:
    organisation = await load_organisation(ctx)
    if organisation is None:
        return _(
            "Only registered organisations can post opportunities. Please register your "
            "organisation first: in the menu under 🏛️ Our organisation."
        )
    if organisation.status == "rejected":
        return _(
            "Your organisation's registration was not approved, so it cannot post opportunities. "
            "Please get in touch with us: {contact}",
            contact=ctx.deployment.agency.contact,
        )
    return _(
        "⏳ Your organisation is still waiting for approval by a coordinator. Once it is approved, "
        "you can post opportunities here."
    )


def _refused_prompt(text: Text) -> Prompt:
    return Prompt(text, ((Button(MAIN_MENU, _("🏠 Main menu")),),))


def _to_menu(ctx: Ctx, payload: str) -> Outcome:
    return Goto("main", flow="menu")


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


_TITLE = one_line(
    free_text(
        "title",
        lambda ctx: Raw(""),
        goto("category"),
        max_length=TITLE_LIMIT,
        validate=_title_valid,
    )
)


async def _ask_title(ctx: Ctx) -> Prompt:
    if await approved_organisation(ctx) is None:
        return _refused_prompt(await _refusal(ctx))
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
        return Retry(await _refusal(ctx))
    ctx.data["municipality"] = organisation.municipality
    assert _TITLE.on_text is not None
    return await resolve(_TITLE.on_text(ctx, text))


# --- description and districts --------------------------------------------------------------


def _description_valid(_ctx: Ctx, text: str) -> Text | None:
    if len(text) < 10:
        return _("Please describe in a sentence or two what the volunteers will do.")
    return None


def _district_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(d.id, Raw(d.name)) for d in _municipality(ctx).districts]


def _district_names(ctx: Ctx, ids: list[str]) -> Joined:
    return Joined([Raw(d.name) for d in _municipality(ctx).districts if d.id in ids])


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


def when_text(day: str | date | None, schedule: str | None) -> Text:
    """A one-off date in words, or the schedule: "Tuesday, 24 November", "regularly, every week"."""
    if day is not None:
        return DateText(day if isinstance(day, date) else date.fromisoformat(day))
    return SCHEDULE_TEXTS.get(schedule or "", _("not given"))


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


# --- the card and the summary ---------------------------------------------------------------


def _requirement_names(ids: list[str]) -> Text:
    if not ids:
        return _("none")
    return Joined([REQUIREMENTS[i] for i in ids if i in REQUIREMENTS])


def _language_names(codes: list[str]) -> Text:
    return language_names(codes) if codes else _("German is enough")


def opportunity_text(ctx: Ctx, data: dict[str, Any]) -> Text:
    """An opportunity, line by line, from a draft of this flow."""
    kind = category(ctx.deployment, data.get("category") or "")
    values: dict[str, Text] = {
        "category": CategoryLabel(kind) if kind else _("not given"),
        "districts": _district_names(ctx, data.get("districts", [])),
        "when": when_text(data.get("day"), data.get("schedule")),
        "volunteers": Raw(str(data.get("volunteers") or "")),
        "requirements": _requirement_names(data.get("requirements", [])),
        "languages": _language_names(data.get("languages", [])),
        "description": Raw(data.get("description") or ""),
    }
    details = lines(
        *(_("{field}: {value}", field=FIELDS[key], value=value) for key, value in values.items())
    )
    return paragraphs(_("📢 {title}", title=Raw(data.get("title") or "")), details)


def _ask_summary(ctx: Ctx) -> Prompt:
    buttons = (
        (Button(PUBLISH, _("📢 Publish")),),
        (Button(EDIT, _("✏️ Change something")),),
    )
    return Prompt(paragraphs(opportunity_text(ctx, ctx.data), _("Is everything right?")), buttons)


async def _summary_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == EDIT:
        return Goto("edit")
    organisation = await approved_organisation(ctx)
    if organisation is None or organisation.id is None:
        return Goto("main", flow="menu", notes=(await _refusal(ctx),))
    data = ctx.data
    if not data.get("day") and not data.get("schedule"):
        return Goto("when")
    ctx.session.add(
        Opportunity(
            organisation_id=organisation.id,
            title=data["title"],
            category=data["category"],
            description=data["description"],
            districts=list(data["districts"]),
            day=date.fromisoformat(data["day"]) if data.get("day") else None,
            schedule=None if data.get("day") else data["schedule"],
            volunteers_needed=int(data["volunteers"]),
            requirements=list(data.get("requirements", [])),
            languages=list(data.get("languages", [])),
            language=ctx.language,
            status="open",
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    done = _(
        "📢 Published. Your opportunity is now open for volunteers. You can pause or close it at "
        "any time under 📋 Our opportunities."
    )
    return Goto("card", flow="organisation", notes=(done,))


def _ask_edit(ctx: Ctx) -> Prompt:
    buttons = [Button(FIELD + key, label) for key, label in FIELDS.items()]
    return Prompt(_("What would you like to change?"), rows(buttons, 2))


def _edit_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data[EDITING] = True
    return Goto(payload.removeprefix(FIELD))


FLOW = Flow(
    "opportunity",
    start="title",
    steps={
        "title": Step(ask=_ask_title, on_text=_title_typed, on_choice=_to_menu),
        "category": single_choice(
            "category",
            lambda ctx: _("What kind of help is it?"),
            lambda ctx: category_options(ctx.deployment),
            goto("description"),
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
            goto("districts"),
            max_length=DESCRIPTION_LIMIT,
            back="category",
            validate=_description_valid,
        ),
        "districts": multi_select(
            "districts",
            lambda ctx: _("In which districts? Tick all that fit, then Continue."),
            _district_options,
            goto("when"),
            back="description",
            required=_("Please tick at least one district."),
        ),
        "when": Step(ask=_ask_when, on_choice=_when_chosen, on_text=_when_typed, back="districts"),
        "day": Step(ask=_ask_day, on_choice=_day_chosen, on_text=_day_typed, back="when"),
        "volunteers": Step(
            ask=_ask_volunteers,
            on_choice=_volunteers_chosen,
            on_text=_volunteers_typed,
            back="when",
        ),
        "requirements": multi_select(
            "requirements",
            lambda ctx: _(
                "What must volunteers bring? Tick all that apply, or just Continue if nothing is "
                "needed."
            ),
            lambda ctx: list(REQUIREMENTS.items()),
            goto("languages"),
            back="volunteers",
            columns=1,
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _(
                "Which languages should volunteers speak? Tick them, or just Continue if German "
                "is enough."
            ),
            language_options,
            goto(SUMMARY),
            back="requirements",
        ),
        SUMMARY: Step(ask=_ask_summary, on_choice=_summary_chosen),
        "edit": Step(ask=_ask_edit, on_choice=_edit_chosen, back=SUMMARY),
    },
)


# --- the list of our opportunities ----------------------------------------------------------


async def _ours(ctx: Ctx, organisation: Organisation) -> list[Opportunity]:
    query = (
        select(Opportunity)
        .where(Opportunity.organisation_id == organisation.id)
        .order_by(col(Opportunity.created_at).desc(), col(Opportunity.id).desc())
        .limit(LIST_LIMIT)
    )
    return list((await ctx.session.exec(query)).all())


async def _chosen(ctx: Ctx) -> tuple[Opportunity, Organisation] | None:
    """The opportunity picked from the list, if it is still one of this approved organisation's."""
    organisation = await approved_organisation(ctx)
    opportunity_id = ctx.data.get("opportunity")
    if organisation is None or not isinstance(opportunity_id, int):
        return None
    opportunity = await ctx.session.get(Opportunity, opportunity_id)
    if opportunity is None or opportunity.organisation_id != organisation.id:
        return None
    return opportunity, organisation


async def _chosen_opportunity(ctx: Ctx) -> Opportunity | None:
    chosen = await _chosen(ctx)
    return chosen[0] if chosen else None


async def _ask_list(ctx: Ctx) -> Prompt:
    organisation = await approved_organisation(ctx)
    if organisation is None:
        return _refused_prompt(await _refusal(ctx))
    found = await _ours(ctx, organisation)
    items = [
        (
            Button(
                OPEN_PREFIX + str(o.id),
                _("{title} ({status})", title=Raw(o.title), status=status_label(o.status)),
            ),
        )
        for o in found
    ]
    if not found:
        text: Text = _("Your organisation has not posted any opportunities yet.")
    else:
        text = _(
            "📋 Opportunities of {name}, the newest first. Choose one to pause, reopen or close it.",
            name=Raw(organisation.name),
        )
    actions = (
        (Button(NEW, _("➕ New opportunity")),),
        (Button(ORGANISATION, _("🏛️ Our organisation")), Button(MAIN_MENU, _("🏠 Main menu"))),
    )
    return Prompt(text, (*items, *actions))


async def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == MAIN_MENU:
        return Goto("main", flow="menu")
    if payload == ORGANISATION:
        return Goto("card", flow="organisation")
    if payload == NEW:
        return Goto(FLOW.start, flow=FLOW.name)
    opportunity_id = payload.removeprefix(OPEN_PREFIX)
    ctx.data["opportunity"] = int(opportunity_id) if opportunity_id.isdecimal() else None
    if await _chosen_opportunity(ctx) is None:
        ctx.data.pop("opportunity", None)
        return Retry(_("This opportunity is no longer available."))
    return Goto("detail")


def _draft_of(opportunity: Opportunity, organisation: Organisation) -> dict[str, Any]:
    return {
        "municipality": organisation.municipality,
        "title": opportunity.title,
        "category": opportunity.category,
        "description": opportunity.description,
        "districts": list(opportunity.districts),
        "day": opportunity.day.isoformat() if opportunity.day else None,
        "schedule": opportunity.schedule,
        "volunteers": opportunity.volunteers_needed,
        "requirements": list(opportunity.requirements),
        "languages": list(opportunity.languages),
    }


async def _ask_detail(ctx: Ctx) -> Prompt:
    chosen = await _chosen(ctx)
    if chosen is None:
        return Prompt(_("This opportunity is no longer available."))
    opportunity, organisation = chosen
    status = _("Status: {status}", status=status_label(opportunity.status))
    close = Button(CLOSE, _("✔️ Close"))
    toggle = (
        Button(PAUSE, _("⏸ Pause"))
        if opportunity.status == "open"
        else Button(REOPEN, _("▶️ Reopen"))
    )
    buttons = ((toggle, close),) if opportunity.status != "closed" else ((toggle,),)
    draft = _draft_of(opportunity, organisation)
    return Prompt(paragraphs(opportunity_text(ctx, draft), status), buttons)


async def _detail_chosen(ctx: Ctx, payload: str) -> Outcome:
    opportunity = await _chosen_opportunity(ctx)
    if opportunity is None:
        return Goto("list", notes=(_("This opportunity is no longer available."),))
    if payload == CLOSE:
        return Goto("close")
    opportunity.status = "paused" if payload == PAUSE else "open"
    opportunity.updated_at = ctx.now
    ctx.session.add(opportunity)
    if payload == PAUSE:
        note = _("⏸ Paused. Volunteers will not see it until you reopen it.")
    else:
        note = _("▶️ Reopened. Volunteers can find it again.")
    return Goto("detail", notes=(note,))


async def _ask_close(ctx: Ctx) -> Prompt:
    opportunity = await _chosen_opportunity(ctx)
    title = Raw(opportunity.title if opportunity else "")
    return Prompt(
        _(
            "Do you really want to close “{title}”? Volunteers will no longer see it. "
            "You can reopen it later.",
            title=title,
        ),
        ((Button(CLOSE_YES, _("✔️ Yes, close it")), Button(CLOSE_NO, _("No, keep it"))),),
    )


async def _close_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == CLOSE_NO:
        return Goto("detail")
    opportunity = await _chosen_opportunity(ctx)
    if opportunity is None:
        return Goto("list", notes=(_("This opportunity is no longer available."),))
    opportunity.status = "closed"
    opportunity.updated_at = ctx.now
    ctx.session.add(opportunity)
    return Goto("list", notes=(_("✔️ Closed. Thank you for letting us know."),))


LIST_FLOW = Flow(
    "opportunities",
    start="list",
    steps={
        "list": Step(ask=_ask_list, on_choice=_list_chosen, cancel=False),
        "detail": Step(ask=_ask_detail, on_choice=_detail_chosen, back="list"),
        "close": Step(ask=_ask_close, on_choice=_close_chosen, back="detail"),
    },
)
