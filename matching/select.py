"""Finding candidates in the database.

The hard filters a whole group of requests shares (the WALK stage of `matching.fit`: kind of help,
not paused, reachable) run as SQL over indexed tables and yield, per district, the volunteers in
the order matching prefers to ask them: the least asked first. The filters that differ from request
to request run in Python (`matching.lanes`) on the details of the volunteers a planning run
actually walks past, loaded in chunks and kept for the rest of the run.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from matching import fit
from matching.rules import PARTS, Need, Volunteer
from storage.models import (
    Rhythm,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
    table_of,
)

# Details are loaded for this many volunteers at a time: few statements, little memory.
DETAIL_CHUNK = 2_000
# Details are loaded down a kind's list in stretches: this long at first, twice as long each time.
READ_AHEAD = 256
MAX_READ_AHEAD = 16_384
# Names of categories, districts and languages never contain it (they are identifiers).
SEPARATOR = ","


@dataclass(slots=True)
class Reach:
    """What offering needs to know about a volunteer besides matching: whom and when to tell."""

    user_id: int
    rhythm: Rhythm
    urgent_ok: bool
    quiet_from: time
    quiet_until: time


@dataclass
class _Kind:
    """The active volunteers of one kind of help in a municipality, least asked first."""

    order: list[int]  # profile ids
    places: dict[int, int]  # profile id -> its place in `order`
    by_district: dict[str, list[int]]  # the same order, per district
    loaded: int = 0  # details are loaded for everyone before this place
    stretch: int = READ_AHEAD


class Candidates:
    """The volunteers one planning run may offer requests to, looked up as the run needs them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._kinds: dict[tuple[str, str], _Kind] = {}  # by (municipality, category)
        self._volunteers: dict[int, Volunteer] = {}
        self._reach: dict[int, Reach] = {}
        self._sets: dict[str | None, frozenset[str]] = {}
        self._times: dict[str, time] = {}

    async def walk(self, municipality: str, category: str, districts: frozenset[str]) -> Walk:
        """Active volunteers of `category` in any of `districts`, least asked first, each once."""
        kind = self._kinds.get((municipality, category))
        if kind is None:
            kind = self._kinds[(municipality, category)] = await self._load_kind(
                municipality, category
            )
        lists = kind.by_district
        if len(districts) == 1:
            return Walk(self, kind, iter(lists.get(next(iter(districts)), ())))
        merged = heapq.merge(
            *(lists.get(d, []) for d in sorted(districts)), key=kind.places.__getitem__
        )
        return Walk(self, kind, _once(merged))

    async def _load_kind(self, municipality: str, category: str) -> _Kind:
        d, p = table_of(VolunteerDistrict).c, table_of(VolunteerProfile).c
        u = table_of(User).c
        # The WALK filters of `matching.fit`, one list per district (the PLACE filter picks them).
        walked = fit.conditions(_kind_need(category), frozenset(), municipality, (fit.Stage.WALK,))
        # A Core statement: hundreds of thousands of plain rows, nothing for the ORM to do.
        connection = await self._session.connection()
        rows = await connection.execute(
            sa.select(d.district, d.profile_id)
            .join_from(
                table_of(VolunteerDistrict), table_of(VolunteerProfile), p.id == d.profile_id
            )
            .join(table_of(User), u.id == p.user_id)
            .where(d.municipality == municipality, *walked)
            .order_by(p.offers_received, p.id)
        )
        by_district: dict[str, list[int]] = defaultdict(list)
        places: dict[int, int] = {}
        for district, pid in rows.all():
            by_district[district].append(pid)
            places.setdefault(pid, len(places))
        return _Kind(list(places), places, dict(by_district))

    async def load_through(self, kind: _Kind, profile_id: int) -> None:
        """Load details down the kind's list until they are known for `profile_id`: in ever
        longer stretches of the list, so a run that goes deep needs few statements, and one
        that needs a few volunteers loads few."""
        place = kind.places[profile_id]
        while kind.loaded <= place:
            stretch = kind.order[kind.loaded : kind.loaded + kind.stretch]
            await self.load(stretch)
            kind.loaded += len(stretch)
            kind.stretch = min(2 * kind.stretch, MAX_READ_AHEAD)

    def known(self, profile_id: int) -> Volunteer | None:
        return self._volunteers.get(profile_id)

    async def load(self, ids: Sequence[int]) -> None:
        """Load the details of those of these volunteers not seen yet in this run."""
        missing = [pid for pid in ids if pid not in self._volunteers]
        for start in range(0, len(missing), DETAIL_CHUNK):
            await self._load_details(missing[start : start + DETAIL_CHUNK])

    def reach(self, profile_id: int) -> Reach:
        return self._reach[profile_id]

    async def _load_details(self, ids: list[int]) -> None:
        """One statement, one row per volunteer: their child tables come aggregated."""
        p, u = table_of(VolunteerProfile).c, table_of(User).c

        def joined(model: Any, column: Any) -> Any:
            return (
                sa.select(sa.func.aggregate_strings(column, SEPARATOR))
                .where(col(model.profile_id) == p.id)
                .scalar_subquery()
            )

        # Bit weekday * 3 + part for each slot; numbers inlined, so PostgreSQL knows their type.
        def number(value: int) -> Any:
            return sa.literal_column(str(value), sa.Integer)

        part_number = sa.case(
            *((col(VolunteerSlot.part) == part, number(n)) for n, part in enumerate(PARTS)),
            else_=None,
        )
        slot_bit = col(VolunteerSlot.weekday) * number(len(PARTS)) + part_number
        slot_mask = (
            sa.select(sa.func.sum(number(1).op("<<")(slot_bit)))
            .where(col(VolunteerSlot.profile_id) == p.id)
            .scalar_subquery()
        )
        connection = await self._session.connection()
        rows = await connection.execute(
            sa.select(
                p.id,
                p.user_id,
                p.age_group,
                p.verified,
                p.paused,
                p.rhythm,
                p.urgent_ok,
                p.offers_received,
                p.offers_accepted,
                p.helps_done,
                # Times as text, parsed below: the driver's parsers cost more than the rest of
                # a row, and most volunteers share the same few quiet hours.
                sa.cast(p.last_offered_at, sa.String),
                u.unreachable_at.is_(None),  # reachable
                sa.cast(u.quiet_from, sa.String),
                sa.cast(u.quiet_until, sa.String),
                joined(VolunteerCategory, col(VolunteerCategory.category)),
                joined(VolunteerDistrict, col(VolunteerDistrict.district)),
                joined(VolunteerLanguage, col(VolunteerLanguage.language)),
                slot_mask,
            )
            .join_from(table_of(VolunteerProfile), table_of(User), u.id == p.user_id)
            .where(p.id.in_(ids))
        )
        for row in rows.all():
            pid = row[0]
            self._volunteers[pid] = Volunteer(
                profile_id=pid,
                categories=self._set(row[14]),
                districts=self._set(row[15]),
                slots=self._slot_set(int(row[17] or 0)),
                languages=self._set(row[16]),
                minor=row[2] == "minor",
                verified=row[3],
                paused=row[4],
                reachable=bool(row[11]),
                offers_received=row[7],
                offers_accepted=row[8],
                helps_done=row[9],
                last_offered_at=_moment(row[10]),
            )
            self._reach[pid] = Reach(
                row[1], row[5], row[6], self._time(row[12]), self._time(row[13])
            )

    def _set(self, joined: str | None) -> frozenset[str]:
        """A set of names from their aggregated string; most volunteers share their few districts
        or languages, so each distinct set is one object."""
        found = self._sets.get(joined)
        if found is None:
            found = self._sets[joined] = frozenset(joined.split(SEPARATOR) if joined else ())
        return found

    def _time(self, text: str) -> time:
        found = self._times.get(text)
        if found is None:
            found = self._times[text] = time.fromisoformat(text)
        return found

    def _slot_set(self, mask: int) -> frozenset[tuple[int, str]]:
        return frozenset(
            _SLOTS_BY_BITS[0][mask & 0x7F]
            + _SLOTS_BY_BITS[1][mask >> 7 & 0x7F]
            + _SLOTS_BY_BITS[2][mask >> 14 & 0x7F]
        )


