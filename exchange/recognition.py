"""What a volunteer did, counted: hours of help by kind, confirmed or not, and trainings attended.

A volunteer reports hours after each help (`matches.record_hours`). They count as confirmed when
the asker said all went well, or when a coordinator confirmed them; only confirmed hours go on
an Ehrenamtsnachweis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import case, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit
from exchange.audit import Via
from exchange.events import attended_learning
from storage.models import Feedback, HelpRequest, Match, MatchState, User


def confirmed() -> ColumnElement[bool]:
    """In SQL: the hours of a help are confirmed (the one rule, beside `is_confirmed`)."""
    return or_(
        col(Match.seeker_feedback) == Feedback.GOOD, col(Match.hours_confirmed_at).is_not(None)
    )


def is_confirmed(match: Match) -> bool:
    return match.seeker_feedback == Feedback.GOOD or match.hours_confirmed_at is not None


@dataclass(frozen=True)
class KindHours:
    """One kind of help: how many helps, their hours, and how many of those are confirmed."""

    category: str
    helps: int
    hours: float
    confirmed: float


@dataclass(frozen=True)
class Record:
    """A volunteer's hours, this year and in total, and the trainings they attended."""

    this_year: tuple[KindHours, ...] = ()
    in_total: tuple[KindHours, ...] = ()
    trainings: int = 0

    @staticmethod
    def hours(rows: tuple[KindHours, ...]) -> float:
        return sum(row.hours for row in rows)

    @staticmethod
    def confirmed(rows: tuple[KindHours, ...]) -> float:
        return sum(row.confirmed for row in rows)


async def _by_kind(
    session: AsyncSession, profile_id: int, since: datetime | None
) -> tuple[KindHours, ...]:
    query = (
        select(
            HelpRequest.category,
            func.count(),
            func.coalesce(func.sum(Match.hours), 0.0),
            func.coalesce(func.sum(case((confirmed(), Match.hours), else_=0.0)), 0.0),
        )
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .where(Match.profile_id == profile_id, Match.state == MatchState.DONE)
        .group_by(col(HelpRequest.category))
        .order_by(col(HelpRequest.category))
    )
    if since is not None:
        query = query.where(col(Match.answered_at) >= since)
    rows = await session.exec(query)
    return tuple(
        KindHours(category, int(helps), float(hours or 0.0), float(confirmed or 0.0))
        for category, helps, hours, confirmed in rows.all()
    )


async def record_of(
    session: AsyncSession, user_id: int, profile_id: int, year_start: date
) -> Record:
    """The volunteer's hours since `year_start` and in total, and the trainings attended."""
    since = datetime.combine(year_start, time(0), tzinfo=UTC)
    return Record(
        this_year=await _by_kind(session, profile_id, since),
        in_total=await _by_kind(session, profile_id, None),
        trainings=await attended_learning(session, user_id),
    )


def confirm(
    session: AsyncSession, match: Match, *, by: User | None, via: Via, now: datetime
) -> bool:
    """A coordinator confirms the hours of a help; False when there is nothing to confirm."""
    if match.state != MatchState.DONE or match.hours is None or match.hours_confirmed_at:
        return False
    match.hours_confirmed_at, match.hours_confirmed_by = now, by.id if by else None
    session.add(match)
    audit.record(
        session,
        actor=by,
        via=via,
        action="confirm hours",
        subject=f"match:{match.id}",
        now=now,
        hours=match.hours,
    )
    return True


async def unconfirmed(session: AsyncSession, profile_id: int, since: date) -> list[Match]:
    """Helps since `since` whose reported hours nobody has confirmed yet."""
    rows = await session.exec(
        select(Match).where(
            Match.profile_id == profile_id,
            Match.state == MatchState.DONE,
            col(Match.hours).is_not(None),
            col(Match.answered_at) >= datetime.combine(since, time(0), tzinfo=UTC),
            # Not `~confirmed()`: without feedback that is NULL in SQL, and NOT NULL is no "true".
            func.coalesce(Match.seeker_feedback, "") != Feedback.GOOD,
            col(Match.hours_confirmed_at).is_(None),
        )
    )
    return list(rows.all())


async def confirm_all(
    session: AsyncSession, profile_id: int, since: date, *, by: User, via: Via, now: datetime
) -> float:
    """A coordinator confirms every open help since `since`; returns the hours confirmed."""
    hours = 0.0
    for match in await unconfirmed(session, profile_id, since):
        if confirm(session, match, by=by, via=via, now=now):
            hours += match.hours or 0.0
    return hours
