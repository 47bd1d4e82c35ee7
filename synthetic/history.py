"""A town's recent past for a demo database: volunteers joining, requests and what became of
them (offers in rounds, declines with their reasons, hours and feedback), trainings and cafés.

`history_rows` is pure and seeded, so every run sees the same town; `fill` writes it into an
empty, migrated database, so the agency's figures have something to show. Everyone's key is
`demo:<id>`: no platform knows them, so a demo database never messages anyone.
"""

from __future__ import annotations

import gc
import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from itertools import accumulate
from typing import Any, Generic, TypeVar

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from exchange.matches import DeclineReason
from exchange.safety_words import lists as safety_word_lists
from storage.models import (
    Event,
    EventAudience,
    EventKind,
    EventSignup,
    EventStatus,
    Feedback,
    HelpRequest,
    Match,
    MatchState,
    RequestStatus,
    Role,
    SignupStatus,
    StartLinkTally,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
    table_of,
)
from synthetic.towns import (
    CATEGORY_WEIGHTS,
    DESCRIPTIONS,
    DISTRICT_WEIGHTS,
    NAMES,
    PARTS,
    SEED,
    TZ,
    chat_language,
    pick,
    spoken,
)

MUNICIPALITY = "bingen"
CONSENT_VERSION = "2026-11"
COORDINATOR_KEY = "demo:coordinator"

# Tables in foreign-key order, as `history_rows` names them.
MODELS: dict[str, type[SQLModel]] = {
    "users": User,
    "volunteer_profiles": VolunteerProfile,
    "volunteer_categories": VolunteerCategory,
    "volunteer_districts": VolunteerDistrict,
    "volunteer_languages": VolunteerLanguage,
    "volunteer_slots": VolunteerSlot,
    "help_requests": HelpRequest,
    "matches": Match,
    "events": Event,
    "event_signups": EventSignup,
    "start_link_tallies": StartLinkTally,
}
# Of the people who joined during the period, how many came through a start link (a district's
# poster, or another code), and how many opened one for each who then joined.
ARRIVED_BY_LINK = 0.3
OPENED_PER_JOINED = 2.5
CHUNK = 10_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Weights(Generic[T]):
    """Values drawn by weight, the running sums computed once (draws are many)."""

    values: tuple[T, ...]
    sums: tuple[float, ...]

    @classmethod
    def of(cls, weights: dict[T, float]) -> _Weights[T]:
        return cls(tuple(weights), tuple(accumulate(weights.values())))

    def draw(self, rng: random.Random) -> T:
        """The same draw as `towns.pick(rng, weights, 1)[0]` (see `random.choices`), faster."""
        sums = self.sums
        return self.values[bisect_right(sums, rng.random() * sums[-1], 0, len(sums) - 1)]


# Volunteers: some were there before the period, some stop taking offers after a while.
EARLY_JOINERS = 0.35
JOINING_TREND = 0.6  # the last day of the period sees 1.6 times the joiners of the first
QUIET_SHARE = 0.15
QUIET_AFTER_DAYS = (20.0, 150.0)
# Few offer interpreting, so requests for it sometimes find no volunteer of that kind at all.
VOLUNTEER_KINDS = {**CATEGORY_WEIGHTS, "interpreting": 0.2}
# Interpreters live in town: in the outer districts nobody offers it ("no volunteer of that kind").
INTERPRETERS_DISTRICTS = {
    d: DISTRICT_WEIGHTS[d] for d in ("innenstadt", "bingerbrueck", "buedesheim")
}
# Some volunteers take much more than others, and matching prefers those who turn up: whoever
# accepts is the keenest of this many who could.
KEENEST_OF = 3
# As in the Bingen deployment: transport is for adults only, tutoring needs a vetted volunteer.
ADULTS_ONLY = frozenset({"transport"})
NEEDS_VERIFICATION = frozenset({"tutoring"})
RHYTHMS = _Weights.of({"immediate": 3, "daily": 4.5, "weekly": 2.5})

