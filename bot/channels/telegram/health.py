"""Health and metrics over HTTP, in polling and in webhook mode: `/healthz` (the process is up),
`/readyz` (the database answers, the scheduler ticks, the outbox is not piling up) and `/metrics`
for Prometheus (prometheus-client; the figures are read when scraped)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.telegram.polling import Counts
from bot.channels.telegram.sender import Tally
from push.jobs import Scheduled
from storage.outbox import backlog

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
# The database must answer within this; a scheduler is stale after this many missed ticks.
DATABASE_TIMEOUT = 3.0
STALE_TICKS = 3


@dataclass
class Vitals:
    """What the checks read: the process's counts, its scheduler (if it runs one) and the
    database, with the backlog above which the process is not ready."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    counts: Counts
    tally: Tally
    scheduler: Callable[[], Scheduled | None]
    max_backlog: int

    async def database(self) -> tuple[bool, int, float]:
        """Whether the database answers, and the due backlog with the oldest one's age (s)."""
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self.sessions() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                now = self.clock()
                due, oldest = await backlog(session, now)
        except Exception as error:  # any failure means not ready, whatever it is
            log.warning("readiness: the database does not answer (%s)", type(error).__name__)
            return False, 0, 0.0
        return True, due, (now - oldest).total_seconds() if oldest else 0.0

    def ticking(self) -> bool | None:
        """Whether this process's scheduler ticked lately; None if it runs none."""
        scheduled = self.scheduler()
        if scheduled is None:
            return None
        return time.monotonic() - scheduled.last_tick_at < STALE_TICKS * scheduled.every


class _Snapshot(Collector):
    def __init__(self, vitals: Vitals, due: int, oldest_age: float) -> None:
        self.vitals, self.due, self.oldest_age = vitals, due, oldest_age

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        counts, tally = self.vitals.counts, self.vitals.tally
        updates = CounterMetricFamily(
            "ehrenamt_updates", "Telegram updates received, by outcome", labels=["outcome"]
        )
        for outcome, value in (
            ("handled", counts.handled),
            ("skipped", counts.skipped),
            ("failed", counts.failed),
        ):
            updates.add_metric([outcome], value)
        yield updates
        sent = CounterMetricFamily("ehrenamt_messages_sent", "Messages sent", labels=["kind"])
        sent.add_metric(["reply"], tally.replies)
        sent.add_metric(["push"], tally.pushes)
        yield sent
        for name, documentation, value in (
            ("ehrenamt_telegram_429", "Times Telegram asked to wait (429)", tally.retry_after),
            ("ehrenamt_telegram_403", "Chats that blocked the bot (403)", tally.forbidden),
            ("ehrenamt_send_errors", "Requests refused or failing for good", tally.failed),
        ):
            yield CounterMetricFamily(name, documentation, value=value)
        yield GaugeMetricFamily(
            "ehrenamt_outbox_backlog", "Pushes due and not sent", value=self.due
        )
        yield GaugeMetricFamily(
            "ehrenamt_outbox_oldest_due_seconds",
            "Age of the oldest push due and not sent",
            value=self.oldest_age,
        )
        scheduled = self.vitals.scheduler()
        if scheduled is not None:
            yield GaugeMetricFamily(
                "ehrenamt_tick_seconds",
                "Duration of the last tick",
                value=scheduled.last_tick_seconds,
            )
            yield GaugeMetricFamily(
                "ehrenamt_tick_age_seconds",
                "Seconds since the last tick ended",
                value=time.monotonic() - scheduled.last_tick_at,
            )


def add_health_routes(app: web.Application, vitals: Vitals) -> None:
    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(_request: web.Request) -> web.Response:
        database, due, oldest_age = await vitals.database()
        ticking = vitals.ticking()
        checks = {
            "database": database,
            "scheduler": "not here" if ticking is None else ticking,
            "backlog": due,
            "oldest_due_seconds": round(oldest_age, 1),
        }
        ok = database and ticking is not False and due <= vitals.max_backlog
        return web.json_response(
            {"status": "ready" if ok else "not ready", **checks}, status=200 if ok else 503
        )

    async def metrics(_request: web.Request) -> web.Response:
        _database, due, oldest_age = await vitals.database()
        registry = CollectorRegistry()
        registry.register(_Snapshot(vitals, due, oldest_age))
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get(HEALTH_PATH, health)
    app.router.add_get(READY_PATH, ready)
    app.router.add_get(METRICS_PATH, metrics)


async def start_health_server(host: str, port: int, vitals: Vitals) -> web.AppRunner:
    """The checks on a listener of their own (polling mode, where there is no webhook server)."""
    app = web.Application()
    add_health_routes(app, vitals)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health checks and metrics on %s:%d", host, port)
    return runner
