"""When a volunteer is booked already: accepted helps whose times overlap, and a daily limit.

An exact time counts as two hours from then; a part of the day as the whole part (morning 9–12,
afternoon 14–17, evening 18–21, as `exchange.timing.appointment_start` begins them), so that a shopping trip at 10:30 and a visit to the doctor "in
the morning" on the same day overlap. Help without a date overlaps nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HelpRequest, Match, MatchState, VolunteerProfile

PARTS: dict[str, tuple[time, time]] = {
    "morning": (time(9, 0), time(12, 0)),
    "afternoon": (time(14, 0), time(17, 0)),
    "evening": (time(18, 0), time(21, 0)),
}
EXACT_LENGTH = timedelta(hours=2)
# Accepted and still planned, or done: both take up the day.
BOOKED = (MatchState.ACCEPTED, MatchState.DONE)


@dataclass(frozen=True, slots=True)
class Span:
    """The minutes of a day an appointment takes, from and until (minutes after midnight)."""

    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def span_of(part_of_day: str | None, at_time: time | None) -> Span:
    if at_time is not None:
        start = at_time.hour * 60 + at_time.minute
        return Span(start, start + int(EXACT_LENGTH.total_seconds() // 60))
    begin, end = PARTS.get(part_of_day or "", (time(0, 0), time(23, 59)))
    return Span(begin.hour * 60 + begin.minute, end.hour * 60 + end.minute)


@dataclass(frozen=True, slots=True)
class Booking:
    """An accepted help of a volunteer on a day."""

    profile_id: int
    request_id: int
    span: Span
    daily_limit: int


class Bookings:
    """The accepted helps on some days, to ask who is free for a request."""

    def __init__(self, bookings: Iterable[tuple[date, Booking]]) -> None:
        self._by_day: dict[date, list[Booking]] = {}
        for day, booking in bookings:
            self._by_day.setdefault(day, []).append(booking)

    def busy(
        self,
        day: date | None,
        part_of_day: str | None,
        at_time: time | None,
        *,
        request_id: int | None = None,
    ) -> set[int]:
        """The volunteers (profile ids) who cannot take a request at this time: it overlaps
        one of their helps, or they reached their daily limit that day."""
        if day is None:
            return set()
        span = span_of(part_of_day, at_time)
        taken: set[int] = set()
        count: dict[int, int] = {}
        for booking in self._by_day.get(day, ()):
            if booking.request_id == request_id:
                continue
            count[booking.profile_id] = count.get(booking.profile_id, 0) + 1
            if booking.span.overlaps(span) or count[booking.profile_id] >= booking.daily_limit:
                taken.add(booking.profile_id)
        return taken


async def bookings_on(
    session: AsyncSession, days: Sequence[date], profile_id: int | None = None
) -> Bookings:
    """The accepted helps on these days (of one volunteer, if given)."""
    if not days:
        return Bookings(())
    query = (
        select(  # type: ignore[call-overload]
            col(HelpRequest.day),
            col(Match.profile_id),
            col(Match.request_id),
            col(HelpRequest.part_of_day),
            col(HelpRequest.at_time),
            col(VolunteerProfile.daily_limit),
        )
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
        .where(and_(col(Match.state).in_(BOOKED), col(HelpRequest.day).in_(sorted(set(days)))))
    )
    if profile_id is not None:
        query = query.where(Match.profile_id == profile_id)
    rows = (await session.exec(query)).all()
    return Bookings(
        (day, Booking(pid, rid, span_of(part, at), limit))
        for day, pid, rid, part, at, limit in rows
        if day is not None
    )


async def is_booked(session: AsyncSession, profile: VolunteerProfile, request: HelpRequest) -> bool:
    """Whether the volunteer cannot take this request: it overlaps another of their helps, or
    they have as many that day as they want."""
    if request.day is None or profile.id is None:
        return False
    bookings = await bookings_on(session, [request.day], profile.id)
    busy = bookings.busy(request.day, request.part_of_day, request.at_time, request_id=request.id)
    return profile.id in busy


def window(
    day: date, part_of_day: str | None, at_time: time | None, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """When an appointment begins and ends, in the town's time zone."""
    span = span_of(part_of_day, at_time)
    midnight = datetime.combine(day, time(0, 0), tzinfo=tz)
    return midnight + timedelta(minutes=span.start), midnight + timedelta(minutes=span.end)
