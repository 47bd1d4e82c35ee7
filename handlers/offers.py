"""The buttons on pushed messages: accept or decline an offer, cancel, report how it went.

These buttons live on messages the person did not ask for, so they are not among the current
step's options. Each action checks instead that the match it names belongs to the person pressing,
and that it is still in the state the button was made for.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.followthrough import plan_follow_through
from handlers import cards, volunteer
from handlers.flow import EDITING, Action, Ctx, Goto, Outcome, Retry
from handlers.i18n import Raw, _
from storage.models import (
    Delivery,
    HelpRequest,
    Interest,
    Match,
    Opportunity,
    Organisation,
    Report,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue

log = logging.getLogger(__name__)


# Short, easy to say and to hear at a door, in any language.
SAFETY_WORDS = (
    "Apfel", "Birne", "Sonne", "Mond", "Stern", "Blume", "Rose", "Tulpe", "Wolke", "Regen",
    "Fluss", "Rhein", "Berg", "Wald", "Baum", "Vogel", "Fisch", "Katze", "Hase", "Igel",
    "Brot", "Kaffee", "Tee", "Honig", "Zucker", "Kirsche", "Pflaume", "Traube", "Nuss", "Kerze",
)  # fmt: skip


def safety_word() -> str:
    return f"{secrets.choice(SAFETY_WORDS)} {secrets.randbelow(90) + 10}"


def _refused() -> Outcome:
    return Retry(_("This button is no longer valid. Here is where we are now:"))


def _parts(payload: str) -> tuple[str, str]:
    """The two fields after `act:<action>:`; empty where missing."""
    fields = [*payload.split(":")[2:], "", ""]
    return fields[0], fields[1]


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _match_of(
    ctx: Ctx, match_id: int | None, *, as_asker: bool = False
) -> tuple[Match, HelpRequest, VolunteerProfile] | None:
    """The match, if it was offered to the person pressing (or, `as_asker`, if they asked)."""
    if match_id is None or ctx.user is None:
        return None
    whose = (
        HelpRequest.asker_id == ctx.user.id if as_asker else VolunteerProfile.user_id == ctx.user.id
    )
    found = (
        await ctx.session.exec(
            select(Match, HelpRequest, VolunteerProfile)
            .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
            .where(Match.id == match_id, whose)
        )
    ).first()
    if found is None:
        log.warning("refused a button naming a match that is not the user's")
    return found


async def send_back_to_matching(
    session: AsyncSession, match: Match, request: HelpRequest, now: datetime
) -> None:
    """A volunteer who had accepted drops out: the request is matched anew from the first round
    (those who missed out before are asked again) and the asker is told."""
    match.state, match.answered_at = "cancelled", now
    session.add(match)
    if request.status != "matched":
        return
    request.status, request.round, request.round_ends_at = "open", 0, now
    request.exhausted, request.updated_at = False, now
    session.add(request)
    await enqueue(
        session,
        user_id=request.asker_id,
        kind="match_cancelled",
        subject_id=match.id,
        due_at=now,
        now=now,
    )


async def answer_offer(ctx: Ctx, payload: str) -> Outcome:
    """Accept or decline an offer; the first acceptance wins, atomically."""
    verdict, raw_id = _parts(payload)
    found = await _match_of(ctx, _number(raw_id))
    if found is None:
        return _refused()
    match, request, profile = found
    if match.state == "accepted":
        return Retry(_("You have already accepted this request. Thank you!"))
    if match.state != "offered" or request.status != "open":
        return Retry(cards.taken() if verdict == "yes" else cards.declined())
    if verdict == "no":
        match.state, match.answered_at = "declined", ctx.now
        ctx.session.add(match)
        return Retry(cards.declined())
    # The request row is the first thing written, so two volunteers accepting at once queue on
    # it (and the second finds it taken) instead of each locking their own match first.
    won = await ctx.session.exec(
        update(HelpRequest)
        .where(col(HelpRequest.id) == request.id, col(HelpRequest.status) == "open")
        .values(status="matched", updated_at=ctx.now)
    )
    match.answered_at = ctx.now
    if won.rowcount != 1:
        match.state = "taken"
        ctx.session.add(match)
        return Retry(cards.taken())
    request.status = "matched"
    match.state = "accepted"
    match.safety_word = safety_word()
    profile.offers_accepted += 1
    ctx.session.add_all([match, profile])
    await ctx.session.exec(
        update(Match)
        .where(
            col(Match.request_id) == match.request_id,
            col(Match.state) == "offered",
            col(Match.id) != match.id,
        )
        .values(state="taken")
    )
    asker = await ctx.session.get(User, request.asker_id)
    assert asker is not None and ctx.user is not None and match.id is not None
    await plan_follow_through(ctx.session, ctx.deployment, ctx.now, request, match, ctx.user, asker)
    text, _buttons = cards.accepted(ctx.deployment, request, match.id, match.safety_word)
    return Retry(text)


async def cancel_match(ctx: Ctx, payload: str) -> Outcome:
    """The volunteer cannot come after all: the request goes back into matching."""
    found = await _match_of(ctx, _number(payload.rsplit(":", 1)[-1]))
    if found is None:
        return _refused()
    match, request, _profile = found
    if match.state != "accepted":
        return Retry(_("This is no longer planned."))
    await send_back_to_matching(ctx.session, match, request, ctx.now)
    return Retry(_("Thank you for telling us. We will look for someone else."))


async def report_done(ctx: Ctx, payload: str) -> Outcome:
    """The volunteer says whether the help took place and how many hours it took."""
    raw_id, answer = _parts(payload)
    found = await _match_of(ctx, _number(raw_id))
    if found is None:
        return _refused()
    match, request, profile = found
    if match.state not in ("accepted",):
        return Retry(_("Thank you, we have already noted this."))
    hours = _number(answer)
    if answer == "no":
        match.state = "missed"
    elif hours is not None and 1 <= hours <= 4:
        match.state, match.hours = "done", float(hours)
        profile.helps_done += 1
        request.status = "done"
    else:
        return _refused()
    request.updated_at = match.answered_at = ctx.now
    ctx.session.add_all([match, profile, request])
    return Retry(_("Thank you! We have noted it."))


async def give_feedback(ctx: Ctx, payload: str) -> Outcome:
    """The asker says whether all went well."""
    raw_id, verdict = _parts(payload)
    found = await _match_of(ctx, _number(raw_id), as_asker=True)
    if found is None or verdict not in ("good", "problem"):
        return _refused()
    match, request, profile = found
    first_time = match.seeker_feedback is None
    match.seeker_feedback = verdict
    ctx.session.add(match)
    if verdict == "problem" and first_time:
        await report(ctx, reported_id=profile.user_id, match=match, request=request)
    if verdict == "problem":
        return Retry(
            _(
                "We are sorry. A coordinator will get in touch with you: {contact}",
                contact=ctx.deployment.agency.contact,
            )
        )
    return Retry(_("Thank you! We are glad it went well."))


async def report(ctx: Ctx, *, reported_id: int, match: Match, request: HelpRequest) -> None:
    """Record a reported problem and alert the coordinators of the request's municipality."""
    assert ctx.user is not None and ctx.user.id is not None
    entry = Report(
        reporter_id=ctx.user.id, reported_id=reported_id, match_id=match.id, created_at=ctx.now
    )
    ctx.session.add(entry)
    await ctx.session.flush()
    municipality = ctx.deployment.municipality(request.municipality)
    keys = municipality.coordinators if municipality else ()
    for coordinator in (await ctx.session.exec(select(User).where(col(User.key).in_(keys)))).all():
        assert coordinator.id is not None
        await enqueue(
            ctx.session,
            user_id=coordinator.id,
            kind="report",
            subject_id=entry.id,
            due_at=ctx.now,
            now=ctx.now,
        )
    log.warning("a problem was reported; coordinators alerted")


