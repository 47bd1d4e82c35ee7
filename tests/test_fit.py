"""One definition of fit: on generated towns, the fast path of planning (pools and lanes), the
SQL selection and the plain rule find exactly the same volunteers for every kind of request."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from matching.fit import FILTERS, Stage, fits
from matching.lanes import Pools
from matching.rules import PARTS, Need, Volunteer, districts_within
from matching.select import Candidates, candidate_ids
from storage import create_engine, make_sessionmaker, migrate
from storage.models import (
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
)
from town.deployment import DEFAULT_DEPLOYMENT, load_deployment

DEPLOYMENT = load_deployment(DEFAULT_DEPLOYMENT)
BINGEN = DEPLOYMENT.municipalities[0]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# A few of each, so that generated volunteers and requests often meet.
CATEGORIES = ("shopping", "accompaniment", "interpreting")
DISTRICTS = tuple(d.id for d in BINGEN.districts[:4])
LANGUAGES = ("de", "tr", "ar", "uk")
SLOTS = [(day, part) for day in (0, 3) for part in PARTS]
EVERYONE = 10**6


def some(values: tuple[object, ...] | list[object], at_least: int = 0) -> st.SearchStrategy:
    return st.frozensets(st.sampled_from(values), min_size=at_least)


volunteers = st.lists(
    st.builds(
        Volunteer,
        profile_id=st.just(0),  # numbered when stored
        categories=some(CATEGORIES, 1),
        districts=some(DISTRICTS, 1),
        slots=some(SLOTS),
        languages=some(LANGUAGES, 1),
        minor=st.booleans(),
        verified=st.booleans(),
        paused=st.booleans(),
        reachable=st.booleans(),
        offers_received=st.integers(0, 5),
    ),
    max_size=40,
)
needs = st.builds(
    Need,
    category=st.sampled_from(CATEGORIES),
    district=st.sampled_from(DISTRICTS),
    slot=st.none() | st.sampled_from(SLOTS),
    languages=some(LANGUAGES, 1),
    adults_only=st.booleans(),
    needs_verification=st.booleans(),
)


@dataclass(frozen=True)
class Found:
    by_rule: set[int]
    by_sql: set[int]
    by_fast_path: set[int]


async def _store(url: str, people: list[Volunteer]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for number, v in enumerate(people, start=1):
                await connection.execute(
                    insert(User),
                    {
                        "id": number,
                        "key": f"test:{number}",
                        "language": "de",
                        "consent_version": "1",
                        "consent_at": NOW,
                        "created_at": NOW,
                        "unreachable_at": None if v.reachable else NOW,
                    },
                )
                await connection.execute(
                    insert(VolunteerProfile),
                    {
                        "id": number,
                        "user_id": number,
                        "commitment": "both",
                        "rhythm": "immediate",
                        "paused": v.paused,
                        "age_group": "minor" if v.minor else "adult",
                        "verified": v.verified,
                        "offers_received": v.offers_received,
                        "created_at": NOW,
                        "updated_at": NOW,
                    },
                )
                for model, rows in (
                    (VolunteerCategory, [{"category": c} for c in v.categories]),
                    (
                        VolunteerDistrict,
                        [{"municipality": BINGEN.id, "district": d} for d in v.districts],
                    ),
                    (VolunteerLanguage, [{"language": code} for code in v.languages]),
                    (VolunteerSlot, [{"weekday": day, "part": part} for day, part in v.slots]),
                ):
                    if rows:
                        await connection.execute(
                            insert(model), [{"profile_id": number, **row} for row in rows]
                        )
    finally:
        await engine.dispose()


async def _find(url: str, need: Need, radius_km: float) -> tuple[set[int], set[int]]:
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    districts = districts_within(BINGEN, need.district, radius_km)
    try:
        async with sessions() as session:
            by_sql = await candidate_ids(session, need, BINGEN.id, districts, EVERYONE)
        async with sessions() as session:
            pools = Pools(Candidates(session))
            chosen = await pools.choose(need, BINGEN, radius_km, EVERYONE, set(), NOW)
    finally:
        await engine.dispose()
    return set(by_sql), {v.profile_id for v in chosen}


def _found(template: Path, people: list[Volunteer], need: Need, radius_km: float) -> Found:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "town.db"
        shutil.copyfile(template, path)
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_store(url, people))
        by_sql, by_fast_path = asyncio.run(_find(url, need, radius_km))
    districts = districts_within(BINGEN, need.district, radius_km)
    by_rule = {n for n, v in enumerate(people, start=1) if fits(v, need, districts)}
    return Found(by_rule, by_sql, by_fast_path)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated database, copied for every generated town."""
    path = tmp_path_factory.mktemp("fit") / "template.db"

    async def migrated() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate(engine)
        await engine.dispose()

    asyncio.run(migrated())
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=volunteers, need=needs, radius_km=st.sampled_from((0.0, 3.0, 6.0)))
def test_the_fast_path_the_sql_and_the_rule_find_the_same_volunteers(
    template: Path, people: list[Volunteer], need: Need, radius_km: float
) -> None:
    found = _found(template, people, need, radius_km)
    assert found.by_sql == found.by_rule
    assert found.by_fast_path == found.by_rule


def test_a_town_where_everyone_fits_is_found_whole(template: Path) -> None:
    """The property above holds for the empty answer too; this town has a non-empty one."""
    helper = Volunteer(
        profile_id=0,
        categories=frozenset({"shopping"}),
        districts=frozenset({DISTRICTS[0]}),
        slots=frozenset(SLOTS),
        languages=frozenset({"de", "tr"}),
    )
    need = Need("shopping", DISTRICTS[0], SLOTS[0], frozenset({"tr"}), adults_only=True)
    found = _found(template, [helper, helper, helper], need, 0.0)
    assert found.by_rule == found.by_sql == found.by_fast_path == {1, 2, 3}


def test_every_filter_has_a_stage_the_fast_path_applies() -> None:
    assert {f.stage for f in FILTERS} == set(Stage)
    assert len({f.name for f in FILTERS}) == len(FILTERS)
