"""Planning every offer and composing every digest for a town-sized exchange, against a naive baseline.

`make bench-matching` (or `python -m benchmarks.matching --volunteers 100000 --requests 20000`)
generates realistic data for Bingen straight into a fresh SQLite file (seeded, so every run sees the
same people; generating is not measured), then measures, in a fresh subprocess per size:

* **plan**: `push.plan.plan(session, deployment, now)` in one transaction, as the scheduler's tick
  runs it: every open request gets its first offer round (or widens, or is closed as exhausted),
  creating the matches and the offer deliveries;
* **compose**: at the digest time (18:00 the same Monday, when daily and weekly digests and every
  immediate offer are due), as `deliver_due` does: `storage.outbox.claim_due` claims the due rows
  batch by batch (with all of their recipients' rows), `push.deliver.compose_all` builds the
  messages (one digest per volunteer) and `storage.outbox.mark_sent` marks the batch sent; the
  messages are neither rendered to text nor sent. Rendering a sample of the messages
  with `Translator().render` is timed on the side and extrapolated, but not counted;
* time is wall time of plan + compose (and the CPU time they took); memory is the subprocess's
  peak RSS (`VmHWM`), so it includes the interpreter and every import (the RSS after imports is
  printed as well).

It measures the full size and half the data (growth close to 2x means linear), each `--repeat`
times (3) on a fresh copy of the same generated file, and compares the median runs: a run lasts
seconds, and on a shared machine a slow spell can stretch one by a third. And a naive
baseline: every volunteer, as `matching.rules.Volunteer` in memory, ranked by `matching.rules.rank`
against every request of a sample (the first round's district), extrapolated to all requests.
`--profile` profiles the full-size run with cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import json
import logging
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, insert, text

from bot.process import tune_garbage_collector

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261123
TZ = ZoneInfo("Europe/Berlin")
# Planning runs on a Monday morning; at 18:00 the daily and the weekly (Monday) digests are due.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ).astimezone(UTC)
DIGEST_AT = datetime(2026, 11, 23, 18, 0, tzinfo=TZ).astimezone(UTC)
FULL = (100_000, 20_000)
GOAL_SECONDS = 10.0
GOAL_MB = 500.0
COMPOSE_BATCH = 1_000  # due rows claimed at a time (and all of their recipients' rows)
RENDER_SAMPLE = 1_000
RENDER_STRIDE = 20  # every 20th message is rendered, up to RENDER_SAMPLE
BASELINE_SAMPLE = 200

# Weights: what people offer and ask for, where they live (Bingen-Stadt is the largest district).
CATEGORY_WEIGHTS = {
    "shopping": 3.0,
    "visits": 3.0,
    "accompaniment": 2.0,
    "transport": 2.0,
    "garden": 1.5,
    "digital": 2.0,
    "repairs": 1.5,
    "paperwork": 1.0,
    "interpreting": 0.6,
    "tutoring": 1.0,
    "pets": 1.0,
    "club-events": 1.0,
}
DISTRICT_WEIGHTS = {
    "innenstadt": 4.0,
    "bingerbrueck": 1.5,
    "buedesheim": 2.5,
    "dietersheim": 1.0,
    "dromersheim": 1.0,
    "gaulsheim": 1.0,
    "kempten": 1.0,
    "sponsheim": 0.7,
}
OTHER_LANGUAGES = {"tr": 4.0, "ar": 3.0, "uk": 3.0, "ru": 2.5, "pl": 1.5, "fa": 1.0, "ro": 1.0}
PARTS = ("morning", "afternoon", "evening")
BOT_LANGUAGES = ("de", "de_simple", "en", "tr", "ar", "uk", "ru", "fa", "pl", "ro")
DESCRIPTIONS = (
    "Wocheneinkauf, die Taschen sind zu schwer.",
    "Begleitung zum Hausarzt, Termin ist fest.",
    "Ein Regal muss an die Wand, Werkzeug ist da.",
    "Ich freue mich über einen Spaziergang und ein Gespräch.",
    "Hilfe beim Antrag für das Wohngeld.",
    "Das neue Handy einrichten und WhatsApp erklären.",
    "Den Hund am Nachmittag ausführen.",
    "Hecke schneiden und Laub rechen.",
)
NAMES = ("Erika", "Helga", "Jonas", "Ayşe", "Olena", "Karim", "Marie", "Paul", "Svetlana", "Lukas")


def log_quietly() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("alembic", "sqlalchemy", "aiosqlite", "push", "matching"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --- generating the data -------------------------------------------------------------------------


def pick(rng: random.Random, weights: dict[str, float], count: int) -> list[str]:
    """`count` distinct keys, drawn by weight."""
    keys, values = list(weights), list(weights.values())
    chosen: list[str] = []
    while len(chosen) < count:
        key = rng.choices(keys, values)[0]
        if key not in chosen:
            chosen.append(key)
    return chosen


def spoken(rng: random.Random, *, volunteer: bool) -> list[str]:
    """Mostly German; some also or only speak another language (more often among askers)."""
    roll = rng.random()
    other = rng.choices(list(OTHER_LANGUAGES), list(OTHER_LANGUAGES.values()))[0]
    if volunteer:
        languages = ["de"] if roll < 0.80 else ["de", other] if roll < 0.95 else [other]
        if rng.random() < 0.25:
            languages.append("en")
        return languages
    if roll < 0.85:
        return ["de"]
    if roll < 0.90:
        return ["de", other]
    return [other] if rng.random() < 0.7 else [other, "en"]


def chat_language(rng: random.Random, spoken: list[str]) -> str:
    """The language a person chose for the bot: German (some plain German), else their own."""
    if "de" in spoken:
        return "de_simple" if rng.random() < 0.05 else "de"
    return next((language for language in spoken if language in BOT_LANGUAGES), "en")


def users_rows(
    rng: random.Random, first_id: int, languages: list[str], role: str, unreachable: float
) -> list[dict[str, Any]]:
    rows = []
    for offset, language in enumerate(languages):
        uid = first_id + offset
        joined = NOW - timedelta(days=rng.randint(1, 400))
        rows.append(
            {
                "id": uid,
                "key": f"telegram:{10_000_000 + uid}",
                "language": language,
                "role": role,
                "municipality": "bingen",
                "consent_version": "2026-11",
                "consent_at": joined,
                "created_at": joined,
                "quiet_from": clock_time(21, 0) if rng.random() < 0.8 else clock_time(22, 0),
                "quiet_until": clock_time(8, 0) if rng.random() < 0.8 else clock_time(7, 0),
                "unreachable_at": joined if rng.random() < unreachable else None,
            }
        )
    return rows


def volunteer_rows(rng: random.Random, count: int) -> dict[str, list[dict[str, Any]]]:
    """Users 1..count and their profiles (profile id = user id), with categories, districts,
    weekly slots and languages."""
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    speaking = [spoken(rng, volunteer=True) for _ in range(count)]
    languages = [chat_language(rng, languages) for languages in speaking]
    tables["users"] = users_rows(rng, 1, languages, "volunteer", unreachable=0.01)
    all_slots = [(weekday, part) for weekday in range(7) for part in PARTS]
    for pid in range(1, count + 1):
        received = rng.choice((0, 0, 0, 1, 2, 3, 5, 8, 13, 21))
        accepted = rng.randint(0, received)
        tables["volunteer_profiles"].append(
            {
                "id": pid,
                "user_id": pid,
                "commitment": rng.choice(("one_off", "regular", "both")),
                "rhythm": rng.choices(("immediate", "daily", "weekly"), (3, 4.5, 2.5))[0],
                "paused": rng.random() < 0.05,
                "note": None,
                "age_group": "minor" if rng.random() < 0.05 else "adult",
                "first_name": rng.choice(NAMES),
                "verified": rng.random() < 0.3,
                "urgent_ok": rng.random() < 0.2,
                "offers_received": received,
                "offers_accepted": accepted,
                "helps_done": rng.randint(0, accepted),
                "last_offered_at": NOW - timedelta(days=rng.uniform(0.5, 60)) if received else None,
                "created_at": NOW - timedelta(days=rng.randint(1, 400)),
                "updated_at": NOW - timedelta(days=rng.randint(0, 30)),
            }
        )
        for name in pick(rng, CATEGORY_WEIGHTS, rng.randint(1, 4)):
            tables["volunteer_categories"].append({"profile_id": pid, "category": name})
        for name in pick(rng, DISTRICT_WEIGHTS, rng.randint(1, 3)):
            tables["volunteer_districts"].append(
                {"profile_id": pid, "municipality": "bingen", "district": name}
            )
        for weekday, part in rng.sample(all_slots, rng.randint(3, 10)):
            tables["volunteer_slots"].append({"profile_id": pid, "weekday": weekday, "part": part})
        for language in speaking[pid - 1]:
            tables["volunteer_languages"].append({"profile_id": pid, "language": language})
    return tables


def request_rows(
    rng: random.Random, first_user: int, requests: int
) -> dict[str, list[dict[str, Any]]]:
    """Askers (some ask twice) and their open requests: a day in the next three weeks or flexible."""
    askers = max(1, int(requests * 0.8))
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    speaking = [spoken(rng, volunteer=False) for _ in range(askers)]
    languages = [chat_language(rng, languages) for languages in speaking]
    tables["users"] = users_rows(rng, first_user, languages, "seeker", unreachable=0.0)
    today = NOW.astimezone(TZ).date()
    for rid in range(1, requests + 1):
        number = rid - 1 if rid <= askers else rng.randrange(askers)
        asker = first_user + number
        created = NOW - timedelta(hours=rng.uniform(0.1, 24 * 7))
        flexible = rng.random() < 0.15
        day: date | None = None if flexible else today + timedelta(days=rng.randint(0, 20))
        exact = not flexible and rng.random() < 0.2
        for_other = rng.random() < 0.4
        tables["help_requests"].append(
            {
                "id": rid,
                "asker_id": asker,
                "for_other": for_other,
                "person_name": rng.choice(NAMES) if for_other else None,
                "person_phone": None,
                "category": pick(rng, CATEGORY_WEIGHTS, 1)[0],
                "municipality": "bingen",
                "district": pick(rng, DISTRICT_WEIGHTS, 1)[0],
                "day": day,
                "part_of_day": None if flexible or exact else rng.choice(PARTS),
                "at_time": clock_time(rng.randint(8, 19), rng.choice((0, 15, 30, 45)))
                if exact
                else None,
                "address": "Hauptstraße 5" if rng.random() < 0.5 else None,
                "languages": speaking[number],
                "language": languages[number],  # the description is in the asker's language
                "description": rng.choice(DESCRIPTIONS),
                "status": "open",
                "round": 0,
                "round_ends_at": None,
                "exhausted": False,
                "created_at": created,
                "updated_at": created,
            }
        )
    return tables


async def generate(path: Path, volunteers: int, requests: int, seed: int = SEED) -> None:
    """A fresh, migrated SQLite file with `volunteers` profiles and `requests` open requests."""
    from storage.db import create_engine, migrate
    from storage.models import (
        HelpRequest,
        User,
        VolunteerCategory,
        VolunteerDistrict,
        VolunteerLanguage,
        VolunteerProfile,
        VolunteerSlot,
    )

    models: dict[str, Any] = {
        "users": User,
        "volunteer_profiles": VolunteerProfile,
        "volunteer_categories": VolunteerCategory,
        "volunteer_districts": VolunteerDistrict,
        "volunteer_slots": VolunteerSlot,
        "volunteer_languages": VolunteerLanguage,
        "help_requests": HelpRequest,
    }
    rng = random.Random(seed)
    people = volunteer_rows(rng, volunteers)
    asking = request_rows(rng, volunteers + 1, requests)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            for rows in (people, asking):
                for table, model in models.items():
                    for start in range(0, len(rows.get(table, ())), 20_000):
                        chunk = rows[table][start : start + 20_000]
                        await connection.execute(insert(model), chunk)
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await engine.dispose()


# --- measuring (runs in a fresh subprocess per size) -------------------------------------------


@dataclass
class Measurement:
    volunteers: int
    requests: int
    plan_seconds: float
    compose_seconds: float
    cpu_seconds: float  # user + system CPU time of plan + compose, all threads
    statements: int  # SQL statements plan + compose sent (an executemany counts once)
    rss_after_imports_mb: float
    peak_rss_mb: float
    offers: int
    rounds_started: int
    exhausted: int
    expired: int
    users_composed: int
    messages: int
    digests: int
    render_sample: int
    render_seconds: float  # for the sample
    deliveries: dict[str, int]
    checksum: str  # of every planned offer and delivery: equal runs planned exactly the same

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.compose_seconds

    @property
    def render_estimate(self) -> float:
        """Rendering every composed message, extrapolated from the sample."""
        return self.render_seconds * self.messages / self.render_sample if self.render_sample else 0


def cpu_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def memory_mb(field: str) -> float:
    """`VmHWM` (peak) or `VmRSS` (now) of this process image, in MB.

    Not `ru_maxrss`: Linux carries the parent's peak over into a child it starts, and the parent
    here held the generated data.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(path: Path, volunteers: int, requests: int, profile: Path | None) -> Measurement:
    from sqlmodel import func, select

    from handlers.i18n import Translator
    from handlers.types import Reply
    from push.deliver import Cards, by_recipient, compose_all
    from push.plan import plan
    from storage.db import create_engine, make_sessionmaker
    from storage.models import Delivery, User
    from storage.outbox import claim_due, mark_sent
    from town.deployment import DEFAULT_DEPLOYMENT, load_deployment

    deployment = load_deployment(DEFAULT_DEPLOYMENT)
    translator = Translator()
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = make_sessionmaker(engine)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    async with sessions() as session:  # connect and warm up outside the measurement
        await session.exec(select(func.count()).select_from(User))
    rss_imports = memory_mb("VmRSS")
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    profiler = cProfile.Profile() if profile is not None else None
    if profiler is not None:
        profiler.enable()

    cpu_started, started = cpu_time(), time.perf_counter()
    async with sessions() as session, session.begin():
        report = await plan(session, deployment, NOW)
    planned = time.perf_counter()

    messages, digests, users = 0, 0, 0
    built = Cards(deployment)
    sample: list[Reply] = []  # spread over everyone, not just the first users
    stride = RENDER_STRIDE
    while rows := await claim_due(
        sessions, worker="bench", now=DIGEST_AT, lease=timedelta(hours=1), limit=COMPOSE_BATCH
    ):
        recipients = by_recipient(rows)
        users += len(recipients)
        async with sessions() as session:
            messages_of = await compose_all(session, deployment, recipients, built)
        # Sending is not measured; marking the batch sent is, as deliver_due does after sending.
        await mark_sent(sessions, [delivery.id for delivery, _user in rows], DIGEST_AT)
        for (_user, deliveries), replies in zip(recipients, messages_of, strict=True):
            digests += sum(d.kind == "offer" for d in deliveries) > 1
            for reply, _ids in replies:
                if reply is None:
                    continue
                messages += 1
                if messages % stride == 0 and len(sample) < RENDER_SAMPLE:
                    sample.append(reply)
    composed, cpu_used = time.perf_counter(), cpu_time() - cpu_started
    event.remove(engine.sync_engine, "before_cursor_execute", count)
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(profile)

    render_started = time.perf_counter()
    for reply in sample:
        translator.render(reply.text, reply.language)
        for row in reply.buttons:
            for button in row:
                translator.render(button.label, reply.language)
    render_seconds = time.perf_counter() - render_started

    async with sessions() as session:
        kinds = (
            await session.exec(select(Delivery.kind, func.count()).group_by(Delivery.kind))
        ).all()
        checksum = await planned_checksum(session)
    await engine.dispose()
    return Measurement(
        volunteers=volunteers,
        requests=requests,
        plan_seconds=planned - started,
        compose_seconds=composed - planned,
        cpu_seconds=cpu_used,
        statements=statements,
        rss_after_imports_mb=rss_imports,
        peak_rss_mb=memory_mb("VmHWM"),
        offers=report.offers,
        rounds_started=report.rounds_started,
        exhausted=report.exhausted,
        expired=report.expired,
        users_composed=users,
        messages=messages,
        digests=digests,
        render_sample=len(sample),
        render_seconds=render_seconds,
        deliveries={kind: int(count) for kind, count in kinds},
        checksum=checksum,
    )


