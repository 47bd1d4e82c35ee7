"""A volunteer's own profile: look at it, change it, pause or resume offers, or delete it."""

from __future__ import annotations

from datetime import date, time

from engine.i18n import LanguageName, Raw, Text, TimeText, _, _n, lines, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Say, Step
from engine.types import Button, OutgoingFile
from engine.when import today
from exchange import cases, certificates, people, recognition, volunteers
from exchange.recognition import Record
from handlers import volunteer
from handlers.targets import MAIN_MENU, NEW_PROFILE, PROFILE, PROFILE_CARD, PROFILE_EDIT
from storage.models import CaseKind, VolunteerProfile
from vocabulary.certificate import certificate_pdf
from vocabulary.labels import kind_label

CHANGE = "profile:change"
PAUSE = "profile:pause"
RESUME = "profile:resume"
DELETE = "profile:delete"
QUIET = "profile:quiet"
DAILY = "profile:daily"
CRISIS_CALLS = "profile:crisis"
DAILY_LIMITS = (1, 2, 3)
FROM = "quiet:from:"
UNTIL = "quiet:until:"
QUIET_FROM = (time(20, 0), time(21, 0), time(22, 0), time(23, 0))
QUIET_UNTIL = (time(6, 0), time(7, 0), time(8, 0), time(9, 0))
MENU = "profile:menu"
CERTIFICATE = "profile:certificate"
GERMAN_ONLY = "certificate:de"
WITH_MINE = "certificate:mine"
SIGN_PLEASE = "certificate:sign"
NO_THANKS = "certificate:no"
THIS_YEAR = "year:this"
LAST_YEAR = "year:last"
NAME_LIMIT = 80
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
    quiet = _(
        "🌙 Quiet hours: {start}–{end}",
        start=TimeText(ctx.user.quiet_from if ctx.user else time(21, 0)),
        end=TimeText(ctx.user.quiet_until if ctx.user else time(8, 0)),
    )
    buttons = (
        (Button(CHANGE, _("✏️ Change something")),),
        (Button(QUIET, quiet),),
        (
            Button(
                DAILY,
                _n(
                    "🗓 At most {n} help a day",
                    "🗓 At most {n} helps a day",
                    profile.daily_limit,
                ),
            ),
        ),
        (
            Button(
                CRISIS_CALLS,
                _("🚨 Calls for helpers: on")
                if profile.crisis_calls
                else _("🔕 Calls for helpers: off"),
            ),
        ),
        (Button(CERTIFICATE, _("🏅 Certificate of my hours")),),
        (toggle, Button(DELETE, _("🗑 Delete profile"))),
        (Button(MENU, _("🏠 Main menu")),),
    )
    vetted = volunteer.vetting_text(ctx, profile)
    parts = [
        volunteer.summary_text(ctx),
        *((vetted,) if vetted else ()),
        await _hours(ctx, profile),
    ]
    return Prompt(paragraphs(*parts), buttons)


async def _hours(ctx: Ctx, profile: VolunteerProfile) -> Text:
    """The hours given this year and in total, by kind of help, and the trainings attended."""
    assert ctx.user is not None and ctx.user.id is not None and profile.id is not None
    year = today(ctx).replace(month=1, day=1)
    done = await recognition.record_of(ctx.session, ctx.user.id, profile.id, year)
    if not done.in_total and not done.trainings:
        return _("⏱ No hours yet. After each help you tell us how long it took.")
    rows: list[Text] = [
        _(
            "⏱ Your hours: {year} this year ({confirmed} confirmed), {total} in total.",
            year=_number(Record.hours(done.this_year)),
            confirmed=_number(Record.confirmed(done.this_year)),
            total=_number(Record.hours(done.in_total)),
        )
    ]
    rows += [
        _n(
            "{kind}: {hours} h, {n} help",
            "{kind}: {hours} h, {n} helps",
            row.helps,
            kind=kind_label(ctx.deployment, row.category),
            hours=_number(row.hours),
        )
        for row in done.in_total
    ]
    if done.trainings:
        rows.append(_("🎓 Trainings attended: {n}", n=done.trainings))
    return lines(*rows)


def _number(value: float) -> Raw:
    return Raw(f"{value:g}")


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
    if payload == QUIET:
        return Goto("quiet_from")
    if payload == CERTIFICATE:
        return Goto("certificate_year")
    if payload == DAILY:  # one tap moves on to the next limit: 1, 2, 3, then 1 again
        following = [n for n in DAILY_LIMITS if n > profile.daily_limit]
        volunteers.set_daily_limit(ctx.session, profile, following[0] if following else 1)
        return Goto("card")
    if payload == CRISIS_CALLS:  # one tap turns calls in a crisis off, the next on again
        volunteers.set_crisis_calls(ctx.session, profile, not profile.crisis_calls)
        return Goto("card")
    volunteers.set_paused(ctx.session, profile, payload == PAUSE, ctx.now)
    if profile.paused:
        note = _("Paused. We will not send you requests until you resume.")
    else:
        note = _("Welcome back! We will send you requests again.")
    return Goto("card", notes=(note,))


# --- the Ehrenamtsnachweis ----------------------------------------------------------------------


def _ask_year(ctx: Ctx) -> Prompt:
    year = today(ctx).year
    return Prompt(
        _(
            "🏅 A certificate of your confirmed hours, as a PDF in German, for employers and "
            "authorities. For which year?"
        ),
        ((Button(THIS_YEAR, Raw(str(year))), Button(LAST_YEAR, Raw(str(year - 1)))),),
    )


def _year_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["certificate_year"] = today(ctx).year - (1 if payload == LAST_YEAR else 0)
    ctx.data["certificate_language"] = "de"
    if ctx.tr.base_language(ctx.language) == "de":
        return Goto("certificate_name")
    return Goto("certificate_language")


