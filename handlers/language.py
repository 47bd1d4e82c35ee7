"""Choosing the language: the first step of onboarding and the flow behind /language."""

from __future__ import annotations

from engine.i18n import Raw, _
from engine.steps import Ctx, Flow, Outcome, Prompt, Return, Step
from engine.types import Button
from exchange import people
from handlers.targets import LANGUAGE_FLOW
from locales import LANGUAGES

PREFIX = "lang:"


def offered_languages(ctx: Ctx) -> list[str]:
    """The deployment's languages, the one proposed for this person first."""
    codes = [
        code for code in ctx.tr.languages if code in ctx.deployment.languages
    ] or ctx.tr.languages
    proposed = ctx.language
    return sorted(codes, key=lambda code: code != proposed)


def language_buttons(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    """One button per language, each named in itself, two per row."""
    buttons = [
        Button(PREFIX + code, Raw(LANGUAGES[code].endonym)) for code in offered_languages(ctx)
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def set_language(ctx: Ctx, payload: str) -> None:
    """Store the chosen language: on the user once they consented, else on the conversation only."""
    code = payload.removeprefix(PREFIX)
    if ctx.user is not None:
        people.set_language(ctx.session, ctx.user, code)
    ctx.conversation.language = code


def _ask(ctx: Ctx) -> Prompt:
    return Prompt(_("Which language would you like me to use?"), language_buttons(ctx))


def _chosen(ctx: Ctx, payload: str) -> Outcome:
    set_language(ctx, payload)
    return Return(notes=(_("From now on I will write to you in English."),))


FLOW = Flow(LANGUAGE_FLOW, start="choose", steps={"choose": Step(ask=_ask, on_choice=_chosen)})
