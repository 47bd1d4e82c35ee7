"""The rules of matching as pure functions: how matching sees requests and volunteers, and the
ranking of those who fit (`matching.fit` says who fits).

Among those who fit, the nearest, those who share the person's language, those asked least
recently and those who turned up reliably come first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from town.deployment import Municipality
from town.geo import distance_km

GERMAN = "de"
PARTS = ("morning", "afternoon", "evening")
PART_STARTS = {"morning": time(9, 0), "afternoon": time(14, 0), "evening": time(18, 0)}


@dataclass(frozen=True)
class Need:
    """A request as matching sees it."""

    category: str
    district: str
    slot: tuple[int, str] | None  # (weekday, part of day); None when the time is flexible
    languages: frozenset[str]
    adults_only: bool = False
    needs_verification: bool = False


@dataclass(slots=True)
class Volunteer:
    """A volunteer as matching sees them (not frozen: a planning run builds a hundred thousand,
    and a frozen dataclass sets each field the slow way; nothing changes one once built)."""

    profile_id: int
    categories: frozenset[str]
    districts: frozenset[str]
    slots: frozenset[tuple[int, str]]
    languages: frozenset[str]
    minor: bool = False
    verified: bool = False
    paused: bool = False
    reachable: bool = True
    offers_received: int = 0
    offers_accepted: int = 0
    helps_done: int = 0
    last_offered_at: datetime | None = None


def slot_of(day: date | None, part: str | None, at: time | None) -> tuple[int, str] | None:
    """The weekly time slot of a request: its weekday and part of day (from an exact time too)."""
    if day is None:
        return None
    if at is not None:
        part = "morning" if at.hour < 12 else "afternoon" if at.hour < 17 else "evening"
    return (day.weekday(), part or "morning")


def needs_shared_language(need: Need) -> bool:
    """A person who does not speak German needs a volunteer who speaks one of their languages."""
    return bool(need.languages) and GERMAN not in need.languages


def districts_within(municipality: Municipality, district: str, radius_km: float) -> frozenset[str]:
    """The district itself and every district whose centre lies within `radius_km` of its centre."""
    centre = municipality.district(district)
    if centre is None:
        return frozenset({district})
    return frozenset(
        d.id
        for d in municipality.districts
        if d.id == district
        or distance_km(centre.latitude, centre.longitude, d.latitude, d.longitude) <= radius_km
    )


def nearest_km(volunteer: Volunteer, need: Need, municipality: Municipality) -> float:
    """Distance from the request's district to the nearest district the volunteer helps in."""
    if need.district in volunteer.districts:
        return 0.0
    centre = municipality.district(need.district)
    if centre is None:
        return math.inf
    distances = [
        distance_km(centre.latitude, centre.longitude, d.latitude, d.longitude)
        for d in municipality.districts
        if d.id in volunteer.districts
    ]
    return min(distances, default=math.inf)


def score(volunteer: Volunteer, need: Need, municipality: Municipality, now: datetime) -> float:
    """Higher is better: near, sharing a language, not asked lately, reliable."""
    value = -nearest_km(volunteer, need, municipality)
    own_languages = need.languages - {GERMAN}
    if own_languages & volunteer.languages:
        value += 3.0
    if volunteer.last_offered_at is not None:
        days = (now - volunteer.last_offered_at).total_seconds() / 86400
        value -= 2.0 * math.exp(-days / 3)  # asked yesterday weighs much more than last month
    value -= 0.1 * volunteer.offers_received
    # Reliability with a prior of one success in two, so a newcomer is not ranked last.
    value += 2.0 * (volunteer.helps_done + 1) / (volunteer.offers_accepted + 2)
    return value


def best_first(
    fitting: Iterable[Volunteer], need: Need, municipality: Municipality, now: datetime
) -> list[Volunteer]:
    """Volunteers known to fit, best first (ties broken by profile id, so runs are repeatable)."""
    return sorted(fitting, key=lambda v: (-score(v, need, municipality, now), v.profile_id))
