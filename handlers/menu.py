"""The main menu: what each role can do, plus role, language and help."""

from __future__ import annotations

from handlers import organisation, request
from handlers.commands import help_text
from handlers.flow import Call, Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from handlers.i18n import Msg, _, paragraphs
from handlers.onboarding import (
    ORGANISATION,
    RELATIVE,
    SEEKER,
    VOLUNTEER,
    ask_role,
    role_chosen,
)
from handlers.profile import open_profile
from handlers.types import Button

PROFILE = "menu:profile"
ASK_HELP = "menu:ask"
MY_REQUESTS = "menu:requests"
CHANGE_ROLE = "menu:role"
LANGUAGE = "menu:language"
HELP = "menu:help"

ROLE_INTROS: dict[str, Msg] = {
    VOLUNTEER: _(
        "🙋 You take part as a volunteer. In your profile you say what help you offer, where "
        "and when; we then send you requests that fit."
    ),
    SEEKER: _(
        "🤝 You are looking for help, for example with shopping or a visit to the doctor. "
        "Tell us what you need and we look for a volunteer."
    ),
    RELATIVE: _(
        "👪 You ask for help for someone else, a relative or a neighbour. You stay the contact "
        "and we keep you informed."
    ),
    ORGANISATION: _(
        "🏛️ You represent an organisation. Once a coordinator has approved it, you can post "
        "opportunities for volunteers."
    ),
}


def _role_actions(ctx: Ctx, role: str | None) -> tuple[tuple[Button, ...], ...]:
    if role == VOLUNTEER:
        return ((Button(PROFILE, _("👤 My volunteer profile")),),)
    if role in (SEEKER, RELATIVE):
        ask = _("🆘 Ask for help") if role == SEEKER else _("👪 Ask for help for someone")
        return ((Button(ASK_HELP, ask),), (Button(MY_REQUESTS, _("📋 My requests")),))
    return organisation.menu_buttons(ctx)


def _ask_main(ctx: Ctx) -> Prompt:
    role = ctx.user.role if ctx.user is not None else None
    intro = ROLE_INTROS.get(role or "", _("Please tell us how you would like to take part."))
    buttons = (
        *_role_actions(ctx, role),
        (Button(CHANGE_ROLE, _("🔄 Change my role") if role else _("Choose my role")),),
        (Button(LANGUAGE, _("🌐 Language")), Button(HELP, _("❓ Help"))),
    )
    return Prompt(paragraphs(_("🏠 Main menu"), intro), buttons)


async def _main_chosen(ctx: Ctx, payload: str) -> Outcome:
    role = ctx.user.role if ctx.user is not None else None
    if payload == PROFILE:
        return await open_profile(ctx)
    if payload == ASK_HELP:
        return request.start(for_someone_else=role == RELATIVE)
    if payload == MY_REQUESTS:
        return Goto("list", flow="requests")
    if payload == CHANGE_ROLE:
        return Goto("role")
    if payload == LANGUAGE:
        return Call("language")
    outcome = await organisation.menu_chosen(ctx, payload)
    return outcome if outcome is not None else Retry(help_text(ctx))


FLOW = Flow(
    "menu",
    start="main",
    steps={
        "main": Step(ask=_ask_main, on_choice=_main_chosen, cancel=False),
        "role": Step(ask=ask_role, on_choice=role_chosen, back="main"),
    },
)
