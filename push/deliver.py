"""Delivering due pushes: claim them, compose each for its reader (`push.compose`), send, mark sent.

A row is claimed by one worker at a time, with the clock at the moment of claiming, and only that
worker sends it, marks it sent or gives it back. A claim lasts a lease, and a worker extends it for
as long as it is sending, so no other worker takes rows it is about to send. Each message is
marked sent as soon as the platform accepted it, in one commit with the others accepted while the
commit before was running (a group commit: no waiting for a batch to fill, and one commit for many
messages when they go out fast). So a second process never sends a message twice, and a crash
loses none: what a dead worker had claimed goes out once its lease has passed. A crash between the
platform's answer and that commit sends the message again (Telegram offers no key to make a send
idempotent); that is the one window left.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.types import Reply
from push.compose import Cards, Message, Recipient, compose_all
from storage.outbox import Addressee, Due, claim_due, extend, mark_sent, release
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


@dataclass
class Claim:
    """The rows one worker claimed in one batch, and until when they are surely its own.

    Sending a batch can outlast the lease (Telegram's limits, slow answers, a busy database).
    Before each message, and every quarter of the lease while messages are on their way, the
    claim is extended once less than half the lease is left. Rows another worker claimed
    meanwhile (possible only if this worker's claim had run out, say while its process stood
    still) are no longer held: they are skipped, and that worker sends them.
    """

    sessions: async_sessionmaker[AsyncSession]
    worker: str
    clock: Callable[[], datetime]
    lease: timedelta
    until: datetime
    held: set[int]
    _extending: asyncio.Lock = field(default_factory=asyncio.Lock)
    _done: asyncio.Event = field(default_factory=asyncio.Event)
    _marking: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Rows sent and not yet marked, with who waits to learn whether they were still held.
    _unmarked: list[tuple[list[int], asyncio.Future[bool]]] = field(default_factory=list)

    async def holds(self, ids: list[int]) -> bool:
        """Whether this worker still holds all these rows, extending the claim first if it is
        running out."""
        async with self._extending:
            now = self.clock()
            if self.until - now < self.lease / 2:
                kept = await extend(
                    self.sessions, sorted(self.held), worker=self.worker, until=now + self.lease
                )
                if len(kept) < len(self.held):
                    log.warning(
                        "another worker took %d messages whose claim had run out; it sends them",
                        len(self.held) - len(kept),
                    )
                self.held, self.until = kept, now + self.lease
        return all(i in self.held for i in ids)

    async def keep(self) -> None:
        """Keep the claim alive until `finish`, however long a single message takes."""
        every = self.lease.total_seconds() / 4
        while True:
            try:
                await asyncio.wait_for(self._done.wait(), timeout=every)
                return
            except TimeoutError:
                pass
            try:
                await self.holds([])
            except Exception:
                log.exception("extending a claim on pushes failed")

    def finish(self) -> None:
        self._done.set()

    async def sent(self, ids: list[int]) -> bool:
        """Mark rows sent at once, in the next commit of sent marks; False if another worker had
        claimed some of them meanwhile (they stay unsent: that worker answers for them)."""
        self.held.difference_update(ids)
        marked: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._unmarked.append((ids, marked))
        async with self._marking:
            if not marked.done():  # nobody took them into their commit while this one waited
                waiting, self._unmarked = self._unmarked, []
                try:
                    done = await mark_sent(
                        self.sessions,
                        [i for rows, _future in waiting for i in rows],
                        self.clock(),
                        worker=self.worker,
                    )
                except asyncio.CancelledError:
                    # Only this message's task was stopped: the others' marks go in the next commit.
                    self._unmarked[:0] = [entry for entry in waiting if entry[1] is not marked]
                    raise
                except Exception as error:
                    for _rows, future in waiting:
                        if future is not marked:
                            future.set_exception(error)
                    raise
                for rows, future in waiting:
                    future.set_result(all(i in done for i in rows))
        return await marked

    async def give_back(self, ids: list[int]) -> None:
        """Release rows for a later run (rows another worker holds by now stay its own)."""
        self.held.difference_update(ids)
        await release(self.sessions, ids, worker=self.worker)


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    deployment: Deployment,
    outbound: Outbound,
    audience: Audience,
    clock: Callable[[], datetime],
    *,
    worker: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
    stop: asyncio.Event | None = None,
) -> int:
    """Send everything due to the audience; returns how many messages went out.

    Once `stop` is set, no message is begun any more: what is claimed and not sent is given
    back at once, for the next run of any worker."""
    worker = worker or uuid.uuid4().hex[:12]
    stop = stop or asyncio.Event()
    sent = 0
    limit = asyncio.Semaphore(PARALLEL_RECIPIENTS)
    built = Cards(deployment)

    async def one(claim: Claim, user: Addressee, messages: list[Message]) -> int:
        async with limit:
            return await _deliver_to(claim, outbound, user, messages, stop)

    while not stop.is_set():
        now = clock()
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
        claim = Claim(sessions, worker, clock, lease, now + lease, {due.id for due, _ in rows})
        keeping = asyncio.create_task(claim.keep())
        try:
            recipients = by_recipient(rows)
            async with sessions() as session:
                composed = await compose_all(session, deployment, recipients, built, now=now)
            counts = await asyncio.gather(
                *(
                    one(claim, user, messages)
                    for (user, _d), messages in zip(recipients, composed, strict=True)
                )
            )
        finally:
            claim.finish()
            await keeping
        sent += sum(counts)
    return sent


def by_recipient(claimed: Sequence[tuple[Due, Addressee]]) -> list[Recipient]:
    """Claimed rows grouped per person, in the order claimed: what `compose_all` takes."""
    grouped: dict[int, Recipient] = {}
    for due, addressee in claimed:
        grouped.setdefault(due.user_id, (addressee, []))[1].append(due)
    return list(grouped.values())


async def _deliver_to(
    claim: Claim, outbound: Outbound, user: Addressee, messages: list[Message], stop: asyncio.Event
) -> int:
    """Send one person's messages in order, each marked sent in a commit of its own."""
    sent = 0
    for index, (reply, ids) in enumerate(messages):
        if stop.is_set():
            await claim.give_back([i for _reply, later in messages[index:] for i in later])
            return sent
        if reply is None or user.unreachable_at is not None:
            await claim.sent(ids)  # nothing (left) to say, or nobody to say it to
            continue
        if not await claim.holds(ids):
            # Another worker claimed these after our claim had run out: it sends them, and what
            # is left for this person goes back, so their messages keep their order.
            await claim.give_back([i for _reply, later in messages[index:] for i in later])
            return sent
        try:
            delivered = await outbound.push(user, reply)
        except Exception:
            log.exception("sending a push failed")
            delivered = False
        if not delivered:
            rest = [i for _reply, later in messages[index:] for i in later]
            await claim.give_back(rest)
            return sent
        if not await claim.sent(ids):
            log.warning("a push went out after another worker had claimed it: it may arrive twice")
        sent += 1
    return sent
