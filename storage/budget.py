"""Send slots shared by every process of one bot, so that two workers do not each send at the
rate Telegram allows the bot as a whole.

One row per budget holds the next free slot by the database's clock. A process reserves a few
slots at a time in one conditional update and hands them out itself, so the hot path costs a
round trip to the database only every few messages; slots a process reserved and did not use are
lost to the others, which keeps the bot below its limit rather than at it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SendBudget, table_of

BUDGETS = table_of(SendBudget)


def _clock(dialect: str) -> ColumnElement[Any]:
    """Now, as seconds since the epoch, by the database's clock (the same for every process)."""
    if dialect == "postgresql":
        return func.extract("epoch", func.clock_timestamp())
    return (func.julianday("now") - literal(2440587.5)) * literal(86400.0)


def _greatest(dialect: str) -> Any:
    """The larger of two values: SQLite's two-argument max, PostgreSQL's greatest."""
    return func.max if dialect == "sqlite" else func.greatest


async def reserve(
    sessions: async_sessionmaker[AsyncSession], name: str, count: int, interval: float
) -> float:
    """Reserve `count` send slots `interval` seconds apart; returns in how many seconds the first
    of them comes (0 or more)."""
    span = count * interval
    async with sessions() as session, session.begin():
        connection = await session.connection()
        now = _clock(connection.dialect.name)
        insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
        await connection.execute(
            insert(BUDGETS).values(name=name, next_at=0.0).on_conflict_do_nothing()
        )
        row = await connection.execute(
            update(BUDGETS)
            .where(BUDGETS.c.name == name)
            .values(next_at=_greatest(connection.dialect.name)(BUDGETS.c.next_at, now) + span)
            .returning(BUDGETS.c.next_at - span - now)
        )
        return max(0.0, float(row.scalar_one()))


async def hold(sessions: async_sessionmaker[AsyncSession], name: str, seconds: float) -> None:
    """Telegram asked to wait: no process takes a slot of this budget for `seconds`."""
    async with sessions() as session, session.begin():
        connection = await session.connection()
        now = _clock(connection.dialect.name)
        await connection.execute(
            update(BUDGETS)
            .where(BUDGETS.c.name == name)
            .values(next_at=_greatest(connection.dialect.name)(BUDGETS.c.next_at, now + seconds))
        )
