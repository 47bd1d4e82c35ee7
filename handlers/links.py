"""Where a start link leads (`exchange.links`): someone new answers the first questions, then
arrives; someone registered arrives at once.

- a district's poster (`d-<district>`): the district becomes the person's own and is offered
  first wherever they choose a district;
- an organisation's flyer (`o-<organisation>`): its open positions and projects, each with
  "I'm interested" (which needs a volunteer profile: the list offers to make one);
- an invitation: accepting it (`handlers.invitation`).
"""

from __future__ import annotations

from engine.i18n import Msg, Raw, Text, _, _n, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from engine.types import Button
from exchange import links, opportunities, people
from exchange.links import Link, LinkKind
from handlers import offers, volunteer
from handlers.targets import (
    INVITATION,
    LINKED_POSITIONS,
    MAIN_MENU,
    NEW_PROFILE,
    WELCOME,
)
from storage.models import Role
from vocabulary.cards import opportunity_card

LIST_LIMIT = 10
INTERESTED = "linked:interested:"
MAKE_PROFILE = "linked:profile"
HOME = "linked:home"


async def start_link(ctx: Ctx, code: str) -> Outcome:
    """/start <code>: counted, then followed (for someone new, after the first questions)."""
    link = await links.read(ctx.session, ctx.deployment, code)
    await links.count(ctx.session, ctx.deployment, link, ctx.now, joined=False)
    if ctx.user is None:
        return Goto(WELCOME, data={"start_code": code})
    return _arrive(ctx, link, notes=())


async def after_consent(ctx: Ctx, notes: tuple[Msg, ...]) -> Outcome | None:
    """Someone new agreed to the privacy notice after opening a start link: counted as joined, and
    led where the link points. None when there was no link or it leads nowhere in particular."""
    code = ctx.data.get("start_code")
    if not isinstance(code, str) or not code:
        return None
    link = await links.read(ctx.session, ctx.deployment, code)
    await links.count(ctx.session, ctx.deployment, link, ctx.now, joined=True)
    if link.kind == LinkKind.DISTRICT:
        assert ctx.user is not None
        links.follow_district(ctx.user, link)
        return None  # the usual questions follow, the municipality already known
    if link.kind == LinkKind.OTHER:
        return None
    return _arrive(ctx, link, notes)


def _arrive(ctx: Ctx, link: Link, notes: tuple[Msg, ...]) -> Outcome:
    assert ctx.user is not None
    if link.kind == LinkKind.INVITATION:
        return Goto(INVITATION, notes=notes, data={"start_code": link.code})
    if link.kind == LinkKind.ORGANISATION and link.organisation is not None:
        if ctx.user.municipality is None:
            people.set_municipality(ctx.session, ctx.user, link.organisation.municipality)
        return Goto(LINKED_POSITIONS, notes=notes, data={"organisation": link.organisation.id})
    if link.district is not None and links.follow_district(ctx.user, link):
        note = _(
            "📍 {district} is now your district. We show it first when you choose a district.",
            district=Raw(link.district.name),
        )
        return Goto(MAIN_MENU, notes=(*notes, note))
    return Goto(MAIN_MENU, notes=(*notes, _("Welcome back!")))


async def _ask_positions(ctx: Ctx) -> Prompt:
    home = ((Button(HOME, _("🏠 Main menu")),),)
    organisation = await links.approved_organisation(ctx.session, ctx.data.get("organisation"))
    if organisation is None:
        return Prompt(_("This organisation no longer posts here."), home)
    found = await opportunities.open_of_organisation(ctx.session, organisation, LIST_LIMIT)
    if not found:
        text: Text = _(
            "{organisation} has no open position or project right now. We tell volunteers "
            "when there is a new one.",
            organisation=Raw(organisation.name),
        )
        return Prompt(text, (*await _profile_row(ctx), *home))
    title = _n(
        "📌 {organisation} is looking for volunteers, {n} position or project:",
        "📌 {organisation} is looking for volunteers, {n} positions and projects:",
        len(found),
        organisation=Raw(organisation.name),
    )
    cards = [
        paragraphs(Raw(f"{number}."), opportunity_card(ctx.deployment, position, organisation))
        for number, position in enumerate(found, 1)
    ]
    buttons = tuple(
        (Button(f"{INTERESTED}{position.id}", _("🙋 {number}: I'm interested", number=number)),)
        for number, position in enumerate(found, 1)
    )
    return Prompt(paragraphs(title, *cards), (*buttons, *await _profile_row(ctx), *home))


async def _profile_row(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    """Who has no volunteer profile yet is offered to make one."""
    if await volunteer.load_profile(ctx) is not None:
        return ()
    return ((Button(MAKE_PROFILE, _("🙋 Make my volunteer profile")),),)


async def _chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None and ctx.user.id is not None
    if payload == HOME:
        return Goto(MAIN_MENU)
    if payload == MAKE_PROFILE:
        if ctx.user.role is None:
            people.set_role(ctx.session, ctx.user, Role.VOLUNTEER)
        return Goto(NEW_PROFILE)
    opportunity_id = payload.removeprefix(INTERESTED)
    if not opportunity_id.isdigit():
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    profile = await volunteer.load_profile(ctx)
    if profile is None:
        return Retry(
            _(
                "To tell the organisation that you are interested, please make your volunteer "
                "profile first. It takes two minutes."
            )
        )
    return await offers.interested_in_listed(ctx, profile, int(opportunity_id))


FLOW = Flow(
    LINKED_POSITIONS.flow,
    start="positions",
    steps={
        "positions": Step(
            ask=_ask_positions, on_choice=_chosen, next=(MAIN_MENU, NEW_PROFILE), cancel=False
        ),
    },
)
