"""Updates a platform delivered, recorded so that each is handled once however often it arrives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HandledUpdate, table_of

UPDATES: Table = table_of(HandledUpdate)
# Telegram keeps an unconfirmed update for 24 hours; twice that is safely past any redelivery.
KEPT = timedelta(days=2)


async def first_seen(session: AsyncSession, keys: Sequence[str], now: datetime) -> set[str]:
    """Record these update keys in the caller's transaction; returns those not recorded before.

    On PostgreSQL a second transaction recording the same key waits for the first and then finds
    it, so two workers never both handle one update.
    """
    if not keys:
        return set()
    connection = await session.connection()
    insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(UPDATES).on_conflict_do_nothing(index_elements=["key"]).returning(UPDATES.c.key)
    )
    result = await connection.execute(statement, [{"key": k, "handled_at": now} for k in keys])
    return set(result.scalars().all())


async def forget_old(session: AsyncSession, now: datetime) -> None:
    """Drop what no platform will deliver again."""
    connection = await session.connection()
    await connection.execute(delete(UPDATES).where(UPDATES.c.handled_at < now - KEPT))
