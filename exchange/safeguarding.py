"""Coordinators protect the people the exchange serves: blocking someone withdraws their offers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import requests
from exchange.matches import send_back_to_matching
from storage.models import HelpRequest, Match, MatchState, RequestStatus, User, VolunteerProfile


async def block(session: AsyncSession, user: User, now: datetime) -> None:
    """Block a person: their open requests are withdrawn (a volunteer who had accepted one is told),
    their pending offers are withdrawn and the help they had accepted goes back to matching."""
    assert user.id is not None
    user.blocked_at = now
    session.add(user)
    for request in await requests.asked_by(session, user.id, limit=None):
        await requests.withdraw(session, request, now)
    profile = (
        await session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    ).first()
    if profile is None:
        return
    profile.paused = True
    session.add(profile)
    await withdraw_offers(session, profile, now)


async def withdraw_offers(session: AsyncSession, profile: VolunteerProfile, now: datetime) -> None:
    """A volunteer leaves (blocked or erased): open offers are withdrawn, and the help they had
    accepted goes back into matching."""
    await session.exec(
        update(Match)
        .where(col(Match.profile_id) == profile.id, col(Match.state) == MatchState.OFFERED)
        .values(state=MatchState.WITHDRAWN)
    )
    planned = await session.exec(
        select(Match, HelpRequest)
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .where(
            Match.profile_id == profile.id,
            Match.state == MatchState.ACCEPTED,
            HelpRequest.status == RequestStatus.MATCHED,
        )
    )
    for match, request in planned.all():
        await send_back_to_matching(session, match, request, now)


async def unblock(session: AsyncSession, user: User) -> None:
    """Lift a block: the person may use the exchange again; a volunteer's profile is active
    again (its offers start with the next planning run)."""
    assert user.id is not None
    user.blocked_at = None
    session.add(user)
    profile = (
        await session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    ).first()
    if profile is not None:
        profile.paused = False
        session.add(profile)


async def pause(session: AsyncSession, profile: VolunteerProfile, now: datetime) -> None:
    """Stop offers to a volunteer for now; what they accepted goes back into matching."""
    profile.paused = True
    session.add(profile)
    await withdraw_offers(session, profile, now)
