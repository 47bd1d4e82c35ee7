"""A volunteer's own profile: look at it, change it, pause or resume offers, or delete it."""

from __future__ import annotations

from engine.i18n import _, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Step
from engine.types import Button
from exchange import volunteers
from handlers import volunteer
from handlers.targets import MAIN_MENU, NEW_PROFILE, PROFILE, PROFILE_CARD, PROFILE_EDIT

CHANGE = "profile:change"
PAUSE = "profile:pause"
RESUME = "profile:resume"
DELETE = "profile:delete"
MENU = "profile:menu"
CONFIRM_DELETE = "profile:delete:yes"
KEEP = "profile:delete:no"


async def open_profile(ctx: Ctx) -> Outcome:
    """The volunteer's profile card, or the questions for a new profile."""
    if await volunteer.load_profile(ctx) is None:
        return Goto(NEW_PROFILE)
    return Goto(PROFILE_CARD)


async def _ask_card(ctx: Ctx) -> Prompt:
    profile = await volunteer.load_profile(ctx)
    if profile is None:  # deleted meanwhile, e.g. from a second device
        return Prompt(_("You have no volunteer profile."), ((Button(MENU, _("🏠 Main menu")),),))
    ctx.conversation.data = await volunteer.profile_draft(ctx, profile)
    toggle = (
        Button(RESUME, _("▶️ Resume offers"))
        if profile.paused
        else Button(PAUSE, _("⏸ Pause offers"))
    )
    buttons = (
        (Button(CHANGE, _("✏️ Change something")),),
        (toggle, Button(DELETE, _("🗑 Delete profile"))),
        (Button(MENU, _("🏠 Main menu")),),
    )
    vetted = volunteer.vetting_text(ctx, profile)
    text = (
        paragraphs(volunteer.summary_text(ctx), vetted) if vetted else volunteer.summary_text(ctx)
    )
    return Prompt(text, buttons)


async def _card_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == MENU:
        return Goto(MAIN_MENU)
    profile = await volunteer.load_profile(ctx)
    if profile is None:
        return Goto(MAIN_MENU)
    if payload == CHANGE:
        return Goto(PROFILE_EDIT, data=ctx.data)
    if payload == DELETE:
        return Goto("delete")
    volunteers.set_paused(ctx.session, profile, payload == PAUSE, ctx.now)
    if profile.paused:
        note = _("Paused. We will not send you requests until you resume.")
    else:
        note = _("Welcome back! We will send you requests again.")
    return Goto("card", notes=(note,))


def _ask_delete(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "Do you really want to delete your volunteer profile? Your kinds of help, districts, "
            "times and note will be erased."
        ),
        ((Button(CONFIRM_DELETE, _("🗑 Yes, delete it")), Button(KEEP, _("No, keep it"))),),
    )


async def _delete_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == KEEP:
        return Goto("card")
    profile = await volunteer.load_profile(ctx)
    if profile is not None:
        await volunteers.delete_profile(ctx.session, profile)
    return Goto(MAIN_MENU, notes=(_("Your volunteer profile has been deleted."),))


FLOW = Flow(
    PROFILE,
    start="card",
    steps={
        "card": Step(
            ask=_ask_card,
            on_choice=_card_chosen,
            next=(MAIN_MENU, PROFILE_EDIT, "delete"),
            cancel=False,
        ),
        "delete": Step(
            ask=_ask_delete, on_choice=_delete_chosen, next=("card", MAIN_MENU), back="card"
        ),
    },
)
