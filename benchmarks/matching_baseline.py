"""The naive baseline of the matching benchmark: every volunteer in memory, ranked by the plain
rule (`matching.fit.rank`) against a sample of the requests."""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from synthetic.towns import NOW, SEED


@dataclass
class Baseline:
    volunteers: int
    sample: int
    seconds: float  # for the sample
    fitting: int  # pairs that passed the hard filters in the sample
    requests: int

    @property
    def extrapolated(self) -> float:
        return self.seconds * self.requests / self.sample


def baseline(path: Path, sample: int, seed: int = SEED) -> Baseline:
    """Every volunteer (in memory, as the rules see them) ranked against every sampled request."""
    import sqlite3

    from exchange.rounds import need_of
    from matching.fit import rank
    from matching.rules import Volunteer, districts_within
    from storage.models import HelpRequest
    from town.deployment import DEFAULT_DEPLOYMENT, load_deployment

    deployment = load_deployment(DEFAULT_DEPLOYMENT)
    municipality = deployment.municipality("bingen")
    assert municipality is not None
    connection = sqlite3.connect(path)
    sets: dict[str, dict[int, set[Any]]] = {}
    for table, columns in (
        ("volunteer_categories", "category"),
        ("volunteer_districts", "district"),
        ("volunteer_languages", "language"),
        ("volunteer_slots", "weekday, part"),
    ):
        found: dict[int, set[Any]] = defaultdict(set)
        for pid, *values in connection.execute(f"SELECT profile_id, {columns} FROM {table}"):
            found[pid].add(values[0] if len(values) == 1 else tuple(values))
        sets[table] = found
    volunteers = [
        Volunteer(
            profile_id=pid,
            categories=frozenset(sets["volunteer_categories"][pid]),
            districts=frozenset(sets["volunteer_districts"][pid]),
            slots=frozenset(sets["volunteer_slots"][pid]),
            languages=frozenset(sets["volunteer_languages"][pid]),
            minor=age_group == "minor",
            verified=bool(verified),
            paused=bool(paused),
            reachable=unreachable is None,
            offers_received=received,
            offers_accepted=accepted,
            helps_done=done,
            last_offered_at=datetime.fromisoformat(last).replace(tzinfo=UTC) if last else None,
        )
        for pid, age_group, verified, paused, unreachable, received, accepted, done, last in (
            connection.execute(
                "SELECT p.id, p.age_group, p.verified, p.paused, u.unreachable_at, "
                "p.offers_received, p.offers_accepted, p.helps_done, p.last_offered_at "
                "FROM volunteer_profiles p JOIN users u ON u.id = p.user_id"
            )
        )
    ]
    rows = connection.execute(
        "SELECT id, category, district, day, part_of_day, at_time, languages FROM help_requests"
    ).fetchall()
    connection.close()
    chosen = random.Random(seed).sample(rows, min(sample, len(rows)))
    needs = []
    for _rid, category, district, day, part, at, languages in chosen:
        request = HelpRequest(
            asker_id=0,
            category=category,
            municipality="bingen",
            district=district,
            day=date.fromisoformat(day) if day else None,
            part_of_day=part,
            at_time=clock_time.fromisoformat(at) if at else None,
            languages=json.loads(languages),
            description="",
            created_at=NOW,
            updated_at=NOW,
        )
        radius = deployment.matching.radius_km_per_round[0]
        needs.append(
            (need_of(request, deployment), districts_within(municipality, district, radius))
        )
    fitting = 0
    started = time.perf_counter()
    for need, districts in needs:
        fitting += len(rank(volunteers, need, districts, municipality, NOW))
    seconds = time.perf_counter() - started
    return Baseline(len(volunteers), len(needs), seconds, fitting, len(rows))
