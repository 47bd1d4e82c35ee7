"""The scheduled work: plan offers, reminders and closures, keep the files coordinators sent,
then deliver what is due.

APScheduler only wakes us up; everything it would otherwise have to remember is a row in our
tables, so a job missed while the bot was down simply finds more due rows on the next run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from push.deliver import DEFAULT_LEASE, Audience, Outbound, deliver_due
from push.plan import PlanReport, plan
from push.uploads import Fetches, keep_uploads
from storage import sealing, updates
from town.deployment import Deployment

log = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass(frozen=True)
class Pushing:
    """What the scheduled work needs: the database, the town, the clock, how long a push
    worker's claim on messages lasts, and how often the scheduler wakes up."""

    sessions: async_sessionmaker[AsyncSession]
    deployment: Deployment
    clock: Callable[[], datetime]
    lease: timedelta = DEFAULT_LEASE
    every: timedelta = timedelta(seconds=TICK_SECONDS)


@dataclass(frozen=True)
class TickReport:
    plan: PlanReport
    sent: int


async def tick(
    pushing: Pushing,
    outbound: Outbound | None,
    audience: Audience,
    stop: asyncio.Event | None = None,
) -> TickReport:
    """Plan once and, if there is a way out, deliver everything due (until `stop` is set)."""
    async with pushing.sessions() as session, session.begin():
        now = pushing.clock()
        report = await plan(session, pushing.deployment, now)
        await updates.forget_old(session, now)
    await sealing.compact(pushing.sessions)
    if isinstance(outbound, Fetches):
        await keep_uploads(pushing.sessions, pushing.deployment, outbound, pushing.clock)
    sent = 0
    if outbound is not None:
        # The clock itself, not the time planning started: a long run claims its later
        # batches with the time they are claimed at.
        sent = await deliver_due(
            pushing.sessions,
            pushing.deployment,
            outbound,
            audience,
            pushing.clock,
            lease=pushing.lease,
            stop=stop,
        )
    if report.offers or report.expired or report.exhausted or sent:
        log.info(
            "planned %d offers, closed %d requests, %d without volunteer; sent %d messages",
            report.offers,
            report.expired,
            report.exhausted,
            sent,
        )
    return TickReport(report, sent)


class Scheduled:
    """`tick` every `pushing.every` (a minute by default) inside the running event loop, until
    `stop`: a tick under way then begins no further message, gives back what it claimed and did
    not send (the next run of any worker sends it at once), and is waited for, so that nothing it
    uses is closed under it."""

    def __init__(self, pushing: Pushing, outbound: Outbound, audience: Audience) -> None:
        self._args = (pushing, outbound, audience)
        self._ticking = asyncio.Lock()
        self._stopping = asyncio.Event()
        # When the last tick ended (monotonic clock) and how long it took, for health checks.
        self.started_at = self.last_tick_at = time.monotonic()
        self.last_tick_seconds = 0.0
        self.every = pushing.every.total_seconds()
        self.scheduler = AsyncIOScheduler(timezone=pushing.deployment.tz)
        seconds = pushing.every.total_seconds()
        self.scheduler.add_job(
            self._tick,
            "interval",
            seconds=seconds,
            id="tick",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, round(seconds)),
            next_run_time=pushing.clock(),
        )
        self.scheduler.start()

    async def _tick(self) -> None:
        async with self._ticking:
            began = time.monotonic()
            await tick(*self._args, stop=self._stopping)
            self.last_tick_seconds = time.monotonic() - began
            self.last_tick_at = time.monotonic()

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        self.scheduler.pause()  # no new tick; shutting down would cancel the one under way
        self._stopping.set()
        try:
            await asyncio.wait_for(self._ticking.acquire(), timeout)
        except TimeoutError:
            log.warning("the scheduled work did not finish within %.0f s", timeout)
        self.scheduler.shutdown(wait=False)


def start_scheduler(pushing: Pushing, outbound: Outbound, audience: Audience) -> Scheduled:
    """Run `tick` every `pushing.every` inside the running event loop."""
    return Scheduled(pushing, outbound, audience)
