"""The reply outbox: what a dialogue step answered, kept from the step's commit until it was sent.

A step's replies are written in the step's transaction, claimed by the process that handled it,
sent after the commit and deleted one by one as the platform accepts them. A process that dies
leaves its claimed rows behind; once their claim has expired, any process sends them. So a reply
is never lost, and it is sent twice only if a process dies between the platform's answer and
the commit of the deletion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table, delete, insert, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PendingReply, table_of
from storage.sealing import Keyring, keyring_of

REPLIES: Table = table_of(PendingReply)
_C = REPLIES.c


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One reply rendered for its platform (`body`: the call to make; `file`: an attachment;
    `about`: the people whose details it shows)."""

    body: dict[str, Any]
    file: bytes | None = None
    about: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Pending:
    """A claimed reply: send it, then `done` it."""

    id: int
    key: str
    body: dict[str, Any]
    file: bytes | None
    claimed_until: datetime
    about: tuple[int, ...] = ()


async def queue(
    session: AsyncSession,
    replies: Sequence[tuple[str, Sequence[Outgoing]]],
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
) -> list[list[Pending]]:
    """Write the replies of several people in the caller's transaction, claimed by `worker`;
    returns them per person, in order."""
    keyring = keyring_of(session)
    kids = await keyring.kids_of(session, [key for key, items in replies if items])
    rows = [
        {
            "key": key,
            # What people are told holds names and addresses: sealed with the reader's key.
            "body": _sealed(keyring, kids.get(key), item.body),
            "file": _sealed_file(keyring, kids.get(key), item.file),
            "about": list(item.about),
            "created_at": now,
            "claimed_by": worker,
            "claimed_until": now + lease,
        }
        for key, items in replies
        for item in items
    ]
    if not rows:
        return [[] for _ in replies]
    connection = await session.connection()
    result = await connection.execute(
        insert(REPLIES).returning(_C.id, sort_by_parameter_order=True), rows
    )
    ids = iter(result.scalars().all())
    until = now + lease
    return [
        [Pending(next(ids), key, item.body, item.file, until, item.about) for item in items]
        for key, items in replies
    ]


async def done(sessions: async_sessionmaker[AsyncSession], ids: Sequence[int]) -> None:
    """The platform took these: forget them."""
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(delete(REPLIES).where(_C.id.in_(list(ids))))


async def extend(
    sessions: async_sessionmaker[AsyncSession],
    ids: Sequence[int],
    *,
    worker: str,
    until: datetime,
) -> set[int]:
    """Hold the claim on these rows longer; returns those this worker still held."""
    async with sessions() as session, session.begin():
        connection = await session.connection()
        result = await connection.execute(
            update(REPLIES)
            .where(_C.id.in_(list(ids)), _C.claimed_by == worker)
            .values(claimed_until=until)
            .returning(_C.id)
        )
        return set(result.scalars().all())


async def release(
    sessions: async_sessionmaker[AsyncSession], *, worker: str, ids: Sequence[int] | None = None
) -> None:
    """Give claimed rows back (all of the worker's if `ids` is None), to be sent by the next
    sweep of any process, at once."""
    condition = _C.claimed_by == worker
    if ids is not None:
        condition = sa.and_(condition, _C.id.in_(list(ids)))
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(
            update(REPLIES).where(condition).values(claimed_by=None, claimed_until=None)
        )


async def claim_orphans(
    sessions: async_sessionmaker[AsyncSession],
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    key_prefix: str,
    limit: int = 200,
) -> list[Pending]:
    """Claim replies nobody holds (released, or left by a process that died), oldest first."""
    free = or_(_C.claimed_until.is_(None), _C.claimed_until < now)
    oldest = (
        sa.select(_C.id)
        .where(_C.key.startswith(key_prefix, autoescape=True), free)
        .order_by(_C.id)
        .limit(limit)
        .scalar_subquery()
    )
    until = now + lease
    async with sessions() as session, session.begin():
        keyring = keyring_of(session)
        connection = await session.connection()
        # Conditional on the row still being free, so two processes never both claim it.
        result = await connection.execute(
            update(REPLIES)
            .where(_C.id.in_(oldest), free)
            .values(claimed_by=worker, claimed_until=until)
            .returning(_C.id, _C.key, _C.body, _C.file, _C.about)
        )
        rows = sorted(result.all(), key=lambda row: row[0])
    return [
        Pending(row[0], row[1], row[2], _opened(keyring, row[3]), until, tuple(row[4]))
        for row in rows
    ]


def _sealed(keyring: Keyring, kid: str | None, body: dict[str, Any]) -> Any:
    return keyring.seal_json(kid, body) if kid is not None else body


def _sealed_file(keyring: Keyring, kid: str | None, file: bytes | None) -> bytes | None:
    return keyring.seal_file(kid, file) if kid is not None and file is not None else file


def _opened(keyring: Keyring, file: bytes | None) -> bytes | None:
    return keyring.open_file(file) if file is not None else None


async def forget_person(session: AsyncSession, key: str) -> None:
    """Drop every reply still waiting for this person (their data is being erased)."""
    connection = await session.connection()
    await connection.execute(delete(REPLIES).where(_C.key == key))


async def queue_unclaimed(
    session: AsyncSession, replies: Sequence[tuple[str, dict[str, Any]]], now: datetime
) -> None:
    """Write replies for the next sweep of any process to send (no dialogue step waits for them)."""
    if replies:
        connection = await session.connection()
        await connection.execute(
            insert(REPLIES),
            [{"key": key, "body": body, "about": [], "created_at": now} for key, body in replies],
        )