async def offer_settings(ctx: Ctx, payload: str) -> Outcome:
    """Change how often requests come, straight from a push."""
    if ctx.user is None:
        return _refused()
    profile = await volunteer.load_profile(ctx)
    if profile is None:
        return _refused()
    draft = {**await volunteer.profile_draft(ctx, profile), EDITING: True}
    return Goto("rhythm", flow="volunteer", data=draft)


async def show_interest(ctx: Ctx, payload: str) -> Outcome:
    """ "I'm interested" in an organisation's opportunity: the organisation's contact is told."""
    opportunity_id = _number(payload.rsplit(":", 1)[-1])
    if ctx.user is None or opportunity_id is None:
        return _refused()
    told = (
        await ctx.session.exec(
            select(Delivery.id).where(
                Delivery.user_id == ctx.user.id,
                Delivery.kind == "opportunity",
                Delivery.subject_id == opportunity_id,
            )
        )
    ).first()
    profile = await volunteer.load_profile(ctx)
    found = (
        await ctx.session.exec(
            select(Opportunity, Organisation)
            .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
            .where(Opportunity.id == opportunity_id)
        )
    ).first()
    if told is None or profile is None or found is None:
        log.warning("refused interest in an opportunity the user was not shown")
        return _refused()
    opportunity, organisation = found
    if opportunity.status != "open":
        return Retry(_("This opportunity is no longer open. Thank you all the same!"))
    existing = (
        await ctx.session.exec(
            select(Interest).where(
                Interest.opportunity_id == opportunity_id, Interest.profile_id == profile.id
            )
        )
    ).first()
    if existing is None:
        assert profile.id is not None
        existing = Interest(
            opportunity_id=opportunity_id, profile_id=profile.id, created_at=ctx.now
        )
        ctx.session.add(existing)
        await ctx.session.flush()
        await enqueue(
            ctx.session,
            user_id=organisation.owner_id,
            kind="interest",
            subject_id=existing.id,
            due_at=ctx.now,
            now=ctx.now,
        )
    return Retry(
        _(
            "Thank you! We have told {organisation} that you are interested. The coordinators will "
            "put you in touch.",
            organisation=Raw(organisation.name),
        )
    )


# Payloads "act:<name>:...", made in handlers.cards.
ACTIONS: dict[str, Action] = {
    "offer": answer_offer,
    "match": cancel_match,
    "hours": report_done,
    "feedback": give_feedback,
    "settings": offer_settings,
    "interest": show_interest,
}
