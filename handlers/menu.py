"""The main menu: what each role can do, plus role, language and help."""

from __future__ import annotations

from engine.commands import help_text
from engine.i18n import Msg, _, paragraphs
from engine.steps import Call, Ctx, Flow, Goto, Outcome, Prompt, Retry, Say, Step
from engine.types import Button
from handlers import agency, contact, organisation, profile, request
from handlers.onboarding import ask_role, role_chosen
from handlers.targets import (
    AGENCY_QUEUE,
    CALL_BACK_PHONE,
    LANGUAGE,
    MAIN_MENU,
    MENU,
    MY_REQUESTS,
    NEW_PROFILE,
    NEW_REQUEST,
    NEW_REQUEST_FOR_SOMEONE,
    NEW_REQUEST_NAME,
    ORGANISATION_CARD,
    PROFILE_CARD,
    REGISTER_ORGANISATION,
    REQUEST_AGAIN,
    REQUEST_TIME,
)
from storage.models import Role

PROFILE = "menu:profile"
ASK_HELP = "menu:ask"
REQUESTS = "menu:requests"
CHANGE_ROLE = "menu:role"
CHANGE_LANGUAGE = "menu:language"
HELP = "menu:help"
AGENCY_MENU = "menu:agency"

ROLE_INTROS: dict[Role, Msg] = {
    Role.VOLUNTEER: _(
        "🙋 You take part as a volunteer. In your profile you say what help you offer, where "
        "and when; we then send you requests that fit."
    ),
    Role.SEEKER: _(
        "🤝 You are looking for help, for example with shopping or a visit to the doctor. "
        "Tell us what you need and we look for a volunteer."
    ),
    Role.RELATIVE: _(
        "👪 You ask for help for someone else, a relative or a neighbour. You stay the contact "
        "and we keep you informed."
    ),
    Role.ORGANISATION: _(
        "🏛️ You represent an organisation. Once a coordinator has approved it, you can post "
        "opportunities for volunteers."
    ),
}


def _role_actions(ctx: Ctx, role: Role | None) -> tuple[tuple[Button, ...], ...]:
    if role == Role.VOLUNTEER:
        return ((Button(PROFILE, _("👤 My volunteer profile")),),)
    if role in (Role.SEEKER, Role.RELATIVE):
        ask = _("🆘 Ask for help") if role == Role.SEEKER else _("👪 Ask for help for someone")
        return ((Button(ASK_HELP, ask),), (Button(REQUESTS, _("📋 My requests")),))
    return organisation.menu_buttons(ctx)


async def _ask_main(ctx: Ctx) -> Prompt:
    role = ctx.user.role if ctx.user is not None else None
    intro = ROLE_INTROS.get(role) if role else None
    queue = await agency.menu_label(ctx)
    buttons = (
        *(((Button(AGENCY_MENU, queue),),) if queue is not None else ()),
        *_role_actions(ctx, role),
        (Button(CHANGE_ROLE, _("🔄 Change my role") if role else _("Choose my role")),),
        (Button(CHANGE_LANGUAGE, _("🌐 Language")), Button(HELP, _("❓ Help"))),
    )
    text = intro or _("Please tell us how you would like to take part.")
    return Prompt(paragraphs(_("🏠 Main menu"), text), buttons)


async def _main_chosen(ctx: Ctx, payload: str) -> Outcome:
    role = ctx.user.role if ctx.user is not None else None
    if payload == PROFILE:
        return await profile.open_profile(ctx)
    if payload == ASK_HELP:
        return request.start(for_someone_else=role == Role.RELATIVE)
    if payload == REQUESTS:
        return Goto(MY_REQUESTS)
    if payload == CHANGE_ROLE:
        return Goto("role")
    if payload == CHANGE_LANGUAGE:
        return Call(LANGUAGE)
    if payload == AGENCY_MENU:
        return Goto(AGENCY_QUEUE) if await agency.scope(ctx) else agency.not_allowed()
    outcome = await organisation.menu_chosen(ctx, payload)
    return outcome if outcome is not None else Say(help_text(ctx))


async def _main_typed(ctx: Ctx, text: str) -> Outcome:
    """Someone asking for help who writes instead of pressing: a request prefilled with what
    the message names, or a person of the agency calls back."""
    role = ctx.user.role if ctx.user is not None else None
    if role not in (Role.SEEKER, Role.RELATIVE):
        return Retry(_("Please choose one of the buttons below."))
    prefilled = contact.understood(ctx, text)
    if prefilled is not None:
        return Goto(
            prefilled.to,
            notes=(_("I understood this much. Please answer the rest."),),
            data=prefilled.data,
        )
    return await contact.call_back(ctx, note=text[: contact.NOTE_LIMIT])


async def _main_spoken(ctx: Ctx, voice: str) -> Outcome:
    role = ctx.user.role if ctx.user is not None else None
    if role not in (Role.SEEKER, Role.RELATIVE):
        return Retry(_("I can only read text messages and button presses here."))
    return await contact.call_back(ctx, voice=voice)


FLOW = Flow(
    MENU,
    start="main",
    steps={
        "main": Step(
            ask=_ask_main,
            on_choice=_main_chosen,
            on_text=_main_typed,
            on_voice=_main_spoken,
            next=(
                AGENCY_QUEUE,
                CALL_BACK_PHONE,
                REQUEST_AGAIN,
                REQUEST_TIME,
                NEW_REQUEST_NAME,
                NEW_PROFILE,
                PROFILE_CARD,
                NEW_REQUEST,
                NEW_REQUEST_FOR_SOMEONE,
                MY_REQUESTS,
                "role",
                LANGUAGE,
                REGISTER_ORGANISATION,
                ORGANISATION_CARD,
            ),
            cancel=False,
        ),
        "role": Step(ask=ask_role, on_choice=role_chosen, next=(MAIN_MENU,), back="main"),
    },
)
