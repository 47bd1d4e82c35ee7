"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.app import App, running_app
from bot.config import Settings
from storage import create_engine, migrate
from tests.chat import Chat

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

# Names, phone numbers, addresses and words of the test people: none may ever reach a log.
PERSONAL_DATA = (
    "Helga",
    "Erika",
    "Sabine",
    "Hauptstraße",
    "06721 12345",
    "Taschen sind zu schwer",
    "Anna Schmidt",
)


def personal_data_in(text: str) -> list[str]:
    return [marker for marker in PERSONAL_DATA if marker in text]


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with logging on at INFO, as the bot does; its logs must name nobody."""
    caplog.set_level(logging.INFO)
    for noisy in ("aiosqlite", "asyncpg", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    yield
    assert personal_data_in(caplog.text) == [], "personal data in the logs"


@pytest.fixture(scope="session", autouse=True)
def _fresh_postgres_schema() -> None:
    """On PostgreSQL, start the session from an empty schema so every migration runs from zero."""
    if not POSTGRES_URL:
        return

    async def reset() -> None:
        engine = create_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    if not POSTGRES_URL:
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    engine = create_engine(POSTGRES_URL)
    await migrate(engine)
    async with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(table.delete())
    await engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Chat scripts send dozens of messages within one frozen instant; the flood limit has its own
    # test. Uploaded files go to the test's own directory.
    return Settings(
        database_url=database_url,
        messages_per_minute=10_000,
        storage_dir=tmp_path / "files",
        _env_file=None,
    )


class FrozenClock:
    """The time the bot sees in tests: Monday 23 November 2026, 9:00 in Bingen, until moved."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def start_app(
    settings: Settings, clock: FrozenClock
) -> Callable[[], AbstractAsyncContextManager[App]]:
    """Start the bot as it runs in production (migrated database, real wiring); call again to restart."""
    return lambda: running_app(settings, clock=clock)


@pytest.fixture
async def app(start_app: Callable[[], AbstractAsyncContextManager[App]]) -> AsyncIterator[App]:
    async with start_app() as running:
        yield running


@pytest.fixture
def chat(app: App) -> Callable[..., Chat]:
    """Open a chat as a person: `chat("erika", language_code="de")`."""
    return lambda user="erika", language_code="de": Chat(app, user, language_code)