def _ask_language(ctx: Ctx) -> Prompt:
    return Prompt(
        _("The certificate is in German. Shall we add a page in your language?"),
        (
            (
                Button(
                    WITH_MINE,
                    _(
                        "German and {language}",
                        language=LanguageName(ctx.tr.base_language(ctx.language)),
                    ),
                ),
            ),
            (Button(GERMAN_ONLY, _("Only German")),),
        ),
    )


def _language_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["certificate_language"] = ctx.language if payload == WITH_MINE else "de"
    return Goto("certificate_name")


async def _name_typed(ctx: Ctx, text: str) -> Outcome:
    """Make the certificate with the full name, which is printed and not kept."""
    name = " ".join(text.split())
    if not name or len(name) > NAME_LIMIT:
        return Retry(
            _("Please write your full name, at most {limit} characters.", limit=NAME_LIMIT)
        )
    profile = await volunteer.load_profile(ctx)
    if profile is None or profile.id is None or ctx.user is None or ctx.user.id is None:
        return Goto(MAIN_MENU)
    year = int(ctx.data.get("certificate_year", today(ctx).year))
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), today(ctx))
    facts = await certificates.issue(
        ctx.session,
        user_id=ctx.user.id,
        profile_id=profile.id,
        period_from=start,
        period_to=end,
        now=ctx.now,
    )
    language = str(ctx.data.get("certificate_language") or "de")
    content = certificate_pdf(
        facts, name=name, deployment=ctx.deployment, tr=ctx.tr, language=language
    )
    caption = _(
        "🏅 Your certificate: {hours} confirmed hours. Its code is {code}; the agency can check "
        "it. We do not keep your full name.",
        hours=_number(facts.hours),
        code=Raw(facts.code),
    )
    file = OutgoingFile(f"Ehrenamtsnachweis-{year}.pdf", content, "application/pdf")
    ctx.data.pop("certificate_year", None)
    ctx.data.pop("certificate_language", None)
    return Goto("certificate_sign", cards=(Say(caption, file=file),))


def _ask_sign(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "✍️ Would you like the agency to sign it? A coordinator checks your hours and signs "
            "the certificate. Then you collect it from the agency."
        ),
        ((Button(SIGN_PLEASE, _("✍️ Yes, please")), Button(NO_THANKS, _("No, thank you"))),),
    )


async def _sign_chosen(ctx: Ctx, payload: str) -> Outcome:
    profile = await volunteer.load_profile(ctx)
    if payload != SIGN_PLEASE or profile is None or ctx.user is None:
        return Goto("card")
    await cases.open_case(
        ctx.session,
        ctx.deployment,
        kind=CaseKind.RECOGNITION,
        person=ctx.user,
        municipality=ctx.municipality.id,
        subject_id=profile.id,
        now=ctx.now,
    )
    note = _("✅ Asked. A coordinator checks your hours and writes to you when it is signed.")
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


def _ask_quiet_from(ctx: Ctx) -> Prompt:
    buttons = [Button(f"{FROM}{t.isoformat('minutes')}", TimeText(t)) for t in QUIET_FROM]
    return Prompt(
        _("🌙 From what time in the evening should we send you nothing?"), (tuple(buttons),)
    )


def _quiet_from_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["quiet_from"] = payload.removeprefix(FROM)
    return Goto("quiet_until")


def _ask_quiet_until(ctx: Ctx) -> Prompt:
    buttons = [Button(f"{UNTIL}{t.isoformat('minutes')}", TimeText(t)) for t in QUIET_UNTIL]
    return Prompt(_("☀️ And from what time in the morning again?"), (tuple(buttons),))


def _quiet_until_chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None
    start = time.fromisoformat(ctx.data.get("quiet_from") or "21:00")
    end = time.fromisoformat(payload.removeprefix(UNTIL))
    people.set_quiet_hours(ctx.session, ctx.user, start, end)
    return Goto(
        "card",
        notes=(
            _(
                "Saved. Between {start} and {end} we send you nothing.",
                start=TimeText(start),
                end=TimeText(end),
            ),
        ),
    )


FLOW = Flow(
    PROFILE,
    start="card",
    steps={
        "card": Step(
            ask=_ask_card,
            on_choice=_card_chosen,
            next=(MAIN_MENU, PROFILE_EDIT, "delete", "quiet_from", "certificate_year"),
            cancel=False,
        ),
        "quiet_from": Step(
            ask=_ask_quiet_from, on_choice=_quiet_from_chosen, next=("quiet_until",), back="card"
        ),
        "quiet_until": Step(
            ask=_ask_quiet_until, on_choice=_quiet_until_chosen, next=("card",), back="quiet_from"
        ),
        "delete": Step(
            ask=_ask_delete, on_choice=_delete_chosen, next=("card", MAIN_MENU), back="card"
        ),
        "certificate_year": Step(
            ask=_ask_year,
            on_choice=_year_chosen,
            next=("certificate_name", "certificate_language"),
            back="card",
        ),
        "certificate_language": Step(
            ask=_ask_language,
            on_choice=_language_chosen,
            next=("certificate_name",),
            back="certificate_year",
        ),
        "certificate_sign": Step(
            ask=_ask_sign, on_choice=_sign_chosen, next=("card",), back="card"
        ),
        "certificate_name": Step(
            ask=lambda ctx: Prompt(
                _(
                    "What is your full name, as it should be on the certificate? We print it and "
                    "do not keep it."
                )
            ),
            on_text=_name_typed,
            next=("certificate_sign", MAIN_MENU),
            back="certificate_year",
        ),
    },
)
