"""The outbox: write a delivery once under its unique key, claim due ones, mark them sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryKind, User, table_of

# Calls for helpers are claimed before any other push that is due, digests and newsletters too.
CRISIS_LANE, REGULAR_LANE = 0, 1
CRISIS_KINDS = frozenset(
    {
        DeliveryKind.CRISIS_CALL,
        DeliveryKind.CRISIS_FULL,
        DeliveryKind.CRISIS_MOVED_UP,
        DeliveryKind.CRISIS_POST,
        DeliveryKind.CRISIS_SCOUT,
        DeliveryKind.CRISIS_ARRIVED,
    }
)


def delivery_key(user_id: int, kind: DeliveryKind, subject_id: int | None, extra: str = "") -> str:
    return f"{user_id}:{kind}:{subject_id if subject_id is not None else '-'}{extra}"


async def enqueue(
    session: AsyncSession,
    *,
    user_id: int,
    kind: DeliveryKind,
    subject_id: int | None,
    due_at: datetime,
    now: datetime,
    extra: str = "",
) -> None:
    """Plan one delivery; planning the same (recipient, subject, kind) again changes nothing."""
    await enqueue_many(session, [planned(user_id, kind, subject_id, due_at, now, extra)])


def planned(
    user_id: int,
    kind: DeliveryKind,
    subject_id: int | None,
    due_at: datetime,
    now: datetime,
    extra: str = "",
) -> dict[str, Any]:
    """The row of one delivery, for `enqueue_many`."""
    return {
        "key": delivery_key(user_id, kind, subject_id, extra),
        "user_id": user_id,
        "kind": kind,
        "subject_id": subject_id,
        "due_at": due_at,
        "lane": CRISIS_LANE if kind in CRISIS_KINDS else REGULAR_LANE,
        "attempts": 0,
        "created_at": now,
    }


async def enqueue_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Plan many deliveries in one statement; those whose key exists already are left alone."""
    if not rows:
        return
    connection = await session.connection()
    insert = postgres_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table_of(Delivery)).on_conflict_do_nothing(index_elements=["key"])
    await connection.execute(statement, rows)


# Not frozen, like `Due`: a large run builds tens of thousands at once, and nothing changes them.
@dataclass(slots=True)
class Addressee:
    """Whom claimed deliveries go to: what composing and sending need to know of the person."""

    id: int
    key: str
    language: str
    unreachable_at: datetime | None


@dataclass(slots=True)
class Due:
    """A claimed delivery: what to say to whom."""

    id: int
    user_id: int
    kind: DeliveryKind
    subject_id: int | None


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    key_prefix: str | None = None,
    user_key: str | None = None,
) -> list[tuple[Due, Addressee]]:
    """Claim due, unsent deliveries for this worker, calls for helpers first, then the oldest,
    and all of each recipient's (so what is due for one person together goes out together, as
    one digest).

    The claim is a conditional update, so two workers never hold the same row; a claim expires
    `lease` after `now`, so the rows of a worker that died are sent by the next one. `now` must be
    the time of this call: a claim dated earlier would run out before its lease has passed. On
    PostgreSQL the due rows are chosen `FOR UPDATE SKIP LOCKED`: workers claiming at the same
    moment take different rows instead of waiting for each other and finding them taken.
    """
    while True:
        found, claimed = await _claim_once(
            sessions, worker, now, lease, limit, key_prefix=key_prefix, user_key=user_key
        )
        # Found but not claimed: another worker claimed those very rows at the same moment (on
        # PostgreSQL the update then waits for it and finds them taken). Others may still be
        # due: look again rather than report that nothing is.
        if claimed or not found:
            return claimed


