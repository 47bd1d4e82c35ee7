"""When a push may go out: the recipient's rhythm, digest times and quiet hours (pure functions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Rhythm


def in_quiet_hours(moment: time, quiet_from: time, quiet_until: time) -> bool:
    """Whether a local time lies in the quiet hours (which may run over midnight)."""
    if quiet_from == quiet_until:
        return False
    if quiet_from < quiet_until:
        return quiet_from <= moment < quiet_until
    return moment >= quiet_from or moment < quiet_until


def after_quiet_hours(moment: datetime, quiet_from: time, quiet_until: time) -> datetime:
    """`moment`, or the end of the quiet hours it falls into (in the moment's own time zone)."""
    local = moment.timetz().replace(tzinfo=None)
    if not in_quiet_hours(local, quiet_from, quiet_until):
        return moment
    end = moment.replace(hour=quiet_until.hour, minute=quiet_until.minute, second=0, microsecond=0)
    return end if end > moment else end + timedelta(days=1)


def next_at(now: datetime, at: time, weekday: int | None = None) -> datetime:
    """The next local moment at time `at` (on `weekday` if given, 0 is Monday), from `now` on."""
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    days = 0 if weekday is None else (weekday - now.weekday()) % 7
    candidate += timedelta(days=days)
    if candidate < now:
        candidate += timedelta(days=1 if weekday is None else 7)
    return candidate


def offer_due(
    now: datetime,
    tz: ZoneInfo,
    *,
    rhythm: str,
    digest_at: time,
    weekly_digest_day: int,
    quiet_from: time,
    quiet_until: time,
    urgent: bool,
    same_day: bool,
    urgent_ok: bool,
) -> datetime:
    """When an offer reaches a volunteer.

    Urgent requests (due within 48 hours) go out at once, whatever the volunteer's rhythm; others
    wait for the volunteer's daily or weekly digest. Nothing arrives in quiet hours, except a
    same-day urgent request for a volunteer who opted into those.
    """
    local_now = now.astimezone(tz)
    if urgent or rhythm == Rhythm.IMMEDIATE:
        due = local_now
    elif rhythm == Rhythm.DAILY:
        due = next_at(local_now, digest_at)
    else:
        due = next_at(local_now, digest_at, weekly_digest_day)
    if not (urgent and same_day and urgent_ok):
        due = after_quiet_hours(due, quiet_from, quiet_until)
    return due


def appointment_start(day: date, part: str | None, at: time | None, tz: ZoneInfo) -> datetime:
    """When an appointment begins: the exact time, or the start of its part of the day."""
    starts = {"morning": time(9, 0), "afternoon": time(14, 0), "evening": time(18, 0)}
    return datetime.combine(day, at or starts.get(part or "morning", time(9, 0)), tzinfo=tz)