async def planned_checksum(session: Any) -> str:
    """A digest of what planning decided: every match (request, volunteer, round, state) and every
    delivery (recipient, kind, what it is about, due time), sorted, with offers named by request
    and volunteer rather than by row id. Two runs on the same data print the same checksum exactly
    when they planned the same offers for the same people at the same moments."""
    matches = (
        await session.exec(text("SELECT id, request_id, profile_id, round, state FROM matches"))
    ).all()
    by_id = {row[0]: (row[1], row[2]) for row in matches}
    deliveries = (
        await session.exec(text("SELECT key, user_id, kind, subject_id, due_at FROM deliveries"))
    ).all()
    planned = sorted(repr(tuple(row[1:])) for row in matches)
    planned += sorted(
        repr(
            (
                user,
                kind,
                by_id.get(subject) if kind == "offer" else subject,
                key.partition("#")[2],
                due,
            )
        )
        for key, user, kind, subject, due in deliveries
    )
    return hashlib.sha256("\n".join(planned).encode()).hexdigest()[:16]


def measure_in_subprocess(
    path: Path, volunteers: int, requests: int, profile: Path | None
) -> Measurement:
    command = [sys.executable, "-m", "benchmarks.matching", "--measure", str(path)]
    command += ["--volunteers", str(volunteers), "--requests", str(requests)]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{done.stdout}\n{done.stderr}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return Measurement(**values)


