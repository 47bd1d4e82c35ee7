"""The main menu: what each role can do, plus role, language and help."""

from __future__ import annotations

from datetime import timedelta

from engine.commands import help_text
from engine.i18n import DateText, Msg, _, _n, paragraphs
from engine.steps import Call, Ctx, Flow, Goto, Outcome, Prompt, Retry, Say, Step
from engine.types import Button
from engine.when import today
from exchange import relays, volunteers
from handlers import agency, contact, organisation, profile, request, volunteer
from handlers.onboarding import ask_role, role_chosen
from handlers.targets import (
    AGENCY_QUEUE,
    CALL_BACK_PHONE,
    DOCUMENTS,
    DONATIONS,
    EVENTS,
    LANGUAGE,
    MAIN_MENU,
    MENU,
    MY_REQUESTS,
    NEW_PROFILE,
    NEW_REQUEST,
    NEW_REQUEST_FOR_SOMEONE,
    NEW_REQUEST_NAME,
    NEWS_SETTINGS,
    OPEN_POSITIONS,
    OPEN_REQUESTS,
    ORGANISATION_CARD,
    PROFILE_CARD,
    REGISTER_ORGANISATION,
    RELAY_LIST,
    REQUEST_AGAIN,
    REQUEST_TIME,
    TALK,
)
from storage.models import Role

PROFILE = "menu:profile"
ASK_HELP = "menu:ask"
REQUESTS = "menu:requests"
CHANGE_ROLE = "menu:role"
CHANGE_LANGUAGE = "menu:language"
HELP = "menu:help"
AGENCY_MENU = "menu:agency"
CONVERSATIONS = "menu:conversations"
BROWSE_REQUESTS = "menu:open_requests"
BROWSE_POSITIONS = "menu:positions"
OFF_DUTY = "menu:off_duty"
ON_DUTY = "menu:on_duty"
EVENTS_MENU = "menu:events"
DONATIONS_MENU = "menu:donations"
DOCUMENTS_MENU = "menu:documents"
NEWS_MENU = "menu:news"
TALK_MENU = "menu:talk"

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


async def _volunteer_actions(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    """The Börse, the profile, and one tap to go off duty (or back on)."""
    profile = await volunteer.load_profile(ctx)
    mine = (Button(PROFILE, _("👤 My volunteer profile")),)
    if profile is None:
        return (mine,)
    duty = (
        Button(ON_DUTY, _("▶️ Resume offers"))
        if profile.paused
        else Button(OFF_DUTY, _("⏸ Pause offers"))
    )
    return (
        (Button(BROWSE_REQUESTS, _("🔎 Open requests")),),
        (Button(BROWSE_POSITIONS, _("📌 Positions and projects")),),
        mine,
        (duty,),
    )


async def _conversations(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    if ctx.user is None or ctx.user.id is None:
        return ()
    count = await relays.count_open(ctx.session, ctx.user.id, ctx.now)
    if not count:
        return ()
    return ((Button(CONVERSATIONS, _("💬 Conversations ({n})", n=count)),),)


def _community(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    """What the agency offers everyone besides matching: events, donated items, its documents,
    and which news to receive; for volunteers, someone to talk to about a help."""
    rows: list[tuple[Button, ...]] = [
        (Button(EVENTS_MENU, _("📅 Events")), Button(DONATIONS_MENU, _("🎁 Donations"))),
        (Button(DOCUMENTS_MENU, _("📂 Documents")), Button(NEWS_MENU, _("🔔 News"))),
    ]
    if ctx.user is not None and ctx.user.role == Role.VOLUNTEER:
        rows.append((Button(TALK_MENU, _("💬 I would like to talk about a help")),))
    return tuple(rows)


async def _role_actions(ctx: Ctx, role: Role | None) -> tuple[tuple[Button, ...], ...]:
    if role == Role.VOLUNTEER:
        return await _volunteer_actions(ctx)
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
        *await _conversations(ctx),
        *await _role_actions(ctx, role),
        *_community(ctx),
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
    if payload == CONVERSATIONS:
        return Call(RELAY_LIST)
    if payload == BROWSE_REQUESTS:
        return Call(OPEN_REQUESTS)
    if payload == BROWSE_POSITIONS:
        return Call(OPEN_POSITIONS)
    if payload in COMMUNITY:
        return Call(COMMUNITY[payload])
    if payload in (OFF_DUTY, ON_DUTY):
        return await _duty(ctx, payload == OFF_DUTY)
    outcome = await organisation.menu_chosen(ctx, payload)
    return outcome if outcome is not None else Say(help_text(ctx))


async def _main_typed(ctx: Ctx, text: str) -> Outcome:
    """Someone asking for help who writes instead of pressing: a request prefilled with what
    the message names, or a person of the agency calls back."""
    role = ctx.user.role if ctx.user is not None else None
    if role not in (Role.SEEKER, Role.RELATIVE):
        return Retry(_("Please choose one of the buttons below."))
    return await contact.from_words(ctx, text)


async def _main_spoken(ctx: Ctx, voice: str) -> Outcome:
    role = ctx.user.role if ctx.user is not None else None
    if role not in (Role.SEEKER, Role.RELATIVE):
        return Retry(_("I can only read text messages and button presses here."))
    return await contact.call_back(ctx, voice=voice)


async def _duty(ctx: Ctx, off: bool) -> Outcome:
    profile = await volunteer.load_profile(ctx)
    if profile is None:
        return Goto("main")
    volunteers.set_paused(ctx.session, profile, off, ctx.now)
    if off:
        return Goto("duty")
    return Goto("main", notes=(_("Welcome back! We will send you requests again."),))


COMMUNITY = {
    EVENTS_MENU: EVENTS,
    DONATIONS_MENU: DONATIONS,
    DOCUMENTS_MENU: DOCUMENTS,
    NEWS_MENU: NEWS_SETTINGS,
    TALK_MENU: TALK,
}

COME_BACK = "duty:weeks:"


def _ask_duty(ctx: Ctx) -> Prompt:
    weeks = [Button(f"{COME_BACK}{n}", _n("In {n} week", "In {n} weeks", n)) for n in (1, 2, 4)]
    return Prompt(
        _("⏸ Paused: we send you no requests now. Should they come again by themselves?"),
        (tuple(weeks), (Button(f"{COME_BACK}0", _("No, I resume myself")),)),
    )


async def _duty_chosen(ctx: Ctx, payload: str) -> Outcome:
    profile = await volunteer.load_profile(ctx)
    weeks = payload.removeprefix(COME_BACK)
    if profile is None or not weeks.isdigit():
        return Goto("main")
    if int(weeks) == 0:
        return Goto("main", notes=(_("Paused. We will not send you requests until you resume."),))
    until = today(ctx) + timedelta(weeks=int(weeks))
    volunteers.set_paused(ctx.session, profile, True, ctx.now, until=until)
    return Goto(
        "main",
        notes=(
            _("Paused until {day}. Then requests come again by themselves.", day=DateText(until)),
        ),
    )


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
                RELAY_LIST,
                OPEN_REQUESTS,
                OPEN_POSITIONS,
                "duty",
                EVENTS,
                DONATIONS,
                DOCUMENTS,
                NEWS_SETTINGS,
                TALK,
            ),
            cancel=False,
        ),
        "role": Step(ask=ask_role, on_choice=role_chosen, next=(MAIN_MENU,), back="main"),
        "duty": Step(ask=_ask_duty, on_choice=_duty_chosen, next=("main",), cancel=False),
    },
)