# Requests: the week's rhythm (Monday first), the hours they are made at, the season.
WEEKDAY_RHYTHM = (1.15, 1.05, 1.0, 1.0, 0.95, 0.5, 0.35)
HOUR_RHYTHM = {7: 1, 8: 3, 9: 5, 10: 6, 11: 5, 12: 3, 13: 3, 14: 4, 15: 4, 16: 4, 17: 3, 18: 3}
HOUR_RHYTHM |= {19: 2, 20: 2, 21: 1}
REQUEST_TREND = 0.4  # the exchange grows: the end of the period sees more requests than its start
SEASON_AMPLITUDE = 0.15  # more requests in winter, fewer in summer
WINTER_KINDS = {"shopping": 1.3, "visits": 1.4, "garden": 0.25}
SUMMER_KINDS = {"garden": 2.0}
DISTRICTS = _Weights.of(DISTRICT_WEIGHTS)
# What became of requests.
MATCHED_SHARE = 0.73  # a few find nobody who can accept after all
CANCELLED_SHARE = 0.10
ALL_DECLINED_SHARE = 0.55  # of the rest; the others got no offer at all
FLEXIBLE_SHARE = 0.15
EXACT_TIME_SHARE = 0.2
PART_STARTS = {"morning": clock_time(9, 0), "afternoon": clock_time(14, 0)}
PART_STARTS |= {"evening": clock_time(18, 0)}
# Which of the towns' descriptions fits a kind of help (the others draw any).
DESCRIBED = {
    "shopping": 0,
    "accompaniment": 1,
    "repairs": 2,
    "visits": 3,
    "paperwork": 4,
    "digital": 5,
    "pets": 6,
    "garden": 7,
}
# Offer rounds, as the Bingen deployment runs them.
ROUNDS = 3
ROUND = timedelta(hours=24)
URGENT_ROUND = timedelta(hours=4)
URGENT_WITHIN = timedelta(hours=48)
FLEXIBLE_DAYS = 30
OFFERS = _Weights.of({1: 40, 2: 30, 3: 18, 4: 12})
CANCELLED_OFFERS = _Weights.of({0: 40, 1: 40, 2: 20})
DECLINES = _Weights[str | None].of(
    {
        DeclineReason.NO_TIME.value: 50,
        DeclineReason.TOO_FAR.value: 25,
        DeclineReason.NOT_MY_KIND.value: 15,
        None: 10,  # declined without saying why
    }
)
# Hours from a request to its acceptance: about 60 % within a day, 85 % within three, the rest
# spread up to six days (lognormal; what would come later is drawn again from days three to six).
DELAY_MEDIAN_HOURS = 16.8
DELAY_SIGMA = 1.4
DELAY_TAIL_HOURS = (72.0, 144.0)
LATEST_DAY = 10  # a request's day is at most this many days after it was made
HOURS = _Weights.of({1.0: 45, 2.0: 33, 3.0: 14, 4.0: 8})
MISSED_SHARE = 0.04
GOOD_SHARE, PROBLEM_SHARE = 0.80, 0.04
CONFIRMED_BY_AGENCY_SHARE = 0.10  # of helps without feedback
CONFIRMED_EVE_SHARE = 0.85  # volunteers who confirm the evening before

# Community life: one event every two weeks, the support for volunteers and the Seniorencafé.
EVENT_EVERY = timedelta(days=14)
EVENT_CAPACITY = 20
ATTENDED_SHARE = 0.8
PLACE = "Treff im Stift, Stift St. Martin, Bingen am Rhein"
EVENTS = (
    (EventKind.TRAINING, "Schulung: Erste Hilfe im Ehrenamt", clock_time(17, 0), 180),
    (EventKind.CAFE, "Seniorencafé im Treff", clock_time(15, 0), 120),
    (EventKind.COACHING, "Coaching: Gespräche gut führen", clock_time(18, 0), 120),
    (EventKind.INFO, "Infoabend: Ehrenamt in Bingen", clock_time(19, 0), 90),
    (EventKind.SUPERVISION, "Supervision für Ehrenamtliche", clock_time(18, 30), 90),
    (EventKind.TRAINING, "Schulung: Demenz verstehen", clock_time(17, 0), 180),
)
FOR_VOLUNTEERS = frozenset({EventKind.TRAINING, EventKind.COACHING, EventKind.SUPERVISION})


class NotEmpty(Exception):
    """Demo data would mix with real people."""

    def __init__(self) -> None:
        super().__init__(
            "the database already has people in it; demo data goes only into an empty database"
        )


def history_rows(
    volunteers: int, requests: int, weeks: int, now: datetime, seed: int = SEED
) -> dict[str, list[dict[str, Any]]]:
    """The rows of `weeks` weeks of Bingen up to `now`, table by table (see `MODELS`), with
    explicit ids from 1: `volunteers` volunteers (some joined before), `requests` requests and
    their offers, and the agency's events."""
    town = _Town(random.Random(seed), now.astimezone(UTC), timedelta(weeks=weeks))
    collecting = gc.isenabled()
    gc.disable()  # millions of new rows, none of them in a cycle: collecting would only slow down
    try:
        town.add_volunteers(volunteers)
        town.add_coordinator()
        town.add_requests(requests)
        town.add_events()
        town.add_start_links()
        town.count_offers()
    finally:
        if collecting:
            gc.enable()
    return town.tables


