"""The main menu: what each role can do, plus role, language and help."""

from __future__ import annotations

from engine.commands import help_text
from engine.i18n import Msg, _, paragraphs
from engine.steps import Call, Ctx, Flow, Goto, Outcome, Prompt, Say, Step
from engine.types import Button
from handlers import organisation, profile, request
from handlers.onboarding import ask_role, role_chosen
from handlers.targets import (
    LANGUAGE,
    MAIN_MENU,
    MENU,
    MY_REQUESTS,
    NEW_PROFILE,
    NEW_REQUEST,
    NEW_REQUEST_FOR_SOMEONE,
    ORGANISATION_CARD,
    PROFILE_CARD,
    REGISTER_ORGANISATION,
)
from storage.models import Role

PROFILE = "menu:profile"
ASK_HELP = "menu:ask"
REQUESTS = "menu:requests"
CHANGE_ROLE = "menu:role"
CHANGE_LANGUAGE = "menu:language"
HELP = "menu:help"

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


def _ask_main(ctx: Ctx) -> Prompt:
    role = ctx.user.role if ctx.user is not None else None
    intro = ROLE_INTROS.get(role) if role else None
    buttons = (
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
    outcome = await organisation.menu_chosen(ctx, payload)
    return outcome if outcome is not None else Say(help_text(ctx))


FLOW = Flow(
    MENU,
    start="main",
    steps={
        "main": Step(
            ask=_ask_main,
            on_choice=_main_chosen,
            next=(
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
