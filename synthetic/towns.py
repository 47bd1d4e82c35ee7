"""Generated towns: realistic volunteers and open requests for Bingen, written straight into a
fresh SQLite file, or with COPY into a fresh PostgreSQL database. Seeded, so every run sees the same
people; the matching benchmark plans them at scale, the tests plan small ones and check every
decision against the rules.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from storage.models import RequestStatus

SEED = 20261123
TZ = ZoneInfo("Europe/Berlin")
# Planning runs on a Monday morning; at 18:00 the daily and the weekly (Monday) digests are due.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ).astimezone(UTC)
DIGEST_AT = datetime(2026, 11, 23, 18, 0, tzinfo=TZ).astimezone(UTC)

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


def volunteer_rows(
    rng: random.Random, count: int, first_id: int = 1
) -> dict[str, list[dict[str, Any]]]:
    """Users first_id..first_id + count - 1 and their profiles (profile id = user id), with
    categories, districts, weekly slots and languages."""
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    speaking = [spoken(rng, volunteer=True) for _ in range(count)]
    languages = [chat_language(rng, languages) for languages in speaking]
    tables["users"] = users_rows(rng, first_id, languages, "volunteer", unreachable=0.01)
    all_slots = [(weekday, part) for weekday in range(7) for part in PARTS]
    for pid in range(first_id, first_id + count):
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
        for language in speaking[pid - first_id]:
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
                "status": RequestStatus.OPEN,
                "round": 0,
                "round_ends_at": None,
                "exhausted": False,
                "created_at": created,
                "updated_at": created,
            }
        )
    return tables


def _models() -> dict[str, Any]:
    from storage.models import (
        HelpRequest,
        User,
        VolunteerCategory,
        VolunteerDistrict,
        VolunteerLanguage,
        VolunteerProfile,
        VolunteerSlot,
    )

    return {
        "users": User,
        "volunteer_profiles": VolunteerProfile,
        "volunteer_categories": VolunteerCategory,
        "volunteer_districts": VolunteerDistrict,
        "volunteer_slots": VolunteerSlot,
        "volunteer_languages": VolunteerLanguage,
        "help_requests": HelpRequest,
    }


async def generate(path: Path, volunteers: int, requests: int, seed: int = SEED) -> None:
    """A fresh, migrated SQLite file with `volunteers` profiles and `requests` open requests."""
    from storage.db import create_engine, migrate

    models = _models()
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


# Volunteers are generated and copied this many at a time, so a million never sit in memory.
COPY_CHUNK = 50_000


async def generate_postgres(
    url: str, volunteers: int, requests: int, seed: int = SEED, chunk: int = COPY_CHUNK
) -> None:
    """The same kind of data in a fresh, migrated PostgreSQL database, written with COPY.

    Volunteers are drawn `chunk` at a time, so the people differ from `generate`'s for the same
    seed (the draws come in another order); the same seed and chunk give the same people.
    """
    import asyncpg
    from sqlalchemy.engine import make_url

    from storage.db import create_engine, migrate

    engine = create_engine(url)
    try:
        await migrate(engine)
        dialect = engine.dialect
    finally:
        await engine.dispose()
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        rng = random.Random(seed)
        async with connection.transaction():
            # As pg_restore loads: the secondary indexes built once at the end rather than row by
            # row, and, where allowed (a superuser), no foreign-key check per row of data that is
            # consistent by construction.
            indexes = await connection.fetch(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY($1::text[]) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                list(_models()),
            )
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            if await connection.fetchval(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ):
                await connection.execute("SET LOCAL session_replication_role = replica")
            for first in range(1, volunteers + 1, chunk):
                count = min(chunk, volunteers + 1 - first)
                await _copy(connection, dialect, volunteer_rows(rng, count, first))
            await _copy(connection, dialect, request_rows(rng, volunteers + 1, requests))
            for index in indexes:
                await connection.execute(index["indexdef"])
            for table in ("users", "volunteer_profiles", "help_requests"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        # As autovacuum leaves a database in use: statistics, and the visibility map that lets
        # index-only scans skip the table (a table just copied into has none).
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _copy(connection: Any, dialect: Any, tables: dict[str, list[dict[str, Any]]]) -> None:
    """COPY generated rows into their tables, each value as the column type would bind it (so
    times, enums and JSON arrive as an INSERT would write them), columns the rows leave out with
    their Python-side defaults (the database applies its own)."""
    for name, model in _models().items():
        rows = tables.get(name)
        if not rows:
            continue
        columns, converters = [], []
        for column in model.__table__.columns:
            given = column.name in rows[0]
            default = column.default
            if not given and (default is None or not (default.is_scalar or default.is_callable)):
                continue
            if not given:
                value = default.arg if default.is_scalar else default.arg(None)
                converters.append(_constant(value, column.type.bind_processor(dialect)))
            else:
                converters.append(_bound(column.name, column.type.bind_processor(dialect)))
            columns.append(column.name)
        records = [tuple(convert(row) for convert in converters) for row in rows]
        await connection.copy_records_to_table(name, records=records, columns=columns)


def _bound(name: str, process: Any) -> Any:
    if process is None:
        return lambda row: row[name]
    return lambda row: process(row[name])


def _constant(value: Any, process: Any) -> Any:
    bound = process(value) if process is not None else value
    return lambda _row: bound