async def fill(
    engine: AsyncEngine,
    volunteers: int,
    requests: int,
    weeks: int,
    now: datetime,
    seed: int = SEED,
) -> dict[str, int]:
    """Write a demo history into an empty, migrated database in one transaction; returns the
    rows written per table. Raises `NotEmpty` if anyone is in it already."""
    async with engine.connect() as connection:
        if await _has_people(connection):
            raise NotEmpty
    rows = history_rows(volunteers, requests, weeks, now, seed)
    async with engine.begin() as connection:
        if await _has_people(connection):
            raise NotEmpty
        for name, model in MODELS.items():
            for start in range(0, len(rows[name]), CHUNK):
                await connection.execute(insert(model), rows[name][start : start + CHUNK])
        if connection.dialect.name == "postgresql":
            await _continue_ids(connection)
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    return {name: len(table_rows) for name, table_rows in rows.items()}


async def _has_people(connection: AsyncConnection) -> bool:
    users = table_of(User)
    found = await connection.execute(select(users.c.id).limit(1))
    return found.first() is not None


async def _continue_ids(connection: AsyncConnection) -> None:
    """The rows came with their ids: move each id sequence past them, so the app's own inserts
    do not collide."""
    for name, model in MODELS.items():
        if "id" not in table_of(model).c:
            continue
        await connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}")
        )


def _local(day: date, at: clock_time) -> datetime:
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


@dataclass(slots=True)
class _Asker:
    id: int
    language: str
    speaking: list[str]
    person: str | None  # whom a relative asks for


@dataclass(slots=True)
class _Request:
    """A request while its outcome is drawn; `row` is written at the end."""

    id: int
    created: datetime
    asker: _Asker
    category: str
    district: str
    day: date | None = None  # None: flexible
    at: clock_time = clock_time(0)  # the exact time, or when the part of the day begins
    starts: datetime | None = None  # the appointment; None for a flexible request
    row: dict[str, Any] = field(default_factory=dict)

    def meet(self, day: date) -> datetime:
        self.day, self.starts = day, _local(day, self.at)
        return self.starts


@dataclass(slots=True)
class _Pool:
    """The volunteers who take requests of one kind in one district, in the order they joined."""

    ids: list[int] = field(default_factory=list)
    joined: list[datetime] = field(default_factory=list)


