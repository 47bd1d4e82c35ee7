"""The exchange a volunteer can browse: open requests and the positions of organisations that fit
their profile, nearest and soonest first, and taking a request from that list.

What fits is matching's one definition (`matching.fit.fits`), applied to every district of the
volunteer's municipality: the list shows farther requests too, after the near ones. A volunteer
sees neither what overlaps a help they accepted nor what they answered already.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import appointments, matches
from exchange.announcements import EVERYTHING, Filter, as_matching_sees
from exchange.matches import Answer
from exchange.rounds import need_of
from matching.fit import fits
from matching.rules import nearest_km
from storage.models import (
    HelpRequest,
    Match,
    MatchState,
    RequestStatus,
    User,
    VolunteerProfile,
)
from town.deployment import Deployment

# How many open requests one look at the list considers, the soonest first.
LOOK_AT_MOST = 500


async def open_requests(
    session: AsyncSession,
    deployment: Deployment,
    profile: VolunteerProfile,
    now: datetime,
    chosen: Filter = EVERYTHING,
) -> list[HelpRequest]:
    """Open requests that fit the volunteer, in their own districts first, then the nearest,
    each group the soonest first."""
    volunteer, places = await as_matching_sees(session, profile)
    kinds = {chosen.kind} & volunteer.categories if chosen.kind else volunteer.categories
    if not kinds or not places:
        return []
    # What they answered or had already; an offer still open to them is listed (and taken) too.
    answered = select(Match.request_id).where(
        Match.profile_id == profile.id,
        col(Match.state).not_in((MatchState.TAKEN, MatchState.OFFERED)),
    )
    today = now.astimezone(deployment.tz).date()
    query = (
        select(HelpRequest)
        .where(
            HelpRequest.status == RequestStatus.OPEN,
            col(HelpRequest.category).in_(sorted(kinds)),
            col(HelpRequest.municipality).in_(sorted(places)),
            or_(col(HelpRequest.day).is_(None), col(HelpRequest.day) >= today),
            col(HelpRequest.id).not_in(answered),
        )
        .order_by(col(HelpRequest.day).is_(None), col(HelpRequest.day), col(HelpRequest.id))
        .limit(LOOK_AT_MOST)
    )
    if chosen.district:
        query = query.where(HelpRequest.district == chosen.district)
    found = list((await session.exec(query)).all())
    bookings = await appointments.bookings_on(session, [r.day for r in found if r.day], profile.id)
    ranked: list[tuple[tuple[bool, float], HelpRequest]] = []
    for request in found:
        municipality = deployment.municipality(request.municipality)
        if municipality is None:
            continue
        need = need_of(request, deployment)
        everywhere = frozenset(d.id for d in municipality.districts)
        if not fits(volunteer, need, everywhere):
            continue
        if profile.id in bookings.busy(request.day, request.part_of_day, request.at_time):
            continue
        own = request.district in places.get(request.municipality, set())
        ranked.append(((not own, round(nearest_km(volunteer, need, municipality))), request))
    ranked.sort(key=lambda item: item[0])  # stable: the soonest first within each distance
    return [request for _key, request in ranked]


async def take(
    session: AsyncSession,
    deployment: Deployment,
    request_id: int,
    profile: VolunteerProfile,
    volunteer: User,
    now: datetime,
) -> tuple[Answer, matches.Found | None]:
    """The volunteer takes a request from the list: as if it had been offered to them, the first
    to accept has it."""
    request = await session.get(HelpRequest, request_id)
    if request is None or profile.id is None:
        return Answer.TAKEN, None
    match = (
        await session.exec(
            select(Match).where(Match.request_id == request_id, Match.profile_id == profile.id)
        )
    ).first()
    if match is None:
        match = Match(
            request_id=request_id, profile_id=profile.id, round=request.round, offered_at=now
        )
    elif match.state in (MatchState.DECLINED, MatchState.TAKEN):
        match.state, match.decline_reason = MatchState.OFFERED, None
    session.add(match)
    await session.flush()
    found = matches.Found(match, request, profile)
    answer = await matches.answer_offer(session, deployment, found, volunteer, accept=True, now=now)
    return answer, found
