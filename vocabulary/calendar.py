"""Appointments as calendar files (.ics, RFC 5545), built with the icalendar package.

An appointment keeps one UID for its life; a change raises SEQUENCE, and a cancellation is sent
as METHOD:CANCEL with STATUS:CANCELLED, so calendar apps update or remove the entry they have.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

PRODUCT = "-//Ehrenamtsboerse//Appointments//DE"


def appointment(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    location: str,
    description: str,
    stamp: datetime,
    sequence: int = 0,
    cancelled: bool = False,
) -> bytes:
    """One appointment as an .ics file; `start` and `end` carry the town's time zone."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    # The time zone's rules around the appointment only, not since 1970: a short file.
    calendar.add_missing_timezones(
        first_date=start.date() - timedelta(days=366), last_date=end.date() + timedelta(days=366)
    )
    content: bytes = calendar.to_ical()
    return content