class _Town:
    def __init__(self, rng: random.Random, now: datetime, span: timedelta) -> None:
        self.rng = rng
        self.now = now
        self.start = now - span
        self.today = now.astimezone(TZ).date()
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in MODELS}
        self.coordinator_id = 0
        # Per volunteer (profile id = user id = index; 0 unused).
        self.joined: list[datetime] = [datetime.min.replace(tzinfo=UTC)]
        self.quiet_after: list[datetime | None] = [None]
        self.paused_from: list[datetime | None] = [None]
        self.keenness: list[float] = [0.0]
        self.pools: dict[tuple[str, str], _Pool] = {}
        self.safety_words = safety_word_lists()

    # --- people ------------------------------------------------------------------------------

    def _user(self, uid: int, key: str, language: str, role: Role | None, joined: datetime) -> None:
        rng = self.rng
        self.tables["users"].append(
            {
                "id": uid,
                "key": key,
                "language": language,
                "role": role,
                "municipality": MUNICIPALITY,
                "consent_version": CONSENT_VERSION,
                "consent_at": joined,
                "created_at": joined,
                "quiet_from": clock_time(21, 0) if rng.random() < 0.8 else clock_time(22, 0),
                "quiet_until": clock_time(8, 0) if rng.random() < 0.8 else clock_time(7, 0),
                "unreachable_at": None,
            }
        )

    def add_coordinator(self) -> None:
        """Whoever organises the events: a person of the agency, not a volunteer or an asker."""
        self.coordinator_id = len(self.tables["users"]) + 1
        joined = self.start - timedelta(days=400)
        self._user(self.coordinator_id, COORDINATOR_KEY, "de", None, joined)

    def _join_times(self, count: int) -> list[datetime]:
        """Some joined in the year before the period; the rest during it, a few more each week."""
        rng, span = self.rng, self.now - self.start
        times: list[datetime] = []
        for _ in range(count):
            if rng.random() < EARLY_JOINERS:
                times.append(self.start - timedelta(days=rng.uniform(0, 365)))
                continue
            # Inverse of the distribution whose density rises linearly by JOINING_TREND.
            a, u = JOINING_TREND, rng.random()
            share = (math.sqrt(1 + 2 * a * u * (1 + a / 2)) - 1) / a
            times.append(min(self.start + span * share, self.now - timedelta(minutes=1)))
        return sorted(times)

    def add_volunteers(self, count: int) -> None:
        """Volunteers in the order they joined, with what they offer; some go quiet later."""
        rng = self.rng
        all_slots = [(weekday, part) for weekday in range(7) for part in PARTS]
        # Volunteers come first, so that profile id = user id.
        for pid, joined in enumerate(self._join_times(count), start=1):
            speaking = spoken(rng, volunteer=True)
            self._user(pid, f"demo:{pid}", chat_language(rng, speaking), Role.VOLUNTEER, joined)
            quiet_after: datetime | None = None
            paused_from: datetime | None = None
            if rng.random() < QUIET_SHARE:
                quiet_after = joined + timedelta(days=rng.uniform(*QUIET_AFTER_DAYS))
                if rng.random() < 0.5:
                    paused_from = quiet_after + timedelta(days=rng.uniform(3, 30))
            self.joined.append(joined)
            self.quiet_after.append(quiet_after)
            self.paused_from.append(paused_from)
            minor, verified = rng.random() < 0.05, rng.random() < 0.3
            self._profile(pid, joined, minor, verified, paused_from)
            kinds = pick(rng, VOLUNTEER_KINDS, rng.randint(1, 4))
            where = INTERPRETERS_DISTRICTS if "interpreting" in kinds else DISTRICT_WEIGHTS
            districts = pick(rng, where, rng.randint(1, 3))
            self.keenness.append(rng.random())
            self._offers(pid, kinds, districts, minor=minor, verified=verified)
            for weekday, part in rng.sample(all_slots, rng.randint(3, 10)):
                self.tables["volunteer_slots"].append(
                    {"profile_id": pid, "weekday": weekday, "part": part}
                )
            for language in speaking:
                self.tables["volunteer_languages"].append({"profile_id": pid, "language": language})

    def _profile(
        self, pid: int, joined: datetime, minor: bool, verified: bool, paused_from: datetime | None
    ) -> None:
        rng = self.rng
        paused = paused_from is not None and paused_from <= self.now
        vetted = joined.astimezone(TZ).date() + timedelta(days=rng.randint(0, 14))
        vetted = min(vetted, self.today)
        self.tables["volunteer_profiles"].append(
            {
                "id": pid,
                "user_id": pid,
                "commitment": rng.choice(("one_off", "regular", "both")),
                "rhythm": RHYTHMS.draw(rng),
                "paused": paused,
                "note": None,
                "age_group": "minor" if minor else "adult",
                "first_name": rng.choice(NAMES),
                "verified": verified,
                "identity_checked_on": vetted if verified else None,
                "interviewed_on": vetted if verified else None,
                "certificate_issued_on": vetted - timedelta(days=rng.randint(7, 60))
                if verified
                else None,
                "urgent_ok": rng.random() < 0.2,
                "offers_received": 0,
                "offers_accepted": 0,
                "helps_done": 0,
                "last_offered_at": None,
                "created_at": joined,
                "updated_at": paused_from if paused and paused_from is not None else joined,
            }
        )

    def _offers(
        self, pid: int, kinds: list[str], districts: list[str], *, minor: bool, verified: bool
    ) -> None:
        """What the volunteer offers, and the pools they are drawn from for offers."""
        for kind in kinds:
            self.tables["volunteer_categories"].append({"profile_id": pid, "category": kind})
        for district in districts:
            self.tables["volunteer_districts"].append(
                {"profile_id": pid, "municipality": MUNICIPALITY, "district": district}
            )
        for kind in kinds:
            if (minor and kind in ADULTS_ONLY) or (not verified and kind in NEEDS_VERIFICATION):
                continue  # listed, but matching does not offer it to them
            for district in districts:
                pool = self.pools.setdefault((kind, district), _Pool())
                pool.ids.append(pid)
                pool.joined.append(self.joined[pid])

    # --- requests ----------------------------------------------------------------------------

    def _request_times(self, count: int) -> list[datetime]:
        """When requests were made: fewer at weekends, more in winter, a growing exchange."""
        rng = self.rng
        first, last = self.start.astimezone(TZ).date(), self.today
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        weights = []
        for day in days:
            share = (day - first).days / max(1, len(days) - 1)
            season = 1 + SEASON_AMPLITUDE * math.cos(
                2 * math.pi * (day.timetuple().tm_yday - 20) / 365.25
            )
            weights.append(WEEKDAY_RHYTHM[day.weekday()] * season * (1 + REQUEST_TREND * share))
        hours, hour_weights = list(HOUR_RHYTHM), list(accumulate(HOUR_RHYTHM.values()))
        times: list[datetime] = []
        while len(times) < count:
            for day in rng.choices(days, weights, k=count - len(times)):
                hour = rng.choices(hours, cum_weights=hour_weights)[0]
                at = _local(day, clock_time(hour, rng.randrange(60), rng.randrange(60)))
                if self.start <= at < self.now:
                    times.append(at)
        return sorted(times)

    def _askers(self, times: list[datetime]) -> list[_Asker]:
        """The asker of each request: about 0.8 askers per request, some asking again; each
        joined minutes before their first request."""
        rng = self.rng
        askers: list[_Asker] = []
        chosen = []
        next_id = len(self.tables["users"]) + 1
        for created in times:
            if askers and rng.random() >= 0.8:
                chosen.append(rng.choice(askers))
                continue
            speaking = spoken(rng, volunteer=False)
            person = rng.choice(NAMES) if rng.random() < 0.3 else None
            asker = _Asker(next_id, chat_language(rng, speaking), speaking, person)
            joined = created - timedelta(minutes=rng.uniform(2, 20))
            role = Role.SEEKER if person is None else Role.RELATIVE
            self._user(next_id, f"demo:{next_id}", asker.language, role, joined)
            askers.append(asker)
            chosen.append(asker)
            next_id += 1
        return chosen

    def _kinds_by_month(self) -> dict[int, _Weights[str]]:
        """What is asked for: more shopping and visits in winter, garden work in summer."""
        kinds = {}
        for month in range(1, 13):
            factors = WINTER_KINDS if month in (11, 12, 1, 2) else {}
            factors = SUMMER_KINDS if month in (5, 6, 7, 8) else factors
            kinds[month] = _Weights.of(
                {kind: weight * factors.get(kind, 1.0) for kind, weight in CATEGORY_WEIGHTS.items()}
            )
        return kinds

    def add_requests(self, count: int) -> None:
        rng = self.rng
        times = self._request_times(count)
        askers = self._askers(times)
        kinds = self._kinds_by_month()
        for rid, (created, asker) in enumerate(zip(times, askers, strict=True), start=1):
            local = created.astimezone(TZ)
            category = kinds[local.month].draw(rng)
            request = _Request(rid, created, asker, category, DISTRICTS.draw(rng))
            self._schedule(request)
            self._outcome(request)
            self.tables["help_requests"].append(request.row)

    def _schedule(self, request: _Request) -> None:
        """The day (or flexible), the part of the day or an exact time, and the row's fields."""
        rng = self.rng
        flexible = rng.random() < FLEXIBLE_SHARE
        exact = not flexible and rng.random() < EXACT_TIME_SHARE
        part = None if flexible or exact else rng.choice(PARTS)
        at_time = clock_time(rng.randint(8, 19), rng.choice((0, 15, 30, 45))) if exact else None
        if not flexible:
            at = at_time or PART_STARTS[part or PARTS[0]]
            request.at = at
            day = request.created.astimezone(TZ).date() + timedelta(rng.randint(0, LATEST_DAY))
            if request.meet(day) < request.created + timedelta(hours=3):
                request.meet(day + timedelta(days=1))  # too late for today: tomorrow
        asker = request.asker
        described = DESCRIBED.get(request.category)
        request.row = {
            "id": request.id,
            "asker_id": asker.id,
            "for_other": asker.person is not None,
            "person_name": asker.person,
            "person_phone": None,
            "category": request.category,
            "municipality": MUNICIPALITY,
            "district": request.district,
            "day": request.day,
            "part_of_day": part,
            "at_time": at_time,
            "address": "Hauptstraße 5" if rng.random() < 0.5 else None,
            "languages": asker.speaking,
            "language": asker.language,
            "description": DESCRIPTIONS[described]
            if described is not None
            else rng.choice(DESCRIPTIONS),
            "status": RequestStatus.OPEN,
            "round": 0,
            "round_ends_at": None,
            "exhausted": False,
            "created_at": request.created,
            "updated_at": request.created,
        }

    # --- what became of a request ------------------------------------------------------------

    def _outcome(self, request: _Request) -> None:
        roll = self.rng.random()
        if roll < MATCHED_SHARE:
            if not self._matched(request):
                self._unmatched(request)
        elif roll < MATCHED_SHARE + CANCELLED_SHARE:
            self._cancelled(request)
        else:
            self._unmatched(request)

    def _round_length(self, request: _Request) -> timedelta:
        """Rounds are short for requests due soon."""
        if request.starts is not None and request.starts - request.created <= URGENT_WITHIN:
            return URGENT_ROUND
        return ROUND

    def _first_offer(self, request: _Request, before: datetime) -> datetime:
        """Planning runs every few minutes; the first offers go out well before `before`."""
        minutes = timedelta(minutes=self.rng.uniform(3, 60))
        return request.created + min(minutes, (before - request.created) / 2)

    def _draw(
        self, request: _Request, offered: set[int], at: datetime, accepting: datetime | None
    ) -> int | None:
        """A volunteer who takes this kind of help in the request's district, joined before the
        request and was not offered it yet, not paused at `at`; if `accepting`, still active
        then, and the keenest of a few. None when such a volunteer is not found."""
        pool = self.pools.get((request.category, request.district))
        there = bisect_right(pool.joined, request.created) if pool is not None else 0
        if pool is None or not there:
            return None
        wanted = 1 if accepting is None else KEENEST_OF
        chosen, found = 0, 0
        for _ in range(12):
            pid = pool.ids[self.rng.randrange(there)]
            paused_from, quiet_after = self.paused_from[pid], self.quiet_after[pid]
            if pid in offered or (paused_from is not None and paused_from <= at):
                continue
            if accepting is not None and quiet_after is not None and quiet_after <= accepting:
                continue
            if not chosen or self.keenness[pid] > self.keenness[chosen]:
                chosen = pid
            found += 1
            if found == wanted:
                break
        if chosen:
            offered.add(chosen)
        return chosen or None

    def _offer_rounds(self, rounds: int) -> list[int]:
        """The round of each offer made for a request: one to four offers, at least one in each
        of the `rounds` rounds."""
        offers = max(rounds, OFFERS.draw(self.rng))
        extra = [self.rng.randint(1, rounds) for _ in range(offers - rounds)]
        return sorted([*range(1, rounds + 1), *extra])

    def _match(
        self,
        request: _Request,
        pid: int,
        round_number: int,
        offered_at: datetime,
        state: MatchState,
        answered_at: datetime | None = None,
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": len(self.tables["matches"]) + 1,
            "request_id": request.id,
            "profile_id": pid,
            "round": round_number,
            "state": state,
            "offered_at": offered_at,
            "answered_at": answered_at,
            "accepted_at": answered_at if state == MatchState.ACCEPTED else None,
            "hours": None,
            "seeker_feedback": None,
            "safety_word": None,
            "safety_latin": None,
            "decline_reason": None,
            "confirmed_at": None,
            "hours_confirmed_at": None,
            "hours_confirmed_by": None,
        }
        if state == MatchState.DECLINED:
            row["decline_reason"] = DECLINES.draw(self.rng)
        self.tables["matches"].append(row)
        return row

    def _delay(self, request: _Request) -> timedelta:
        """From the request to its acceptance, an hour before the appointment at the latest:
        a request accepted only after a while was, as a rule, for a later day."""
        rng = self.rng
        hours = rng.lognormvariate(math.log(DELAY_MEDIAN_HOURS), DELAY_SIGMA)
        if hours > DELAY_TAIL_HOURS[1]:
            hours = rng.uniform(*DELAY_TAIL_HOURS)
        delay = _hours(hours)
        starts = request.starts
        if starts is None or request.created + delay <= starts - timedelta(hours=1):
            return delay
        made = request.created.astimezone(TZ).date()
        later = (request.created + delay).astimezone(TZ).date() + timedelta(rng.randint(1, 3))
        request.row["day"] = min(later, made + timedelta(days=LATEST_DAY))
        room = request.meet(request.row["day"]) - timedelta(hours=1) - request.created
        return delay if delay <= room else room * rng.uniform(0.4, 0.95)

    def _matched(self, request: _Request) -> bool:
        """Offered in rounds until one volunteer accepted; False if nobody could accept."""
        rng = self.rng
        accepted_at = request.created + self._delay(request)
        length = self._round_length(request)
        first = self._first_offer(request, accepted_at)
        rounds = min(ROUNDS, 1 + int((accepted_at - first) / length))
        offered: set[int] = set()
        begins = [first + length * number for number in range(rounds)]
        acceptor = self._draw(request, offered, begins[-1], accepting=accepted_at)
        if acceptor is None:
            return False
        others = []
        for number in self._offer_rounds(rounds)[:-1]:  # the last is the acceptor's
            pid = self._draw(request, offered, begins[number - 1], accepting=None)
            if pid is not None:
                others.append((pid, number))
        if accepted_at > self.now:
            self._in_rounds(request, [*others, (acceptor, rounds)], begins, length, acceptor)
            return True
        for pid, number in others:
            at = begins[number - 1]
            answered = at + length * rng.uniform(0.05, 0.95)
            if answered < accepted_at:
                self._match(request, pid, number, at, MatchState.DECLINED, answered)
            else:
                self._match(request, pid, number, at, MatchState.TAKEN)
        match = self._match(request, acceptor, rounds, begins[-1], MatchState.ACCEPTED, accepted_at)
        request.row |= {"status": RequestStatus.MATCHED, "round": rounds, "updated_at": accepted_at}
        self._carry_out(request, match, accepted_at)
        return True

    def _in_rounds(
        self,
        request: _Request,
        offers: list[tuple[int, int]],
        begins: list[datetime],
        length: timedelta,
        acceptor: int,
    ) -> None:
        """Still being offered at `now`: the offers made so far, some already declined."""
        latest = 0
        for pid, number in offers:
            at = begins[number - 1]
            if at > self.now:
                continue
            latest = max(latest, number)
            answered = at + length * self.rng.uniform(0.05, 0.95)
            if pid != acceptor and answered <= self.now:
                self._match(request, pid, number, at, MatchState.DECLINED, answered)
            else:
                self._match(request, pid, number, at, MatchState.OFFERED)
        if latest:
            request.row |= {
                "round": latest,
                "round_ends_at": min(begins[latest - 1] + length, self.now),
                "updated_at": begins[latest - 1],
            }

    def _carry_out(self, request: _Request, match: dict[str, Any], accepted_at: datetime) -> None:
        """The safety word, the confirmation the evening before, and once the day has passed:
        the help done (hours, feedback) or missed."""
        rng = self.rng
        word, latin = rng.choice(
            self.safety_words.get(request.asker.language.split("_", 1)[0], self.safety_words["de"])
        )
        number = rng.randint(10, 99)
        match |= {"safety_word": f"{word} {number}", "safety_latin": f"{latin} {number}"}
        if request.day is not None:
            eve = _local(request.day - timedelta(days=1), clock_time(18, rng.randrange(60)))
            if accepted_at < eve <= self.now and rng.random() < CONFIRMED_EVE_SHARE:
                match["confirmed_at"] = eve
        helped_at = request.starts or accepted_at + timedelta(days=rng.uniform(1, 10))
        if helped_at + timedelta(hours=2) > self.now:
            return
        recorded = min(self.now, helped_at + _hours(rng.uniform(2, 26)))
        request.row["updated_at"] = recorded
        if rng.random() < MISSED_SHARE:
            # The request stays matched, as the app leaves it; the answer is the report.
            match |= {"state": MatchState.MISSED, "answered_at": recorded}
            return
        request.row["status"] = RequestStatus.DONE
        match |= {"state": MatchState.DONE, "hours": HOURS.draw(rng), "answered_at": recorded}
        roll = rng.random()
        if roll < GOOD_SHARE:
            match["seeker_feedback"] = Feedback.GOOD
        elif roll < GOOD_SHARE + PROBLEM_SHARE:
            match["seeker_feedback"] = Feedback.PROBLEM
        elif rng.random() < CONFIRMED_BY_AGENCY_SHARE:
            confirmed = max(accepted_at + timedelta(days=3), recorded + timedelta(days=1))
            if confirmed <= self.now:
                match |= {
                    "hours_confirmed_at": confirmed,
                    "hours_confirmed_by": self.coordinator_id,
                }

    def _cancelled(self, request: _Request) -> None:
        """Withdrawn by the asker before anyone accepted, after a decline or two at most."""
        rng = self.rng
        latest = self.now
        if request.starts is not None:
            latest = min(latest, request.starts - timedelta(hours=1))
        withdrawn = request.created + _hours(rng.lognormvariate(math.log(20), 1.0))
        if withdrawn > latest:
            withdrawn = request.created + (latest - request.created) * rng.uniform(0.1, 0.9)
        first = self._first_offer(request, withdrawn)
        offered: set[int] = set()
        for _ in range(CANCELLED_OFFERS.draw(rng)):
            pid = self._draw(request, offered, first, accepting=None)
            if pid is not None:
                answered = first + (withdrawn - first) * rng.uniform(0.1, 0.95)
                self._match(request, pid, 1, first, MatchState.DECLINED, answered)
        request.row |= {
            "status": RequestStatus.CANCELLED,
            "round": 1 if offered else 0,
            "updated_at": withdrawn,
        }

    def _deadline(self, request: _Request) -> datetime:
        """When the request expires unless someone accepts: in the night after its day, or a
        flexible one after FLEXIBLE_DAYS."""
        if request.day is None:
            return request.created + timedelta(days=FLEXIBLE_DAYS)
        return _local(request.day + timedelta(days=1), clock_time(0, self.rng.randint(5, 55)))

    def _unmatched(self, request: _Request) -> None:
        """Nobody accepted: every volunteer asked declined, or nobody could be asked at all."""
        rng = self.rng
        deadline = self._deadline(request)
        length = self._round_length(request)
        last_offer = min(self.now, request.starts or deadline)
        first = self._first_offer(request, last_offer)
        offered: set[int] = set()
        latest, waiting = 0, False
        if rng.random() < ALL_DECLINED_SHARE:
            for number in self._offer_rounds(rng.randint(1, ROUNDS)):
                at = first + length * (number - 1)
                pid = self._draw(request, offered, at, accepting=None) if at < last_offer else None
                if pid is None:
                    continue
                latest = number
                answered = at + (min(at + length, deadline) - at) * rng.uniform(0.05, 0.95)
                if answered <= self.now:
                    self._match(request, pid, number, at, MatchState.DECLINED, answered)
                else:
                    self._match(request, pid, number, at, MatchState.OFFERED)
                    waiting = True
        # Once the last round is over (at once when nobody fits), the asker hears nobody was found.
        gave_up = first + length * latest if latest else first
        exhausted = not waiting and gave_up <= min(deadline, self.now)
        row = request.row
        if exhausted:
            row |= {"round": ROUNDS, "exhausted": True, "updated_at": gave_up}
        elif latest:
            row |= {"round": latest, "updated_at": first + length * (latest - 1)}
            if deadline > self.now:
                row["round_ends_at"] = min(gave_up, self.now)
        if deadline <= self.now:
            row |= {"status": RequestStatus.EXPIRED, "updated_at": deadline}

    # --- community life ----------------------------------------------------------------------

    def add_events(self) -> None:
        """One event every two weeks on a weekday evening; volunteers signed up, most came."""
        rng = self.rng
        number = 0
        moment = self.start + timedelta(days=7)
        while moment < self.now:
            day = moment.astimezone(TZ).date()
            while day.weekday() not in (1, 2, 3):
                day += timedelta(days=1)
            kind, title, at, minutes = EVENTS[number % len(EVENTS)]
            starts = _local(day, at)
            ends = starts + timedelta(minutes=minutes)
            if ends > self.now:
                break
            number += 1
            created = starts - timedelta(days=rng.uniform(14, 28))
            self.tables["events"].append(
                {
                    "id": number,
                    "organiser_id": self.coordinator_id,
                    "organisation_id": None,
                    "municipality": MUNICIPALITY,
                    "district": "",
                    "kind": kind,
                    "title": title,
                    "place": PLACE,
                    "online": False,
                    "starts_at": starts,
                    "minutes": minutes,
                    "weekly": False,
                    "until": None,
                    "capacity": EVENT_CAPACITY,
                    "audience": EventAudience.VOLUNTEERS
                    if kind in FOR_VOLUNTEERS
                    else EventAudience.EVERYONE,
                    "languages": ["de"],
                    "language": "de",
                    "status": EventStatus.OPEN,  # a past event stays open; only calling off closes it
                    "created_at": created,
                    "updated_at": created,
                }
            )
            self._signups(number, day, created, starts, ends)
            moment += EVENT_EVERY

    def _signups(
        self, event_id: int, day: date, created: datetime, starts: datetime, ends: datetime
    ) -> None:
        rng = self.rng
        last_call = starts - timedelta(hours=1)
        there = bisect_right(self.joined, last_call) - 1  # volunteers 1..there had joined
        seats = min(there, rng.randint(8, EVENT_CAPACITY))
        for pid in sorted(rng.sample(range(1, there + 1), seats)):
            earliest = max(created, self.joined[pid])
            signed_up = earliest + (last_call - earliest) * rng.random()
            self.tables["event_signups"].append(
                {
                    "id": len(self.tables["event_signups"]) + 1,
                    "event_id": event_id,
                    "on_day": day,
                    "user_id": pid,
                    "for_guest": False,
                    "guest_name": None,
                    "status": SignupStatus.GOING,
                    "attended": rng.random() < ATTENDED_SHARE,
                    "created_at": signed_up,
                    "updated_at": ends,
                }
            )

    # --- start links -------------------------------------------------------------------------

    def add_start_links(self) -> None:
        """Posters' links opened and followed by joining, counted per day and link."""
        rng = self.rng
        tallies: dict[tuple[date, str], dict[str, int]] = {}
        for user in self.tables["users"]:
            if user["created_at"] < self.start or rng.random() >= ARRIVED_BY_LINK:
                continue
            code = f"d-{DISTRICTS.draw(rng)}" if rng.random() < 0.8 else "other"
            day = user["created_at"].astimezone(TZ).date()
            tally = tallies.setdefault((day, code), {"opened": 0, "joined": 0})
            tally["joined"] += 1
            tally["opened"] += 1 + int(rng.random() < OPENED_PER_JOINED - 1)
            tally["opened"] += int(rng.random() < OPENED_PER_JOINED - 2)
        self.tables["start_link_tallies"] = [
            {"id": number, "day": day, "code": code, "municipality": MUNICIPALITY, **counts}
            for number, ((day, code), counts) in enumerate(sorted(tallies.items()), 1)
        ]

    # --- the volunteers' counters ------------------------------------------------------------

    def count_offers(self) -> None:
        """Offers received and accepted and helps done, as matching keeps them on the profile."""
        profiles = self.tables["volunteer_profiles"]  # profile id n is row n - 1
        accepted = (MatchState.ACCEPTED, MatchState.DONE, MatchState.MISSED)
        for match in self.tables["matches"]:
            profile = profiles[match["profile_id"] - 1]
            profile["offers_received"] += 1
            if (
                profile["last_offered_at"] is None
                or profile["last_offered_at"] < match["offered_at"]
            ):
                profile["last_offered_at"] = match["offered_at"]
            if match["state"] in accepted:
                profile["offers_accepted"] += 1
            if match["state"] == MatchState.DONE:
                profile["helps_done"] += 1
