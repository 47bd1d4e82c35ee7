"""Delivering due pushes: claim them, compose each for its reader (`push.compose`), send, mark sent.

A row is marked sent only after the platform accepted the message, and a row is claimed by one
worker at a time, so a crash or a second process neither loses nor duplicates a message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.types import Reply
from push.compose import Cards, Message, Recipient, compose_all
from storage.outbox import Addressee, Due, claim_due, mark_sent, release
from town.deployment import Deployment

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)
# Small batches keep the time between claiming and sending well inside the lease.
BATCH = 100
PARALLEL_RECIPIENTS = 40


class Outbound(Protocol):
    """Where pushes leave the bot: a channel that can reach some users."""

    async def push(self, user: Addressee, reply: Reply) -> bool:
        """Deliver; True when done (sent, or the person cannot be reached), False to retry later."""
        ...


@dataclass(frozen=True)
class Audience:
    """Whose deliveries a worker handles: users whose key starts with a prefix, or one user."""

    key_prefix: str | None = None
    user_key: str | None = None


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    deployment: Deployment,
    outbound: Outbound,
    audience: Audience,
    now: datetime,
    *,
    worker: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Send everything due to the audience; returns how many messages went out."""
    worker = worker or uuid.uuid4().hex[:12]
    sent = 0
    limit = asyncio.Semaphore(PARALLEL_RECIPIENTS)
    built = Cards(deployment)
    while True:
        rows = await claim_due(
            sessions,
            worker=worker,
            now=now,
            lease=lease,
            limit=BATCH,
            key_prefix=audience.key_prefix,
            user_key=audience.user_key,
        )
        if not rows:
            return sent
        recipients = by_recipient(rows)
        async with sessions() as session:
            composed = await compose_all(session, deployment, recipients, built)

        async def one(user: Addressee, messages: list[Message]) -> int:
            async with limit:
                return await _deliver_to(sessions, outbound, user, messages, now)

        counts = await asyncio.gather(
            *(
                one(user, messages)
                for (user, _d), messages in zip(recipients, composed, strict=True)
            )
        )
        sent += sum(counts)


def by_recipient(claimed: Sequence[tuple[Due, Addressee]]) -> list[Recipient]:
    """Claimed rows grouped per person, in the order claimed: what `compose_all` takes."""
    grouped: dict[int, Recipient] = {}
    for due, addressee in claimed:
        grouped.setdefault(due.user_id, (addressee, []))[1].append(due)
    return list(grouped.values())


async def _deliver_to(
    sessions: async_sessionmaker[AsyncSession],
    outbound: Outbound,
    user: Addressee,
    messages: list[Message],
    now: datetime,
) -> int:
    sent = 0
    for index, (reply, ids) in enumerate(messages):
        if reply is None or user.unreachable_at is not None:
            await mark_sent(sessions, ids, now)  # nothing (left) to say, or nobody to say it to
            continue
        try:
            delivered = await outbound.push(user, reply)
        except Exception:
            log.exception("sending a push failed")
            delivered = False
        if not delivered:
            rest = [i for _reply, later in messages[index:] for i in later]
            await release(sessions, rest)
            return sent
        await mark_sent(sessions, ids, now)
        sent += 1
    return sent
