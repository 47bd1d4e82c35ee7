"""Messages that show a person's details in someone else's chat, to be edited when they erase them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import replies
from storage.models import Mention, table_of

MENTIONS: Table = table_of(Mention)
_C = MENTIONS.c


async def record(
    sessions: async_sessionmaker[AsyncSession],
    people: Sequence[int],
    key: str,
    redaction: dict[str, Any],
    now: datetime,
) -> None:
    """A message in `key`'s chat shows these people's details; `redaction` edits them out."""
    if not people:
        return
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(
            insert(MENTIONS),
            [
                {"person_id": person, "key": key, "redaction": redaction, "created_at": now}
                for person in people
            ],
        )


async def redact(session: AsyncSession, person_id: int, key: str, now: datetime) -> int:
    """In the caller's transaction: queue the edits that take this person's details out of
    others' chats, and forget the messages in their own chat; returns how many were queued."""
    connection = await session.connection()
    found = await connection.execute(
        select(_C.key, _C.redaction).where(_C.person_id == person_id, _C.key != key)
    )
    edits = [(row[0], row[1]) for row in found.all()]
    await replies.queue_unclaimed(session, edits, now)
    await connection.execute(delete(MENTIONS).where(or_(_C.person_id == person_id, _C.key == key)))
    return len(edits)
