"""The fast path of "who fits": pools and lanes of volunteers, shared by the requests of a run.

A pool holds the volunteers of one kind of help in some districts, least asked first, as far as the
run has needed to look (the WALK and PLACE filters of `matching.fit`, run as SQL by
`matching.select`). Within a pool, a lane per time of week holds those free then (the TIME filter),
and a lane per kind of request draws from it those who pass the LANE filters. Requests alike share
one search, and nobody in a lane needs to be checked again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime

from matching.fit import Stage, keeps, requirements
from matching.rules import Need, Volunteer, best_first, districts_within
from matching.select import Candidates, Walk
from town.deployment import Municipality

# Ranking picks from the least asked volunteers who fit: at least this many, and this many per
# offer a round makes. A window several times a round lets nearness, a shared language and
# reliability decide, while offers still spread evenly.
RANK_WINDOW = 16
RANK_WINDOW_PER_OFFER = 4
# How many volunteers a pool walks past at a time while it looks for the next ones who fit.
WALK_STEP = 256
# How many of those free at a time a lane of fitting volunteers looks at at a time.
SCAN_STEP = 64

TimeKey = Hashable | None  # what the TIME filter asks: a time of week, or nothing (flexible)
LaneKey = tuple[TimeKey, tuple[Hashable | None, ...]]


@dataclass
class _Lane:
    """Volunteers of a pool, least asked first: all of them, those free at one time of week, or,
    drawn from those, the ones who fit one kind of request there."""

    volunteers: list[Volunteer] = field(default_factory=list)
    start: int = 0  # everyone before this has had all the offers one run hands out
    source: _Lane | None = None  # the lane of the same time of week a fitting lane draws from
    # Of a stretch of its source, those who belong in this lane (in order).
    keep: Callable[[list[Volunteer]], list[Volunteer]] | None = None
    scanned: int = 0  # how far down its source a fitting lane has looked


def _keeps(
    need: Need, districts: frozenset[str], used_up: set[int]
) -> Callable[[list[Volunteer]], list[Volunteer]]:
    """Who of a stretch of volunteers free at the need's time passes its LANE filters and may
    still be offered something in this run (a comprehension: it sees every volunteer walked)."""
    fitting = keeps(need, districts, (Stage.LANE,))
    if fitting is None:
        return lambda fresh: [v for v in fresh if v.profile_id not in used_up]
    return lambda fresh: [v for v in fresh if v.profile_id not in used_up and fitting(v)]


@dataclass
class _Pool:
    walk: Walk
    times: dict[TimeKey, _Lane] = field(default_factory=lambda: {None: _Lane()})
    fitting: dict[LaneKey, _Lane] = field(default_factory=dict)
    drained: bool = False
    # How a volunteer joins the lane of each time of week they are free (walked: every one).
    adders: dict[TimeKey, Callable[[Volunteer], None]] = field(default_factory=dict)

    def lane(self, need: Need, districts: frozenset[str], used_up: set[int]) -> _Lane:
        """The lane of those who fit `need`, drawn from those free at its time (leaving out
        those who have had all the offers of this run already: they stay out of it)."""
        (time,) = requirements(need, districts, (Stage.TIME,))
        key = (time, requirements(need, districts, (Stage.LANE,)))
        lane = self.fitting.get(key)
        if lane is None:
            source = self.times.get(time)
            if source is None:
                everyone = self.times[None].volunteers
                source = self.times[time] = _Lane([v for v in everyone if time in v.slots])
                self.adders[time] = source.volunteers.append
            lane = self.fitting[key] = _Lane(
                source=source, keep=_keeps(need, districts, used_up), scanned=source.start
            )
        return lane

    async def more(self, lane: _Lane, used_up: Callable[[int], bool]) -> bool:
        """Make `lane` longer; False when the pool has nobody more for it."""
        source = lane.source
        while True:
            if source is None:
                length = len(lane.volunteers)
                if not await self._extend(used_up):
                    return False
                if len(lane.volunteers) > length:
                    return True
                continue
            if lane.scanned == len(source.volunteers) and not await self.more(source, used_up):
                return False
            # Those at the head of the source who have had all their offers stay out of every
            # lane drawn from it from now on.
            everyone = source.volunteers
            while source.start < len(everyone) and used_up(everyone[source.start].profile_id):
                source.start += 1
            lane.scanned = max(lane.scanned, source.start)
            fresh = everyone[lane.scanned : lane.scanned + SCAN_STEP]
            lane.scanned += len(fresh)
            length = len(lane.volunteers)
            assert lane.keep is not None
            lane.volunteers.extend(lane.keep(fresh))
            if len(lane.volunteers) > length:
                return True

    async def _extend(self, used_up: Callable[[int], bool]) -> bool:
        """Walk further down the list; False when there is nobody more."""
        more = [] if self.drained else await self.walk.take(WALK_STEP, used_up)
        if not more:
            self.drained = True
            return False
        self.times[None].volunteers.extend(more)
        adders = self.adders
        for volunteer in more:
            for slot in volunteer.slots:
                add = adders.get(slot)
                if add is None:
                    lane = self.times[slot] = _Lane()
                    add = adders[slot] = lane.volunteers.append
                add(volunteer)
        return True


class Pools:
    """The pools of one planning run, and who has had all the offers one run hands out."""

    def __init__(self, candidates: Candidates) -> None:
        self.candidates = candidates
        self.used_up: set[int] = set()
        self._pools: dict[tuple[str, str, frozenset[str]], _Pool] = {}
        self._circles: dict[tuple[str, str, float], frozenset[str]] = {}

    def districts_within(
        self, municipality: Municipality, district: str, radius_km: float
    ) -> frozenset[str]:
        key = (municipality.id, district, radius_km)
        found = self._circles.get(key)
        if found is None:
            found = self._circles[key] = districts_within(municipality, district, radius_km)
        return found

    async def choose(
        self,
        need: Need,
        municipality: Municipality,
        radius_km: float,
        count: int,
        already: set[int],
        now: datetime,
    ) -> list[Volunteer]:
        """The best `count` among the least asked volunteers who fit `need` within `radius_km` of
        its district, leaving out `already` (those asked before) and the used up."""
        districts = self.districts_within(municipality, need.district, radius_km)
        key = (municipality.id, need.category, districts)
        pool = self._pools.get(key)
        if pool is None:
            walk = await self.candidates.walk(municipality.id, need.category, districts)
            pool = self._pools[key] = _Pool(walk)
        used_up = self.used_up.__contains__
        # Those who fit the request are a lane of their own: nobody else needs to be looked at.
        lane = pool.lane(need, districts, self.used_up)
        window = max(RANK_WINDOW, RANK_WINDOW_PER_OFFER * count)
        fitting: list[Volunteer] = []
        position = lane.start
        skipped = 0
        while len(fitting) < window:
            if position == len(lane.volunteers) and not await pool.more(lane, used_up):
                break
            volunteer = lane.volunteers[position]
            position += 1
            if used_up(volunteer.profile_id):
                if position == lane.start + 1:
                    lane.start = position  # nobody later in this run needs to look at them again
                else:
                    skipped += 1
                continue
            if volunteer.profile_id not in already:
                fitting.append(volunteer)
        if skipped > window:
            # Those who have had their offers stay in the lane behind others; drop them, so the
            # next requests of this lane do not walk past them again.
            rest = lane.volunteers[lane.start :]
            lane.volunteers[lane.start :] = [v for v in rest if not used_up(v.profile_id)]
        # The lane holds only those who fit; `tests/test_fit.py` checks the lanes against `fits`.
        return best_first(fitting, need, municipality, now)[:count]
