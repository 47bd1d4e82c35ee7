"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sealing

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///ehrenamt.db"

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """Accept `sqlite:///x.db` or `postgresql://...` as well and pick the async driver."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None and parsed.drivername == "postgres":
        driver = _ASYNC_DRIVERS["postgresql"]
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def check_url(url: str) -> None:
    """Refuse a URL that is not one of SQLite or PostgreSQL; the reason never repeats the URL,
    which may hold a password."""
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        raise ValueError(
            "not a database URL; for example sqlite:///ehrenamt.db or "
            "postgresql://user:password@host/ehrenamt"
        ) from None
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ValueError(f"{backend} is not supported; use a sqlite:// or postgresql:// URL")


def create_engine(
    url: str = DEFAULT_DATABASE_URL, *, data_key: bytes | None = None, **kwargs: Any
) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    The engine carries the keyring that seals and opens personal fields (`storage.sealing`),
    with `data_key` wrapping the people's keys if given.
    """
    url = async_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        # SQLite has one writer at a time. One pooled connection per process queues our
        # transactions in Python instead of letting them wait out SQLite's busy timeout.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 120)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    sealing.attach(engine, data_key)  # after BEGIN IMMEDIATE: it reads in the transaction
    return engine


def pool_size(engine: AsyncEngine) -> int:
    """How many connections the engine keeps: 1 for SQLite, so transactions there take turns."""
    size = getattr(engine.pool, "size", None)
    return max(1, size()) if callable(size) else 1


def _sqlite_begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write.

    Otherwise two transactions that both read and then write (two volunteers accepting the same
    request) collide with "database is locked" instead of waiting for each other.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver would open transactions lazily on its own; we open them (see above).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Other processes on the same file (a console chat, the scheduler) wait this long for a lock;
    # first of all, since switching a new file to WAL waits for a migration another holds.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Matching reads volunteers in an order unrelated to where they are stored: keep up to 64 MiB
    # of the file in memory (the default is 2 MiB).
    cursor.execute("PRAGMA cache_size=-65536")
    # Overwrite deleted content, so erased personal data does not linger in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config() -> Config:
    return Config(str(ALEMBIC_INI))


# Any number that no other part takes: workers that start together queue on it to migrate.
MIGRATION_LOCK = 7_403_421


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database schema up to the newest migration. On PostgreSQL the migration holds
    an advisory lock until it commits, so workers starting together migrate one after the other
    (the later ones find nothing left to do); SQLite's write lock does the same there."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# A bulk write of at least this many rows brings the planner's statistics of its tables up to date.
BULK_ROWS = 10_000


async def after_bulk_write(session: AsyncSession, tables: Sequence[str], rows: int) -> None:
    """Let PostgreSQL's planner know of a bulk write at once, in the writing transaction.

    Autovacuum analyzes a table only a minute or so after a large change; until then the planner
    takes a table that just gained hundreds of thousands of rows for nearly empty, and the
    statements right after the write (claiming and composing the pushes just planned) scan whole
    indexes batch after batch. ANALYZE counts the transaction's own new rows and takes no lock
    that writers or readers wait for. SQLite's planner keeps no such row estimates to go stale.
    """
    connection = await session.connection()
    if rows >= BULK_ROWS and connection.dialect.name == "postgresql":
        await connection.execute(text(f"ANALYZE {', '.join(tables)}"))
