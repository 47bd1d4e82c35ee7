"""An organisation's posts: the list, newest first; each can be paused, reopened or closed.

Only the representative of an approved organisation gets this far: each step checks it again.
"""

from __future__ import annotations

from typing import Any

from engine.i18n import Raw, Text, _, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from engine.types import Button
from exchange import opportunities
from handlers.opportunity import (
    MAIN_MENU_BUTTON,
    approved_organisation,
    opportunity_text,
    refusal,
    refused_prompt,
)
from handlers.targets import (
    MAIN_MENU,
    NEW_OPPORTUNITY,
    OPPORTUNITIES,
    ORGANISATION_CARD,
)
from storage.models import Opportunity, OpportunityStatus, Organisation
from vocabulary.labels import OPPORTUNITY_STATUSES

LIST_LIMIT = 20

ORGANISATION_BUTTON = "opp:org"
NEW = "opp:new"
OPEN_PREFIX = "opp:"  # followed by the opportunity's id
PAUSE = "pause"
REOPEN = "reopen"
CLOSE = "close"
CLOSE_YES = "close:yes"
CLOSE_NO = "close:no"


def status_label(status: OpportunityStatus) -> Text:
    return OPPORTUNITY_STATUSES.get(status) or Raw(status)


async def _chosen(ctx: Ctx) -> tuple[Opportunity, Organisation] | None:
    """The opportunity picked from the list, if it is still one of this approved organisation's."""
    organisation = await approved_organisation(ctx)
    if organisation is None:
        return None
    opportunity = await opportunities.own(ctx.session, organisation, ctx.data.get("opportunity"))
    return None if opportunity is None else (opportunity, organisation)


async def _chosen_opportunity(ctx: Ctx) -> Opportunity | None:
    chosen = await _chosen(ctx)
    return chosen[0] if chosen else None


async def _ask_list(ctx: Ctx) -> Prompt:
    organisation = await approved_organisation(ctx)
    if organisation is None:
        return refused_prompt(await refusal(ctx), MAIN_MENU_BUTTON)
    found = await opportunities.of_organisation(ctx.session, organisation, LIST_LIMIT)
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
        (
            Button(ORGANISATION_BUTTON, _("🏛️ Our organisation")),
            Button(MAIN_MENU_BUTTON, _("🏠 Main menu")),
        ),
    )
    return Prompt(text, (*items, *actions))


async def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == MAIN_MENU_BUTTON:
        return Goto(MAIN_MENU)
    if payload == ORGANISATION_BUTTON:
        return Goto(ORGANISATION_CARD)
    if payload == NEW:
        return Goto(NEW_OPPORTUNITY)
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
        if opportunity.status == OpportunityStatus.OPEN
        else Button(REOPEN, _("▶️ Reopen"))
    )
    closed = opportunity.status == OpportunityStatus.CLOSED
    waiting = opportunity.status == OpportunityStatus.PENDING  # only a coordinator opens it
    buttons = ((close,),) if waiting else ((toggle,),) if closed else ((toggle, close),)
    draft = _draft_of(opportunity, organisation)
    return Prompt(paragraphs(opportunity_text(ctx, draft), status), buttons)


async def _detail_chosen(ctx: Ctx, payload: str) -> Outcome:
    opportunity = await _chosen_opportunity(ctx)
    if opportunity is None:
        return Goto("list", notes=(_("This opportunity is no longer available."),))
    if payload == CLOSE:
        return Goto("close")
    if opportunity.status == OpportunityStatus.PENDING:
        return Goto("detail", notes=(_("A coordinator checks this opportunity first."),))
    paused = payload == PAUSE
    status = OpportunityStatus.PAUSED if paused else OpportunityStatus.OPEN
    opportunities.set_status(ctx.session, opportunity, status, ctx.now)
    if paused:
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
    opportunities.set_status(ctx.session, opportunity, OpportunityStatus.CLOSED, ctx.now)
    return Goto("list", notes=(_("✔️ Closed. Thank you for letting us know."),))


FLOW = Flow(
    OPPORTUNITIES,
    start="list",
    steps={
        "list": Step(
            ask=_ask_list,
            on_choice=_list_chosen,
            next=(MAIN_MENU, ORGANISATION_CARD, NEW_OPPORTUNITY, "detail"),
            cancel=False,
        ),
        "detail": Step(
            ask=_ask_detail, on_choice=_detail_chosen, next=("list", "close"), back="list"
        ),
        "close": Step(
            ask=_ask_close, on_choice=_close_chosen, next=("detail", "list"), back="detail"
        ),
    },
)