# Bit n of a slot mask is weekday n // 3, part of day n % 3. For each run of seven bits, each of
# its 128 values as the slots it stands for: a mask becomes its set in three lookups.
_SLOTS_BY_BITS = tuple(
    tuple(
        tuple(
            (bit // len(PARTS), PARTS[bit % len(PARTS)])
            for bit in range(7 * run, 7 * run + 7)
            if value >> (bit - 7 * run) & 1
        )
        for value in range(128)
    )
    for run in range(3)
)


class Walk:
    """One pass down (part of) a kind's list of candidates."""

    def __init__(self, candidates: Candidates, kind: _Kind, ids: Iterator[int]) -> None:
        self._candidates = candidates
        self._kind = kind
        self._ids = ids

    async def take(self, count: int, skip: Callable[[int], bool]) -> list[Volunteer]:
        """The next `count` volunteers `skip` does not rule out; fewer only at the end."""
        found: list[Volunteer] = []
        candidates = self._candidates
        known = candidates._volunteers  # looked up for every volunteer walked past
        for pid in self._ids:
            if skip(pid):
                continue
            volunteer = known.get(pid)
            if volunteer is None:
                await candidates.load_through(self._kind, pid)
                volunteer = known.get(pid)
            if volunteer is not None:
                found.append(volunteer)
                if len(found) == count:
                    break
        return found


def _moment(text: str | None) -> datetime | None:
    """A stored point in time (naive UTC, as `UTCDateTime` keeps it) from its text."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _once(ids: Iterable[int]) -> Iterator[int]:
    """Each id once: a volunteer helping in two of the districts appears in both lists."""
    seen: set[int] = set()
    for pid in ids:
        if pid not in seen:
            seen.add(pid)
            yield pid


def _kind_need(category: str) -> Need:
    """What the WALK filters look at: the kind of help alone."""
    return Need(category=category, district="", slot=None, languages=frozenset())


async def candidate_ids(
    session: AsyncSession,
    need: Need,
    municipality: str,
    districts: Iterable[str],
    limit: int,
    commitments: Iterable[str] | None = None,
) -> list[int]:
    """Profiles that pass every hard filter of `matching.fit` for `need`, the least asked first, at
    most `limit`: the plain rule as one SQL statement (what announcing an opportunity asks for)."""
    p, u = table_of(VolunteerProfile).c, table_of(User).c
    query = (
        sa.select(p.id)
        .join_from(table_of(VolunteerProfile), table_of(User), u.id == p.user_id)
        .where(*fit.conditions(need, frozenset(districts), municipality))
        .order_by(p.offers_received, p.id)
        .limit(limit)
    )
    if commitments is not None:
        query = query.where(p.commitment.in_(sorted(commitments)))
    connection = await session.connection()
    return [pid for (pid,) in (await connection.execute(query)).all()]
