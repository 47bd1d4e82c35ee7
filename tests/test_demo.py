"""The demo history: a plausible half year of Bingen, consistent row by row, written into an
empty database only."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from storage import create_engine, migrate
from storage.models import MatchState, RequestStatus, User, table_of
from synthetic.history import MODELS, NotEmpty, fill, history_rows

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ACCEPTED = (MatchState.ACCEPTED, MatchState.DONE, MatchState.MISSED)
Rows = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def rows() -> Rows:
    return history_rows(volunteers=300, requests=200, weeks=26, now=NOW)


def _offered(rows: Rows) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    kinds: dict[int, set[str]] = defaultdict(set)
    districts: dict[int, set[str]] = defaultdict(set)
    for row in rows["volunteer_categories"]:
        kinds[row["profile_id"]].add(row["category"])
    for row in rows["volunteer_districts"]:
        districts[row["profile_id"]].add(row["district"])
    return kinds, districts


def test_every_offer_went_to_a_volunteer_who_fits_and_had_joined(rows: Rows) -> None:
    kinds, districts = _offered(rows)
    requests = {row["id"]: row for row in rows["help_requests"]}
    profiles = {row["id"]: row for row in rows["volunteer_profiles"]}
    assert rows["matches"]
    for match in rows["matches"]:
        request, pid = requests[match["request_id"]], match["profile_id"]
        assert request["category"] in kinds[pid]
        assert request["district"] in districts[pid]
        assert profiles[pid]["created_at"] < match["offered_at"]
        assert request["created_at"] < match["offered_at"]
        if match["answered_at"] is not None:
            assert match["offered_at"] <= match["answered_at"]


def test_nothing_happens_after_now_and_every_time_is_utc(rows: Rows) -> None:
    for table, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                if isinstance(value, datetime):
                    assert value.tzinfo == UTC, (table, column)
                    assert value <= NOW, (table, column, row)


def test_rows_fit_the_tables_with_ids_from_one(rows: Rows) -> None:
    for table, model in MODELS.items():
        columns = set(table_of(model).c.keys())
        assert rows[table], table
        assert all(set(row) <= columns for row in rows[table]), table
        assert len({frozenset(row) for row in rows[table]}) == 1, table  # one INSERT shape
        if "id" in columns:
            assert [row["id"] for row in rows[table]] == list(range(1, len(rows[table]) + 1))
    assert all(row["key"].startswith("demo:") for row in rows["users"])
    for request in rows["help_requests"]:
        assert request["updated_at"] >= request["created_at"]


def test_a_request_has_at_most_one_volunteer_and_its_status_says_so(rows: Rows) -> None:
    helpers: dict[int, list[MatchState]] = defaultdict(list)
    for match in rows["matches"]:
        if match["state"] in ACCEPTED:
            helpers[match["request_id"]].append(match["state"])
    assert all(len(states) == 1 for states in helpers.values())
    for request in rows["help_requests"]:
        states = helpers.get(request["id"], [])
        if request["status"] == RequestStatus.DONE:
            assert states == [MatchState.DONE]
        elif request["status"] == RequestStatus.MATCHED:
            assert states in ([MatchState.ACCEPTED], [MatchState.MISSED])
        else:
            assert states == []


def test_the_volunteers_counters_are_their_offers(rows: Rows) -> None:
    received: Counter[int] = Counter()
    accepted: Counter[int] = Counter()
    done: Counter[int] = Counter()
    for match in rows["matches"]:
        received[match["profile_id"]] += 1
        accepted[match["profile_id"]] += match["state"] in ACCEPTED
        done[match["profile_id"]] += match["state"] == MatchState.DONE
    for profile in rows["volunteer_profiles"]:
        pid = profile["id"]
        assert profile["offers_received"] == received[pid]
        assert profile["offers_accepted"] == accepted[pid]
        assert profile["helps_done"] == done[pid]


def test_the_same_seed_gives_the_same_town(rows: Rows) -> None:
    assert history_rows(volunteers=300, requests=200, weeks=26, now=NOW) == rows
    assert history_rows(volunteers=300, requests=200, weeks=26, now=NOW, seed=7) != rows


def test_the_town_looks_like_a_town(rows: Rows) -> None:
    requests = rows["help_requests"]
    by_request: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for match in rows["matches"]:
        by_request[match["request_id"]].append(match)
    matched = {m["request_id"] for m in rows["matches"] if m["state"] in ACCEPTED}
    assert 0.60 <= len(matched) / len(requests) <= 0.85
    reasons = Counter(m["decline_reason"] for m in rows["matches"] if m["state"] == "declined")
    assert set(reasons) == {"no_time", "too_far", "not_my_kind", None}
    unmatched = [
        r for r in requests if r["id"] not in matched and r["status"] != RequestStatus.CANCELLED
    ]
    assert any(not by_request[r["id"]] for r in unmatched)  # nobody could be asked
    assert any(
        by_request[r["id"]] and all(m["state"] == "declined" for m in by_request[r["id"]])
        for r in unmatched
    )
    roles = Counter(row["role"] for row in rows["users"])
    assert roles["volunteer"] == 300 and roles["seeker"] and roles["relative"]
    assert any(signup["attended"] for signup in rows["event_signups"])


async def test_fill_writes_an_empty_database_once(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        counts = await fill(engine, volunteers=300, requests=200, weeks=26, now=NOW)
        async with engine.connect() as connection:
            for table, model in MODELS.items():
                stored = await connection.execute(select(func.count()).select_from(model))
                assert stored.scalar_one() == counts[table], table
        assert counts["help_requests"] == 200 and counts["volunteer_profiles"] == 300
        with pytest.raises(NotEmpty, match="only into an empty database"):
            await fill(engine, volunteers=3, requests=2, weeks=1, now=NOW)
        # The app adds people after the demo ones (on PostgreSQL: the id sequences moved on).
        async with engine.begin() as connection:
            added = await connection.execute(
                insert(User).returning(table_of(User).c.id),
                {"key": "test:new", "language": "de", "consent_version": "1"}
                | {"consent_at": NOW, "created_at": NOW},
            )
            assert added.scalar_one() == counts["users"] + 1
    finally:
        await engine.dispose()
