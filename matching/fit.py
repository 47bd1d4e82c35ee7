"""Who fits a request: the hard filters of matching, each defined once, in Python and in SQL.

A volunteer fits a request when they offer its kind of help, are active and reachable, help in one
of the round's districts, are usually free at its time of week, share a language with the person
when that person does not speak German, and meet the category's age and verification
requirements. Each filter below says what of the request it looks at (its requirement, None when
the request asks nothing of it), how a volunteer passes it in Python and in SQL, and at which stage
the fast path of planning applies it:

* WALK: in the SQL that lists the volunteers of one kind of help (`matching.select`);
* PLACE: by walking the lists of the round's districts only;
* TIME: by the lanes of those free at one time of week (`matching.lanes`);
* LANE: by the lane of those who fit one kind of request (`matching.lanes`).

`fits` applies all of them; `matching.select.candidate_ids` runs all of them as one SQL statement;
`tests/test_fit.py` checks on generated towns that the fast path, the SQL and `fits` agree. A new
filter is one more entry in `FILTERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, false, true

from matching.rules import Need, Volunteer, best_first, needs_shared_language
from storage.models import (
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
    table_of,
)
from town.deployment import Municipality

Predicate = Callable[[Volunteer], bool]


class Stage(Enum):
    WALK = "walk"
    PLACE = "place"
    TIME = "time"
    LANE = "lane"


@dataclass(frozen=True)
class Where:
    """What SQL conditions see: the profile and user rows, and the request's municipality."""

    municipality: str
    profile: Any = field(default_factory=lambda: table_of(VolunteerProfile).c)
    user: Any = field(default_factory=lambda: table_of(User).c)


@dataclass(frozen=True)
class HardFilter:
    name: str
    stage: Stage
    # What of the request (and the round's districts) the filter looks at; None: nothing.
    requirement: Callable[[Need, frozenset[str]], Hashable | None]
    # Given a requirement, who passes: a predicate on volunteers (called for each walked past).
    test: Callable[[Any], Predicate]
    sql: Callable[[Any, Where], ColumnElement[bool]]


def _owns(model: Any, *conditions: ColumnElement[bool]) -> Callable[[Where], ColumnElement[bool]]:
    """The profile has a row in a child table that meets `conditions`."""

    def where(at: Where) -> ColumnElement[bool]:
        child = table_of(model).c
        rows = sa.select(child.profile_id).where(*conditions)
        return at.profile.id.in_(rows)  # type: ignore[no-any-return]

    return where


def _category_sql(category: str, at: Where) -> ColumnElement[bool]:
    c = table_of(VolunteerCategory).c
    return _owns(VolunteerCategory, c.category == category)(at)


def _districts_sql(districts: frozenset[str], at: Where) -> ColumnElement[bool]:
    d = table_of(VolunteerDistrict).c
    return _owns(
        VolunteerDistrict, d.municipality == at.municipality, d.district.in_(sorted(districts))
    )(at)


def _slot_sql(slot: tuple[int, str], at: Where) -> ColumnElement[bool]:
    s = table_of(VolunteerSlot).c
    return _owns(VolunteerSlot, s.weekday == slot[0], s.part == slot[1])(at)


def _languages_sql(languages: frozenset[str], at: Where) -> ColumnElement[bool]:
    lang = table_of(VolunteerLanguage).c
    return _owns(VolunteerLanguage, lang.language.in_(sorted(languages)))(at)


FILTERS: tuple[HardFilter, ...] = (
    HardFilter(
        "kind of help",
        Stage.WALK,
        lambda need, _districts: need.category,
        lambda category: lambda v: category in v.categories,
        _category_sql,
    ),
    HardFilter(
        "not paused",
        Stage.WALK,
        lambda _need, _districts: True,
        lambda _always: lambda v: not v.paused,
        lambda _always, at: at.profile.paused.is_(false()),
    ),
    HardFilter(
        "reachable",
        Stage.WALK,
        lambda _need, _districts: True,
        lambda _always: lambda v: v.reachable,
        lambda _always, at: at.user.unreachable_at.is_(None),
    ),
    HardFilter(
        "district",
        Stage.PLACE,
        lambda _need, districts: districts,
        lambda districts: lambda v: not v.districts.isdisjoint(districts),
        _districts_sql,
    ),
    HardFilter(
        "free at the time",
        Stage.TIME,
        lambda need, _districts: need.slot,
        lambda slot: lambda v: slot in v.slots,
        _slot_sql,
    ),
    HardFilter(
        "a shared language",
        Stage.LANE,
        lambda need, _districts: need.languages if needs_shared_language(need) else None,
        lambda languages: lambda v: not languages.isdisjoint(v.languages),
        _languages_sql,
    ),
    HardFilter(
        "adults only",
        Stage.LANE,
        lambda need, _districts: True if need.adults_only else None,
        lambda _adults: lambda v: not v.minor,
        lambda _adults, at: at.profile.age_group == "adult",
    ),
    HardFilter(
        "verified only",
        Stage.LANE,
        lambda need, _districts: True if need.needs_verification else None,
        lambda _verified: lambda v: v.verified,
        lambda _verified, at: at.profile.verified.is_(true()),
    ),
)
ALL_STAGES = frozenset(Stage)


def _of(stages: Collection[Stage]) -> list[HardFilter]:
    return [f for f in FILTERS if f.stage in stages]


def requirements(
    need: Need, districts: frozenset[str], stages: Collection[Stage] = ALL_STAGES
) -> tuple[Hashable | None, ...]:
    """What the filters of these stages ask of volunteers for this need: requests with equal
    requirements fit exactly the same volunteers there."""
    return tuple(f.requirement(need, districts) for f in _of(stages))


def keeps(
    need: Need, districts: frozenset[str], stages: Collection[Stage] = ALL_STAGES
) -> Predicate | None:
    """Whether a volunteer passes the filters of these stages for this need; None when they ask
    nothing of anyone."""
    checks = [
        f.test(required)
        for f in _of(stages)
        if (required := f.requirement(need, districts)) is not None
    ]
    # Chained without a loop, in the order of FILTERS (the most selective first): the fast path
    # calls this for every volunteer it walks past, and the plain rule for every pair.
    if not checks:
        return None
    combined = checks[-1]
    for check in reversed(checks[:-1]):
        combined = _both(check, combined)
    return combined


def _both(first: Predicate, then: Predicate) -> Predicate:
    return lambda v: first(v) and then(v)


def fits(volunteer: Volunteer, need: Need, districts: frozenset[str]) -> bool:
    """The plain rule: does this volunteer qualify for this request at all?"""
    check = keeps(need, districts)
    return check is None or check(volunteer)


def conditions(
    need: Need,
    districts: frozenset[str],
    municipality: str,
    stages: Collection[Stage] = ALL_STAGES,
) -> list[ColumnElement[bool]]:
    """The filters of these stages as SQL conditions on `volunteer_profiles` joined to `users`."""
    at = Where(municipality)
    return [
        f.sql(required, at)
        for f in _of(stages)
        if (required := f.requirement(need, districts)) is not None
    ]


def rank(
    volunteers: Iterable[Volunteer],
    need: Need,
    districts: frozenset[str],
    municipality: Municipality,
    now: datetime,
) -> list[Volunteer]:
    """The volunteers who fit, best first: the plain rule over everyone, as tests use it."""
    check = keeps(need, districts)
    fitting = volunteers if check is None else filter(check, volunteers)
    return best_first(fitting, need, municipality, now)
