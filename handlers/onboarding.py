"""Onboarding: language, privacy notice and consent, municipality (if several), role.

Nothing about a person is stored before they consent but the dialogue state (user key, language,
deep-link code, step); declining deletes it, and so does planning, `unconsented_hours` (48) after
their last message (`exchange.privacy.forget_unconsented`).
"""

from __future__ import annotations

from engine.i18n import Msg, Raw, _
from engine.steps import Ctx, End, Flow, Goto, Outcome, Prompt, Say, Step
from engine.types import Button
from exchange import people
from handlers import links, request
from handlers.language import language_buttons, offered_languages, set_language
from handlers.targets import (
    CONSENT,
    INVITATION,
    LINKED_POSITIONS,
    MAIN_MENU,
    NEW_PROFILE,
    NEW_REQUEST,
    NEW_REQUEST_FOR_SOMEONE,
    ONBOARDING,
    WELCOME,
)
from storage.models import Role

CONSENT_YES = "consent:yes"
CONSENT_NO = "consent:no"
NOTICE = "consent:notice"
OTHER_LANGUAGE = "consent:language"
# Channels whose language code is the one the person's phone is set to (not the console's).
PHONE_LANGUAGE_CHANNELS = ("telegram:",)
MUNICIPALITY_PREFIX = "municipality:"
ROLE_PREFIX = "role:"

ROLE_LABELS: dict[Role, Msg] = {
    Role.VOLUNTEER: _("🙋 I want to help"),
    Role.SEEKER: _("🤝 I need help"),
    Role.RELATIVE: _("👪 I ask for help for someone else"),
    Role.ORGANISATION: _("🏛️ I represent an organisation"),
}


def greeting(ctx: Ctx) -> Goto:
    """A newcomer whose phone reports a language the bot speaks starts with consent in it
    (a button there chooses another); anyone else with the language question."""
    code = ctx.incoming.language_code
    if not code or not ctx.conversation.key.startswith(PHONE_LANGUAGE_CHANNELS):
        return Goto(WELCOME)
    language = ctx.tr.resolve(code)
    spoken = code.replace("_", "-").split("-")[0].lower()
    if ctx.tr.base_language(language) != spoken or language not in offered_languages(ctx):
        return Goto(WELCOME)  # not a language the bot speaks: German is only proposed
    ctx.conversation.language = language
    return Goto(CONSENT, data={"phone_language": True})


def _ask_language(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "Welcome to {agency}! Here neighbours help neighbours.\n"
            "Which language would you like me to use?",
            agency=ctx.deployment.agency.name,
        ),
        language_buttons(ctx),
    )


def _language_chosen(ctx: Ctx, payload: str) -> Outcome:
    set_language(ctx, payload)
    ctx.data.pop("phone_language", None)
    return Goto("privacy")


def _ask_privacy(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "🔒 Before we start: {agency} stores what you tell us here only to arrange help "
            "between neighbours. Only the coordinators of the agency and the people you are "
            "put in touch with see it. You can ask at any time what is stored about you and have "
            "it deleted. Contact: {contact}\n\n"
            "Do you agree?",
            agency=ctx.deployment.agency.name,
            contact=ctx.deployment.agency.contact,
        ),
        (
            (Button(CONSENT_YES, _("✅ I agree")), Button(CONSENT_NO, _("No, thank you"))),
            *(
                ((Button(NOTICE, _("📄 Full privacy notice")),),)
                if ctx.deployment.agency.notice(ctx.language)
                else ()
            ),
            # Not asked which language: a button to choose another.
            *(
                ((Button(OTHER_LANGUAGE, _("🌐 Language")),),)
                if ctx.user is None and ctx.data.get("phone_language")
                else ()
            ),
        ),
    )


