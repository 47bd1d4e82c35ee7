"""Sending what dialogue steps answered, from the reply outbox (`storage.replies`), in order.

The core stores a step's replies with the step and hands them over claimed by this process. The
courier sends them after the commit, one person's in the order they were written, and deletes
each as soon as the platform took it. It also sweeps the outbox for replies nobody holds: those
a process that died had claimed (once the claim expired) and those given back after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.batching import Batches
from storage import replies
from storage.replies import Pending

log = logging.getLogger(__name__)

# Perform a reply's call; True when it is done with (sent, or it never can be), False to give it
# back for a later try.
Perform = Callable[[Pending], Awaitable[bool]]

SWEEP_SECONDS = 5.0


class Courier:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        perform: Perform,
        *,
        worker: str,
        lease: timedelta,
        clock: Callable[[], datetime],
        key_prefix: str,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.perform = perform
        self.worker = worker
        self.lease = lease
        self.clock = clock
        self.key_prefix = key_prefix
        self.sweep_seconds = sweep_seconds
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task[None]] = set()
        self._holding: set[int] = set()  # ids this process is sending or about to send
        # Deletions of rows sent at about the same time share a transaction.
        self._done: Batches[int, None] = Batches(self._forget, max_size=200)

    def deliver(self, key: str, pending: Sequence[Pending]) -> None:
        """Send these replies to one person in the background, after what is already on its way."""
        mine = [p for p in pending if p.id not in self._holding]
        if not mine:
            return
        self._holding.update(p.id for p in mine)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        task = asyncio.create_task(self._send_in_order(lock, mine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_in_order(self, lock: asyncio.Lock, pending: list[Pending]) -> None:
        try:
            async with lock:
                await self._send(pending)
        except Exception:
            log.exception("sending replies failed; they stay in the outbox")
            await self._give_back([p.id for p in pending if p.id in self._holding])
        finally:
            self._holding.difference_update(p.id for p in pending)

    async def _send(self, pending: list[Pending]) -> None:
        held_until = min(p.claimed_until for p in pending)
        for index, reply in enumerate(pending):
            if self.clock() >= held_until - self.lease / 2:
                rest = pending[index:]
                held_until = self.clock() + self.lease
                still = await replies.extend(
                    self.sessions, [p.id for p in rest], worker=self.worker, until=held_until
                )
                if reply.id not in still:
                    # Another process took these over (this one was too slow): they are its now.
                    log.warning("lost the claim on %d replies to another process", len(rest))
                    return
            if not await self.perform(reply):
                await self._give_back([p.id for p in pending[index:]])
                return
            await self._done.submit(reply.id)
            self._holding.discard(reply.id)

    async def _forget(self, ids: Sequence[int]) -> list[None]:
        await replies.done(self.sessions, ids)
        return [None] * len(ids)

    async def _give_back(self, ids: list[int]) -> None:
        if ids:
            await replies.release(self.sessions, worker=self.worker, ids=ids)

    async def sweep(self) -> int:
        """Claim and send what nobody holds; returns how many replies were found."""
        found = await replies.claim_orphans(
            self.sessions,
            worker=self.worker,
            now=self.clock(),
            lease=self.lease,
            key_prefix=self.key_prefix,
        )
        by_person: dict[str, list[Pending]] = {}
        for reply in found:
            by_person.setdefault(reply.key, []).append(reply)
        for key, pending in by_person.items():
            self.deliver(key, pending)
        if found:
            log.info("sending %d replies left unsent", len(found))
        return len(found)

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep now and then every few seconds, until `stop` is set."""
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping the reply outbox failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.sweep_seconds)

    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Let replies on their way finish for up to `timeout` seconds; give back the rest, so
        that the next process sends them at once instead of after the claim expired."""
        if self._tasks:
            _done, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        try:
            await replies.release(self.sessions, worker=self.worker)
        except Exception:
            log.exception("giving back unsent replies failed; they go out once their claim expired")
