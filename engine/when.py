"""Reading dates and times people type, and the quick date buttons of the next two weeks."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from engine.steps import Ctx

QUICK_DAYS = 14
MAX_DAYS_AHEAD = 366

_DATE = re.compile(r"^\s*(\d{1,2})\.\s*(\d{1,2})\.?\s*(\d{2}|\d{4})?\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(?:uhr|h)?\s*$", re.IGNORECASE)


def today(ctx: Ctx) -> date:
    """Today in the deployment's time zone."""
    return ctx.now.astimezone(ctx.deployment.tz).date()


def local_now(ctx: Ctx) -> datetime:
    return ctx.now.astimezone(ctx.deployment.tz)


def quick_days(ctx: Ctx) -> list[date]:
    start = today(ctx)
    return [start + timedelta(days=offset) for offset in range(QUICK_DAYS)]


def parse_date(text: str, reference: date) -> date | None:
    """A typed date (24.12., 24.12.2026, 2026-12-24); without a year the next such day."""
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DATE.match(text):
        day, month = int(match.group(1)), int(match.group(2))
        given_year = match.group(3)
        year = reference.year if given_year is None else int(given_year)
        if given_year is not None and len(given_year) == 2:
            year += 2000
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if given_year is None and candidate < reference:
            year += 1
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """A typed time of day: 14:30, 14.30, 9 Uhr, 9h."""
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
