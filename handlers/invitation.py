"""Accepting a link a coordinator made: someone invited becomes coordinator or sponsor, or a
relative becomes the contact of a request the coordinator took by phone.

The link's code arrives with /start (for someone new, after they agreed to the privacy notice).
The person sees what role the invitation gives and accepts it explicitly; an unknown, used or
expired code changes nothing and says so.
"""

from __future__ import annotations

from engine.i18n import Raw, Text, _
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Step
from engine.types import Button
from exchange import invitations, people
from exchange.invitations import Standing
from handlers.targets import INVITATION, MAIN_MENU
from storage.models import Invitation, Role, StaffKind
from town.deployment import Deployment
from vocabulary.cards import kind_of, when_of

ACCEPT = "invitation:accept"
REFUSE = "invitation:refuse"


def role_text(deployment: Deployment, invitation: Invitation) -> Text:
    place = deployment.municipality(invitation.municipality)
    town = Raw(place.name if place else invitation.municipality)
    if invitation.kind == StaffKind.COORDINATOR:
        return _("coordinator for {town}", town=town)
    names = [
        district.name
        for district_id in invitation.districts
        if place is not None and (district := place.district(district_id)) is not None
    ]
    return _("sponsor for {districts} ({town})", districts=Raw(", ".join(names)), town=town)


def _refused(standing: Standing) -> Prompt:
    text = {
        Standing.EXPIRED: _("This invitation has expired. Please ask for a new one."),
        Standing.USED: _("This invitation was used already. Please ask for a new one."),
    }.get(standing, _("This link is not valid."))
    return Prompt(text, ((Button(REFUSE, _("🏠 Main menu")),),))


def _handing_over(ctx: Ctx) -> bool:
    code = ctx.data.get("start_code")
    return isinstance(code, str) and code.startswith(invitations.HANDOVER_PREFIX)


async def _ask_handover(ctx: Ctx) -> Prompt:
    looked = await invitations.look_up_handover(ctx.session, ctx.data.get("start_code"), ctx.now)
    if looked.standing != Standing.VALID or looked.request is None:
        return _refused(looked.standing)
    request = looked.request
    return Prompt(
        _(
            "You are asked to be the contact for the request for {name}: {kind}, {when}. "
            "You will get every update here. Do you accept?",
            name=Raw(request.person_name or ""),
            kind=kind_of(ctx.deployment, request),
            when=when_of(request),
        ),
        ((Button(ACCEPT, _("✅ Yes, I accept")), Button(REFUSE, _("No, thank you"))),),
    )


async def _handover_chosen(ctx: Ctx) -> Outcome:
    assert ctx.user is not None
    looked = await invitations.look_up_handover(ctx.session, ctx.data.get("start_code"), ctx.now)
    handover, request = looked.handover, looked.request
    if looked.standing != Standing.VALID or handover is None or request is None:
        return Goto(MAIN_MENU, notes=(_("This link is not valid."),))
    name = request.person_name or ""
    if not await invitations.take_over_contact(ctx.session, handover, request, ctx.user, ctx.now):
        return Goto(
            MAIN_MENU, notes=(_("This invitation was used already. Please ask for a new one."),)
        )
    if ctx.user.role is None:
        people.set_role(ctx.session, ctx.user, Role.RELATIVE)
    done = _(
        "✅ You are now the contact for the request for {name}. We will write to you here.",
        name=Raw(name),
    )
    return Goto(MAIN_MENU, notes=(done,))


async def _ask(ctx: Ctx) -> Prompt:
    if _handing_over(ctx):
        return await _ask_handover(ctx)
    looked = await invitations.look_up(ctx.session, ctx.data.get("start_code"), ctx.now)
    if looked.standing != Standing.VALID or looked.invitation is None:
        return _refused(looked.standing)
    return Prompt(
        _(
            "You are invited to help the agency as {role}. You will see requests and people "
            "who need a person of the agency. Do you accept?",
            role=role_text(ctx.deployment, looked.invitation),
        ),
        ((Button(ACCEPT, _("✅ Yes, I accept")), Button(REFUSE, _("No, thank you"))),),
    )


async def _chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload != ACCEPT or ctx.user is None:
        return Goto(MAIN_MENU)
    if _handing_over(ctx):
        return await _handover_chosen(ctx)
    looked = await invitations.look_up(ctx.session, ctx.data.get("start_code"), ctx.now)
    invitation = looked.invitation
    if looked.standing != Standing.VALID or invitation is None:
        return Goto(MAIN_MENU, notes=(_("This link is not valid."),))
    if ctx.user.municipality is None:
        people.set_municipality(ctx.session, ctx.user, invitation.municipality)
    if not await invitations.accept(ctx.session, ctx.deployment, invitation, ctx.user, ctx.now):
        return Goto(
            MAIN_MENU, notes=(_("This invitation was used already. Please ask for a new one."),)
        )
    done = _(
        "✅ Welcome! You are now {role}. The agency queue is in your main menu.",
        role=role_text(ctx.deployment, invitation),
    )
    return Goto(MAIN_MENU, notes=(done,))


FLOW = Flow(
    INVITATION.flow,
    start="accept",
    steps={"accept": Step(ask=_ask, on_choice=_chosen, next=(MAIN_MENU,), cancel=False)},
)