async def _claim_once(
    sessions: async_sessionmaker[AsyncSession],
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    key_prefix: str | None,
    user_key: str | None,
) -> tuple[bool, list[tuple[Due, Addressee]]]:
    """One try: whether there were due rows, and those this worker claimed of them."""
    free = or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now)
    claimable = (col(Delivery.sent_at).is_(None), col(Delivery.due_at) <= now, free)
    async with sessions() as session, session.begin():
        query = (
            select(Delivery.user_id)
            .where(*claimable)
            .order_by(col(Delivery.lane), col(Delivery.due_at), col(Delivery.id))
            .limit(limit)
            # Ignored by SQLite, whose writer holds the whole database anyway.
            .with_for_update(skip_locked=True, of=Delivery)
        )
        if key_prefix is not None or user_key is not None:
            query = query.join(User, col(User.id) == Delivery.user_id)
        if key_prefix is not None:
            query = query.where(col(User.key).startswith(key_prefix))
        if user_key is not None:
            query = query.where(User.key == user_key)
        recipients = sorted(set((await session.exec(query)).all()))
        if not recipients:
            return False, []
        d = table_of(Delivery).c
        connection = await session.connection()
        # One conditional update claims them and returns what was claimed.
        rows = await connection.execute(
            update(table_of(Delivery))
            .where(d.user_id.in_(recipients), *claimable)
            .values(claimed_by=worker, claimed_until=now + lease, attempts=d.attempts + 1)
            # The due time as stored (UTC text, which sorts as the times do): only to order by.
            .returning(d.id, d.user_id, d.kind, d.subject_id, d.lane, sa.cast(d.due_at, sa.String))
        )
        claimed = [
            Due(*row[:4]) for row in sorted(rows.all(), key=lambda row: (row[4], row[5], row[0]))
        ]
        u = table_of(User).c
        users = await connection.execute(
            sa.select(u.id, u.key, u.language, u.unreachable_at).where(
                u.id.in_(sorted({due.user_id for due in claimed}))
            )
        )
        by_id = {row[0]: Addressee(*row) for row in users.all()}
        return True, [(due, by_id[due.user_id]) for due in claimed]


async def mark_sent(
    sessions: async_sessionmaker[AsyncSession], ids: list[int], now: datetime, *, worker: str
) -> set[int]:
    """Mark rows sent, in a transaction of their own, if this worker still holds them; returns
    those it marked (not the others: another worker claimed them meanwhile and answers for them)."""
    d = table_of(Delivery).c
    async with sessions() as session, session.begin():
        connection = await session.connection()
        result = await connection.execute(
            update(table_of(Delivery))
            .where(*_held_by(worker, ids))
            .values(sent_at=now, claimed_until=None)
            .returning(d.id)
        )
        return {row[0] for row in result.all()}


async def release(
    sessions: async_sessionmaker[AsyncSession], ids: list[int], *, worker: str
) -> None:
    """Give claimed rows back after a failure, to be tried again on the next run; rows another
    worker holds by now stay its own."""
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(
            update(table_of(Delivery))
            .where(*_held_by(worker, ids))
            .values(claimed_by=None, claimed_until=None)
        )


async def extend(
    sessions: async_sessionmaker[AsyncSession], ids: list[int], *, worker: str, until: datetime
) -> set[int]:
    """Lengthen this worker's claim on unsent rows it still holds; returns those rows (the others
    were sent, or another worker claimed them after this worker's claim had run out)."""
    if not ids:
        return set()
    d = table_of(Delivery).c
    async with sessions() as session, session.begin():
        connection = await session.connection()
        rows = await connection.execute(
            update(table_of(Delivery))
            .where(*_held_by(worker, ids))
            .values(claimed_until=until)
            .returning(d.id)
        )
        return {row[0] for row in rows.all()}


def _held_by(worker: str, ids: list[int]) -> tuple[sa.ColumnElement[bool], ...]:
    """Rows among `ids` this worker claimed last and nobody marked sent."""
    d = table_of(Delivery).c
    return (d.id.in_(ids), d.claimed_by == worker, d.sent_at.is_(None))


async def backlog(session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """How many pushes are due and not sent, and since when the oldest of them is due."""
    rows = await session.exec(
        select(sa.func.count(), sa.func.min(Delivery.due_at)).where(
            col(Delivery.sent_at).is_(None), col(Delivery.due_at) <= now
        )
    )
    count, oldest = rows.one()
    return int(count), oldest
