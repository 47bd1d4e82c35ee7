"""The main menu of each role. Later dialogues hang off these menus."""

from __future__ import annotations

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
from handlers.types import Button

CHANGE_ROLE = "menu:role"
LANGUAGE = "menu:language"
HELP = "menu:help"

ROLE_INTROS: dict[str, Msg] = {
    VOLUNTEER: _(
        "🙋 You take part as a volunteer. Soon you can set up here what help you offer, "
        "where and when. We will then send you requests that fit."
    ),
    SEEKER: _(
        "🤝 You are looking for help. Soon you can ask for help here, for example with "
        "shopping or a visit to the doctor."
    ),
    RELATIVE: _(
        "👪 You ask for help for someone else, a relative or a neighbour. Soon you can ask "
        "for help for them here and we will keep you informed."
    ),
    ORGANISATION: _(
        "🏛️ You represent an organisation. Soon you can register it here and post "
        "opportunities for volunteers."
    ),
}


def _ask_main(ctx: Ctx) -> Prompt:
    role = ctx.user.role if ctx.user is not None else None
    intro = ROLE_INTROS.get(role or "", _("Please tell us how you would like to take part."))
    buttons = (
        (Button(CHANGE_ROLE, _("🔄 Change my role") if role else _("Choose my role")),),
        (Button(LANGUAGE, _("🌐 Language")), Button(HELP, _("❓ Help"))),
    )
    return Prompt(paragraphs(_("🏠 Main menu"), intro), buttons)


def _main_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == CHANGE_ROLE:
        return Goto("role")
    if payload == LANGUAGE:
        return Call("language")
    return Retry(help_text(ctx))


FLOW = Flow(
    "menu",
    start="main",
    steps={
        "main": Step(ask=_ask_main, on_choice=_main_chosen, cancel=False),
        "role": Step(ask=ask_role, on_choice=role_chosen, back="main"),
    },
)
