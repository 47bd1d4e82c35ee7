"""Onboarding: language, privacy notice and consent, municipality (if several), role.

Nothing about a person is stored before they consent: until then only the dialogue state exists,
and declining deletes it.
"""

from __future__ import annotations

from handlers.flow import Ctx, End, Flow, Goto, Outcome, Prompt, Retry, Step
from handlers.i18n import Msg, Raw, _
from handlers.language import language_buttons, set_language
from handlers.types import Button
from storage.models import User

CONSENT_YES = "consent:yes"
CONSENT_NO = "consent:no"
NOTICE = "consent:notice"
MUNICIPALITY_PREFIX = "municipality:"
ROLE_PREFIX = "role:"

VOLUNTEER = "volunteer"
SEEKER = "seeker"
RELATIVE = "relative"
ORGANISATION = "organisation"

ROLE_LABELS: dict[str, Msg] = {
    VOLUNTEER: _("🙋 I want to help"),
    SEEKER: _("🤝 I need help"),
    RELATIVE: _("👪 I ask for help for someone else"),
    ORGANISATION: _("🏛️ I represent an organisation"),
}


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
        ),
    )


def _consent_given(ctx: Ctx, payload: str) -> Outcome:
    if payload == NOTICE:
        return Retry(Raw(ctx.deployment.agency.notice(ctx.language) or ""))
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
    ctx.user = User(
        key=ctx.conversation.key,
        language=ctx.language,
        municipality=municipalities[0].id if len(municipalities) == 1 else None,
        consent_version=ctx.deployment.agency.privacy_version,
        consent_at=ctx.now,
        created_at=ctx.now,
    )
    ctx.session.add(ctx.user)
    thanks = (_("Thank you!"),)
    return (
        Goto("role", notes=thanks)
        if len(municipalities) == 1
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
    ctx.user.consent_version = ctx.deployment.agency.privacy_version
    ctx.user.consent_at = ctx.now
    ctx.session.add(ctx.user)
    return Goto("main", flow="menu", notes=(_("Thank you!"),))


def needs_consent(ctx: Ctx) -> bool:
    """Whether a registered person has yet to agree to the current privacy notice."""
    return (
        ctx.user is not None and ctx.user.consent_version != ctx.deployment.agency.privacy_version
    )


def _single_municipality(ctx: Ctx) -> bool:
    return len(ctx.deployment.municipalities) == 1


def _ask_municipality(ctx: Ctx) -> Prompt:
    buttons = tuple(
        (Button(MUNICIPALITY_PREFIX + m.id, Raw(m.name)),) for m in ctx.deployment.municipalities
    )
    return Prompt(_("Where do you live, or where is help needed?"), buttons)


def _municipality_chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None
    ctx.user.municipality = payload.removeprefix(MUNICIPALITY_PREFIX)
    ctx.session.add(ctx.user)
    return Goto("role")


def ask_role(ctx: Ctx) -> Prompt:
    buttons = tuple((Button(ROLE_PREFIX + role, label),) for role, label in ROLE_LABELS.items())
    return Prompt(
        _("How would you like to take part? You can change this later in the menu."), buttons
    )


def role_chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None
    ctx.user.role = payload.removeprefix(ROLE_PREFIX)
    ctx.session.add(ctx.user)
    return Goto("main", flow="menu")


FLOW = Flow(
    "onboarding",
    start="language",
    steps={
        "language": Step(ask=_ask_language, on_choice=_language_chosen),
        "privacy": Step(ask=_ask_privacy, on_choice=_consent_given, back="language"),
        "municipality": Step(
            ask=_ask_municipality, on_choice=_municipality_chosen, skip=_single_municipality
        ),
        "role": Step(ask=ask_role, on_choice=role_chosen, back="municipality"),
    },
)