async def _consent_given(ctx: Ctx, payload: str) -> Outcome:
    if payload == NOTICE:
        return Say(Raw(ctx.deployment.agency.notice(ctx.language) or ""))
    if payload == OTHER_LANGUAGE:
        return Goto("language")
    if ctx.user is not None:
        return _consent_renewed(ctx, payload)
    if payload == CONSENT_NO:
        return End(
            notes=(
                _(
                    "Understood. We have stored nothing about you. "
                    "If you change your mind, just send /start."
                ),
            )
        )
    municipalities = ctx.deployment.municipalities
    ctx.user = people.register(
        ctx.session,
        key=ctx.conversation.key,
        language=ctx.language,
        municipality=municipalities[0].id if len(municipalities) == 1 else None,
        consent_version=ctx.deployment.agency.privacy_version,
        now=ctx.now,
    )
    thanks = (_("Thank you!"),)
    linked = await links.after_consent(ctx, thanks)
    if linked is not None:
        return linked
    return (
        Goto("role", notes=thanks)
        if ctx.user.municipality is not None
        else Goto("municipality", notes=thanks)
    )


def _consent_renewed(ctx: Ctx, payload: str) -> Outcome:
    """Someone already registered answers a new version of the privacy notice."""
    assert ctx.user is not None
    if payload == CONSENT_NO:
        return End(
            notes=(
                _(
                    "Understood. We will not send you anything. To agree later, send /start; "
                    "to have everything about you deleted, send /delete."
                ),
            )
        )
    people.renew_consent(ctx.session, ctx.user, ctx.deployment.agency.privacy_version, ctx.now)
    return Goto(MAIN_MENU, notes=(_("Thank you!"),))


def _municipality_known(ctx: Ctx) -> bool:
    """One municipality only, or a district's start link said which."""
    return len(ctx.deployment.municipalities) == 1 or (
        ctx.user is not None and ctx.user.municipality is not None
    )


def _ask_municipality(ctx: Ctx) -> Prompt:
    buttons = tuple(
        (Button(MUNICIPALITY_PREFIX + m.id, Raw(m.name)),) for m in ctx.deployment.municipalities
    )
    return Prompt(_("Where do you live, or where is help needed?"), buttons)


def _municipality_chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None
    people.set_municipality(ctx.session, ctx.user, payload.removeprefix(MUNICIPALITY_PREFIX))
    return Goto("role")


def ask_role(ctx: Ctx) -> Prompt:
    buttons = tuple((Button(ROLE_PREFIX + role, label),) for role, label in ROLE_LABELS.items())
    return Prompt(
        _("How would you like to take part? You can change this later in the menu."), buttons
    )


def role_chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None
    people.set_role(ctx.session, ctx.user, Role(payload.removeprefix(ROLE_PREFIX)))
    return Goto(MAIN_MENU)


def _first_role_chosen(ctx: Ctx, payload: str) -> Outcome:
    """A newcomer's role starts its dialogue at once: the profile, or the request."""
    assert ctx.user is not None
    role = Role(payload.removeprefix(ROLE_PREFIX))
    people.set_role(ctx.session, ctx.user, role)
    if role == Role.VOLUNTEER:
        return Goto(NEW_PROFILE)
    if role in (Role.SEEKER, Role.RELATIVE):
        return request.start(for_someone_else=role == Role.RELATIVE)
    return Goto(MAIN_MENU)


FLOW = Flow(
    ONBOARDING,
    start="language",
    steps={
        "language": Step(ask=_ask_language, on_choice=_language_chosen, next=("privacy",)),
        "privacy": Step(
            ask=_ask_privacy,
            on_choice=_consent_given,
            next=("role", "municipality", "language", MAIN_MENU, INVITATION, LINKED_POSITIONS),
            back="language",
        ),
        "municipality": Step(
            ask=_ask_municipality,
            on_choice=_municipality_chosen,
            next=("role",),
            skip=_municipality_known,
        ),
        "role": Step(
            ask=ask_role,
            on_choice=_first_role_chosen,
            next=(MAIN_MENU, NEW_PROFILE, NEW_REQUEST, NEW_REQUEST_FOR_SOMEONE),
            back="municipality",
        ),
    },
)