# --- the naive baseline ----------------------------------------------------------------------------


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

    from matching.rules import Volunteer, districts_within, rank
    from push.plan import need_of
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


# --- the report -------------------------------------------------------------------------------------


def print_profile(path: Path, top: int = 25) -> None:
    stream = io.StringIO()
    stats = pstats.Stats(str(path), stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    print("\n".join(stream.getvalue().splitlines()[4:]))
    calls = Counter[str]()
    for (filename, _line, name), (_cc, ncalls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        if name in {
            "_load_kind",
            "_load_details",
            "enqueue_many",
            "_choose",
            "_write",
            "claim_due",
            "compose_all",
            "execute",
        }:
            calls[f"{Path(filename).name}:{name}"] += ncalls
    print(
        "calls (cProfile counts every resumption of a coroutine): "
        + ", ".join(f"{name} {count:,}" for name, count in calls.most_common())
    )


def row(m: Measurement) -> str:
    return (
        f"{m.volunteers:>10,} {m.requests:>8,} {m.plan_seconds:>7.2f} {m.compose_seconds:>8.2f} "
        f"{m.seconds:>7.2f} {m.cpu_seconds:>6.1f} {m.peak_rss_mb:>7.0f} "
        f"{m.rss_after_imports_mb:>7.0f} {m.statements:>8,} {m.offers:>7,} {m.exhausted:>7,} "
        f"{m.users_composed:>7,} {m.digests:>7,} {m.render_estimate:>7.2f}"
    )


HEADER = (
    f"{'volunteers':>10} {'requests':>8} {'plan s':>7} {'compose':>8} {'total s':>7} {'cpu s':>6} "
    f"{'peak MB':>7} {'base MB':>7} {'SQL stmts':>8} {'offers':>7} {'exhaust':>7} {'users':>7} "
    f"{'digests':>7} {'render':>7}"
)


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def median(runs: list[Measurement]) -> Measurement:
    """The run with the median time, carrying the highest peak memory of all runs."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return replace(middle, peak_rss_mb=max(run.peak_rss_mb for run in runs))


def run(volunteers: int, requests: int, sample: int, repeat: int, profile: bool) -> bool:
    half = (volunteers // 2, requests // 2)
    print(
        f"Matching benchmark: plan every offer and compose every digest; {volunteers:,} volunteers "
        f"and {requests:,} open requests, and half of that; seed {SEED}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        "plan = push.plan.plan() in one transaction at Mon 10:00; compose = storage.outbox.claim_due(), "
        "push.deliver.compose_all() and mark_sent() for everything due at Mon 18:00 (digest time), "
        f"{COMPOSE_BATCH:,} rows at a time; each size {repeat} times, each time in a fresh "
        "subprocess on a fresh copy of the generated SQLite file; the goal and the growth compare "
        "the median runs (with the highest peak memory of the runs)"
    )
    print(
        "total s = wall time of plan + compose; cpu s = CPU time they used (all threads; less "
        "sensitive to other load on the machine); "
        "peak MB = peak RSS (VmHWM) of that subprocess (interpreter and imports included); base "
        f"MB = its RSS before planning; render = seconds to render every message to text, extrapolated "
        f"from {RENDER_SAMPLE:,} (not in total)"
    )
    print()
    results: dict[tuple[int, int], Measurement] = {}
    base: Baseline | None = None
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        workdir = Path(tmp)
        print(HEADER, flush=True)
        for size in (half, (volunteers, requests)):
            generated_at = workdir / f"{size[0]}-{size[1]}.db"
            started = time.perf_counter()
            asyncio.run(generate(generated_at, *size))
            generated = time.perf_counter() - started
            if size == (volunteers, requests):
                base = baseline(generated_at, sample)
            stats = workdir / "plan.prof" if profile and size == (volunteers, requests) else None
            runs: list[Measurement] = []
            for number in range(repeat):
                path = workdir / f"run-{number}.db"  # every run plans on the same fresh data
                shutil.copyfile(generated_at, path)
                runs.append(measure_in_subprocess(path, *size, stats if number == 0 else None))
                note = f"   (data generated in {generated:.1f} s)" if number == 0 else ""
                print(row(runs[-1]) + note, flush=True)
                path.unlink()
            results[size] = median(runs)
            if len({r.checksum for r in runs}) > 1:
                print(f"runs of the same data planned differently: {[r.checksum for r in runs]}")
            if stats is not None:
                print()
                print("profile of the full-size run (cProfile, sorted by own time):")
                print_profile(stats)
                print()
    full, smaller = results[(volunteers, requests)], results[half]
    print()
    print(
        "deliveries after planning (full size): "
        + ", ".join(f"{kind} {count:,}" for kind, count in sorted(full.deliveries.items()))
    )
    print(
        f"checksum of the planned offers and deliveries: {full.checksum} (full size), "
        f"{smaller.checksum} (half); the same data and code plan the same"
    )
    growth = full.seconds / smaller.seconds if smaller.seconds else float("inf")
    memory_growth = (full.peak_rss_mb - full.rss_after_imports_mb) / max(
        1.0, smaller.peak_rss_mb - smaller.rss_after_imports_mb
    )
    print(
        f"growth for twice the data: time x{growth:.2f}, memory above the base x{memory_growth:.2f} "
        "(x2.00 is linear)"
    )
    if base is not None:
        ratio = base.extrapolated / full.seconds if full.seconds else float("inf")
        print(
            f"naive baseline: {base.volunteers:,} volunteers x {base.sample:,} sampled requests "
            f"ranked in Python in {base.seconds:.2f} s ({base.fitting:,} fitting pairs); "
            f"x {base.requests:,}/{base.sample:,} = {base.extrapolated:.1f} s for all requests, "
            f"first round only, no writes"
        )
        print(f"ratio: baseline / plan+compose = {ratio:.1f}x")
    time_ok, memory_ok = full.seconds < GOAL_SECONDS, full.peak_rss_mb < GOAL_MB
    scope = (
        "" if (volunteers, requests) == FULL else f" (the goal is set for {FULL[0]:,}/{FULL[1]:,})"
    )
    print(
        f"goal for {volunteers:,} volunteers and {requests:,} requests{scope}: under "
        f"{GOAL_SECONDS:.0f} s {'met' if time_ok else 'NOT met'} ({full.seconds:.2f} s), under "
        f"{GOAL_MB:.0f} MB {'met' if memory_ok else 'NOT met'} ({full.peak_rss_mb:.0f} MB); "
        f"load average now {load()}"
    )
    return time_ok and memory_ok


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.matching",
        description="Time and peak memory to plan every offer and compose every digest.",
    )
    parser.add_argument("--volunteers", type=int, default=FULL[0])
    parser.add_argument("--requests", type=int, default=FULL[1])
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=BASELINE_SAMPLE,
        help="requests ranked by the naive baseline (extrapolated to all)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each size; the median run counts"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the full-size run")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.volunteers < 2 or args.requests < 2 or args.baseline_sample < 1 or args.repeat < 1:
        parser.error(
            "use --volunteers >= 2, --requests >= 2, --baseline-sample >= 1, --repeat >= 1"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    log_quietly()
    tune_garbage_collector()  # as `ehrenamt run`, `scheduler` and `push` do; the baseline too
    if args.measure is not None:
        result = asyncio.run(measure(args.measure, args.volunteers, args.requests, args.profile_to))
        print(json.dumps(asdict(result)))
        return 0
    run(args.volunteers, args.requests, args.baseline_sample, args.repeat, args.profile)
    return 0  # a report: the verdict is printed, not signalled


if __name__ == "__main__":
    sys.exit(main())
