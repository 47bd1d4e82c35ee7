"""The Börse for volunteers: open requests and positions that fit them, to browse and to take.

Three to a page, nearest and soonest first; one tap narrows the list to one of the volunteer's
kinds of help or districts (each tap moves on to the next, then back to all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from engine.i18n import Raw, Text, _, _n, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Return, Say, Step
from engine.types import Button
from exchange import announcements, boerse, relays
from exchange.announcements import Filter
from exchange.matches import Answer
from handlers import offers, volunteer
from handlers.targets import BOERSE
from town.deployment import Deployment
from vocabulary.cards import opportunity_card, request_card
from vocabulary.labels import kind_label

T = TypeVar("T")
PAGE = 3
TAKE = "take:"
INTERESTED = "interested:"
KIND = "filter:kind"
DISTRICT = "filter:district"
EARLIER = "page:earlier"
LATER = "page:later"
DONE = "boerse:done"


def _next_of(current: str | None, choices: Sequence[str]) -> str | None:
    """The next choice after `current`; after the last, None (everything)."""
    if current not in choices:
        return choices[0] if choices else None
    index = choices.index(current) + 1
    return choices[index] if index < len(choices) else None


async def _choices(ctx: Ctx) -> tuple[list[str], list[str]]:
    """The volunteer's kinds of help and districts, in the deployment's order."""
    profile = await volunteer.load_profile(ctx)
    if profile is None:
        return [], []
    seen, places = await announcements.as_matching_sees(ctx.session, profile)
    mine = {d for districts in places.values() for d in districts}
    kinds = [c.id for c in ctx.deployment.categories if c.id in seen.categories]
    districts = [d.id for m in ctx.deployment.municipalities for d in m.districts if d.id in mine]
    return kinds, districts


def _filter(ctx: Ctx) -> Filter:
    return Filter(kind=ctx.data.get("kind"), district=ctx.data.get("district"))


def _district_name(deployment: Deployment, district: str) -> Text:
    for municipality in deployment.municipalities:
        found = municipality.district(district)
        if found is not None:
            return Raw(found.name)
    return Raw(district)


def _filter_buttons(ctx: Ctx, kinds: list[str], districts: list[str]) -> tuple[Button, ...]:
    kind, district = ctx.data.get("kind"), ctx.data.get("district")
    buttons: list[Button] = []
    if len(kinds) > 1:
        label = kind_label(ctx.deployment, kind) if kind else _("all kinds of help")
        buttons.append(Button(KIND, _("🔀 {choice}", choice=label)))
    if len(districts) > 1:
        label = _district_name(ctx.deployment, district) if district else _("all districts")
        buttons.append(Button(DISTRICT, _("🔀 {choice}", choice=label)))
    return tuple(buttons)


def _page_buttons(ctx: Ctx, total: int) -> tuple[Button, ...]:
    page = int(ctx.data.get("page", 0))
    buttons = []
    if page > 0:
        buttons.append(Button(EARLIER, _("⬅️ Back a page")))
    if (page + 1) * PAGE < total:
        buttons.append(Button(LATER, _("➡️ More")))
    return tuple(buttons)


def _page(ctx: Ctx, items: Sequence[T]) -> list[tuple[int, T]]:
    """The items of the page shown, numbered (a page past the end shows the last one)."""
    page = int(ctx.data.get("page", 0))
    start = min(page * PAGE, max(len(items) - 1, 0) // PAGE * PAGE)
    ctx.data["page"] = start // PAGE
    return list(enumerate(items[start : start + PAGE], start=start + 1))


async def _browse(ctx: Ctx, payload: str) -> Outcome | None:
    """Narrowing and paging, shared by both lists; None if the button is not one of those."""
    kinds, districts = await _choices(ctx)
    if payload == KIND:
        ctx.data["kind"], ctx.data["page"] = _next_of(ctx.data.get("kind"), kinds), 0
    elif payload == DISTRICT:
        ctx.data["district"] = _next_of(ctx.data.get("district"), districts)
        ctx.data["page"] = 0
    elif payload == EARLIER:
        ctx.data["page"] = max(int(ctx.data.get("page", 0)) - 1, 0)
    elif payload == LATER:
        ctx.data["page"] = int(ctx.data.get("page", 0)) + 1
    elif payload == DONE:
        return Return()
    else:
        return None
    return Goto(ctx.conversation.step)


# --- open requests ---------------------------------------------------------------------------


async def _ask_requests(ctx: Ctx) -> Prompt:
    profile = await volunteer.load_profile(ctx)
    back = ((Button(DONE, _("↩️ Back")),),)
    if profile is None:
        return Prompt(_("You have no volunteer profile."), back)
    found = await boerse.open_requests(ctx.session, ctx.deployment, profile, ctx.now, _filter(ctx))
    kinds, districts = await _choices(ctx)
    filters = _filter_buttons(ctx, kinds, districts)
    if not found:
        text = _("🔎 Right now no open request fits you. We send you new ones as they come.")
        return Prompt(text, (*((filters,) if filters else ()), *back))
    shown = _page(ctx, found)
    cards = [
        paragraphs(Raw(f"{number}."), request_card(ctx.deployment, request))
        for number, request in shown
    ]
    takes = [
        (Button(f"{TAKE}{request.id}", _("✅ {number}: I can help", number=number)),)
        for number, request in shown
    ]
    title = _n("🔎 {n} open request fits you:", "🔎 {n} open requests fit you:", len(found))
    rows = [*takes, *((filters,) if filters else ())]
    paging = _page_buttons(ctx, len(found))
    if paging:
        rows.append(paging)
    return Prompt(paragraphs(title, *cards), (*rows, *back))


async def _requests_chosen(ctx: Ctx, payload: str) -> Outcome:
    browsed = await _browse(ctx, payload)
    if browsed is not None:
        return browsed
    profile = await volunteer.load_profile(ctx)
    request_id = payload.removeprefix(TAKE)
    if profile is None or ctx.user is None or not request_id.isdigit():
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    answer, found = await boerse.take(
        ctx.session, ctx.deployment, int(request_id), profile, ctx.user, ctx.now
    )
    if answer == Answer.BOOKED:
        return Retry(offers.booked())
    if answer != Answer.ACCEPTED or found is None:
        return Retry(_("Someone else was quicker; this request is taken. Thank you!"))
    relay = await relays.of_match(ctx.session, found.match_id)
    text, buttons = offers.accepted(
        ctx.deployment, found.request, found.match, relay.id if relay else None
    )
    ctx.about.add(found.request.asker_id)
    return Say(text, buttons)


# --- positions and projects ------------------------------------------------------------------


async def _ask_positions(ctx: Ctx) -> Prompt:
    profile = await volunteer.load_profile(ctx)
    back = ((Button(DONE, _("↩️ Back")),),)
    if profile is None:
        return Prompt(_("You have no volunteer profile."), back)
    found = await announcements.open_positions(ctx.session, ctx.deployment, profile, _filter(ctx))
    kinds, districts = await _choices(ctx)
    filters = _filter_buttons(ctx, kinds, districts)
    if not found:
        text = _("📌 Right now no position or project fits you. We tell you of new ones.")
        return Prompt(text, (*((filters,) if filters else ()), *back))
    shown = _page(ctx, found)
    cards = [
        paragraphs(Raw(f"{number}."), opportunity_card(ctx.deployment, position, organisation))
        for number, (position, organisation) in shown
    ]
    buttons = [
        (Button(f"{INTERESTED}{position.id}", _("🙋 {number}: I'm interested", number=number)),)
        for number, (position, _organisation) in shown
    ]
    title = _n(
        "📌 {n} position or project fits you:",
        "📌 {n} positions and projects fit you:",
        len(found),
    )
    rows = [*buttons, *((filters,) if filters else ())]
    paging = _page_buttons(ctx, len(found))
    if paging:
        rows.append(paging)
    return Prompt(paragraphs(title, *cards), (*rows, *back))


async def _positions_chosen(ctx: Ctx, payload: str) -> Outcome:
    browsed = await _browse(ctx, payload)
    if browsed is not None:
        return browsed
    profile = await volunteer.load_profile(ctx)
    opportunity_id = payload.removeprefix(INTERESTED)
    if profile is None or ctx.user is None or ctx.user.id is None or not opportunity_id.isdigit():
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    return await offers.interested_in_listed(ctx, profile, int(opportunity_id))


FLOW = Flow(
    BOERSE,
    start="requests",
    steps={
        "requests": Step(ask=_ask_requests, on_choice=_requests_chosen, cancel=False),
        "positions": Step(ask=_ask_positions, on_choice=_positions_chosen, cancel=False),
    },
)
