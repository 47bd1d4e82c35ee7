"""Recognition in the agency's queue: a volunteer asked for their Ehrenamtsnachweis to be signed;
a coordinator confirms the hours still open and issues it, signed off for the agency."""

from __future__ import annotations

from datetime import date

from engine.i18n import Raw, Text, _, _n
from engine.steps import Ctx, Goto, Outcome, Prompt, Retry, Say
from engine.types import Button, OutgoingFile
from engine.when import today
from exchange import cases, certificates, recognition
from exchange.recognition import Record
from storage.models import Case, User, VolunteerProfile
from vocabulary.certificate import certificate_pdf

CONFIRM_HOURS = "do:confirm-hours"
SIGN = "do:sign"
NAME_LIMIT = 80


def _number(value: float) -> Raw:
    return Raw(f"{value:g}")


def year_start(ctx: Ctx) -> date:
    return today(ctx).replace(month=1, day=1)


async def facts(ctx: Ctx, profile: VolunteerProfile) -> list[Text]:
    """What the coordinator sees: the volunteer's hours this year, confirmed or still open."""
    assert profile.id is not None
    record = await recognition.record_of(ctx.session, profile.user_id, profile.id, year_start(ctx))
    open_helps = await recognition.unconfirmed(ctx.session, profile.id, year_start(ctx))
    return [
        Raw(profile.first_name),
        _(
            "⏱ {hours} hours this year, {confirmed} of them confirmed.",
            hours=_number(Record.hours(record.this_year)),
            confirmed=_number(Record.confirmed(record.this_year)),
        ),
        _n(
            "{n} help is not confirmed yet.",
            "{n} helps are not confirmed yet.",
            len(open_helps),
        ),
        _("Trainings attended: {n}", n=record.trainings),
    ]


async def actions(ctx: Ctx, profile: VolunteerProfile) -> list[tuple[Button, ...]]:
    assert profile.id is not None
    buttons: list[tuple[Button, ...]] = []
    if await recognition.unconfirmed(ctx.session, profile.id, year_start(ctx)):
        buttons.append((Button(CONFIRM_HOURS, _("✅ Confirm the open hours")),))
    buttons.append((Button(SIGN, _("✍️ Issue and sign the certificate")),))
    return buttons


async def confirm_open(ctx: Ctx, profile: VolunteerProfile) -> Outcome:
    assert profile.id is not None and ctx.user is not None
    hours = await recognition.confirm_all(
        ctx.session, profile.id, year_start(ctx), by=ctx.user, via="chat", now=ctx.now
    )
    return Goto("case", notes=(_("✅ Confirmed: {hours} hours.", hours=_number(hours)),))


def ask_name(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "Please type the volunteer's full name, as it should be on the certificate. We print "
            "it and do not keep it."
        )
    )


async def name_typed(
    ctx: Ctx, text: str, case: Case, profile: VolunteerProfile, volunteer: User
) -> Outcome:
    """Issue this year's certificate, signed off by this coordinator; the PDF comes to them to
    print and hand over, and the volunteer is told."""
    name = " ".join(text.split())
    if not name or len(name) > NAME_LIMIT:
        return Retry(_("Please write the full name, at most {limit} characters.", limit=NAME_LIMIT))
    assert ctx.user is not None and profile.id is not None and volunteer.id is not None
    start = year_start(ctx)
    facts = await certificates.issue(
        ctx.session,
        user_id=volunteer.id,
        profile_id=profile.id,
        period_from=start,
        period_to=today(ctx),
        now=ctx.now,
        signed_by=ctx.user.id,
    )
    content = certificate_pdf(
        facts, name=name, deployment=ctx.deployment, tr=ctx.tr, language=volunteer.language
    )
    cases.close(ctx.session, case, "solved", by=ctx.user, via="chat", now=ctx.now)
    await cases.tell(ctx.session, volunteer, "certificate_signed", ctx.now, text=facts.code)
    caption = _(
        "🏅 Signed certificate for {name}: {hours} confirmed hours, code {code}. Please print "
        "it and hand it over; the volunteer is told.",
        name=Raw(name),
        hours=_number(facts.hours),
        code=Raw(facts.code),
    )
    file = OutgoingFile(f"Ehrenamtsnachweis-{start.year}.pdf", content, "application/pdf")
    return Goto("queue", cards=(Say(caption, file=file),))
