"""The scheduled work: plan offers, reminders and closures, then deliver what is due.

APScheduler only wakes us up; everything it would otherwise have to remember is a row in our
tables, so a job missed while the bot was down simply finds more due rows on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from push.deliver import Audience, Outbound, deliver_due
from push.plan import PlanReport, plan

log = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass(frozen=True)
class TickReport:
    plan: PlanReport
    sent: int


async def tick(app: App, outbound: Outbound | None, audience: Audience) -> TickReport:
    """Plan once and, if there is a way out, deliver everything due."""
    now = app.core.clock()
    async with app.sessions() as session, session.begin():
        report = await plan(session, app.deployment, now)
    sent = 0
    if outbound is not None:
        lease = timedelta(seconds=app.settings.push_lease_seconds)
        sent = await deliver_due(app.sessions, app.deployment, outbound, audience, now, lease=lease)
    if report.offers or report.expired or report.exhausted or sent:
        log.info(
            "planned %d offers, closed %d requests, %d without volunteer; sent %d messages",
            report.offers,
            report.expired,
            report.exhausted,
            sent,
        )
    return TickReport(report, sent)


def start_scheduler(app: App, outbound: Outbound, audience: Audience) -> AsyncIOScheduler:
    """Run `tick` every minute inside the running event loop."""
    scheduler = AsyncIOScheduler(timezone=app.deployment.tz)
    scheduler.add_job(
        tick,
        "interval",
        seconds=TICK_SECONDS,
        args=[app, outbound, audience],
        id="tick",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=TICK_SECONDS,
        next_run_time=app.core.clock(),
    )
    scheduler.start()
    return scheduler
