"""The database layer: migrations match the models, SQLite is set up for concurrent use, times stay UTC."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, make_url, text
from sqlmodel import SQLModel, select

from bot.app import App
from storage import create_engine, make_sessionmaker, migrate
from storage.db import async_url
from storage.models import User


async def test_migrations_produce_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine)

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
    await engine.dispose()


async def test_migrating_twice_is_harmless(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    await migrate(engine)
    await engine.dispose()


async def test_workers_starting_together_migrate_one_after_the_other(
    database_url: str, tmp_path: Path
) -> None:
    """Three processes' engines migrate an empty database at once: on PostgreSQL they queue on
    an advisory lock, on SQLite on its write lock; none fails, the schema is whole."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = str(make_url(async_url(database_url)).set(database="ehrenamt_migrate_together"))
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text("DROP DATABASE IF EXISTS ehrenamt_migrate_together"))
            await connection.execute(text("CREATE DATABASE ehrenamt_migrate_together"))
        await admin.dispose()
    engines = [create_engine(url) for _ in range(3)]
    try:
        async with asyncio.timeout(60):  # without the lock they can deadlock on the schema
            await asyncio.gather(*(migrate(engine) for engine in engines))
        async with engines[0].connect() as connection:
            version = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
        assert len(version) == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_sqlite_uses_wal_and_enforces_foreign_keys(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas apply to SQLite only")
    async with app.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_times_are_stored_as_utc_and_read_back_aware(app: App) -> None:
    berlin_evening = datetime(2026, 11, 24, 21, 30, tzinfo=timezone(timedelta(hours=1)))
    async with app.sessions() as session, session.begin():
        session.add(
            User(
                key="test:time",
                language="de",
                consent_version="1",
                consent_at=berlin_evening,
                created_at=berlin_evening,
            )
        )
    sessions = make_sessionmaker(app.engine)
    async with sessions() as session:
        user = (await session.exec(select(User).where(User.key == "test:time"))).one()
        assert user.consent_at == berlin_evening
        assert user.consent_at.tzinfo == UTC
        assert user.consent_at.hour == 20


async def test_naive_datetimes_are_refused(app: App) -> None:
    with pytest.raises(Exception, match="naive"):
        async with app.sessions() as session, session.begin():
            session.add(
                User(
                    key="test:naive",
                    language="de",
                    consent_version="1",
                    consent_at=datetime(2026, 1, 1),
                    created_at=datetime(2026, 1, 1),
                )
            )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///ehrenamt.db", "sqlite+aiosqlite:///ehrenamt.db"),
        ("postgresql://u:p@db/x", "postgresql+asyncpg://u:p@db/x"),
        ("postgres://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
    ],
)
def test_database_urls_get_an_async_driver(given: str, expected: str) -> None:
    assert async_url(given) == expected
