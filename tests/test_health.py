"""Health checks and metrics over HTTP: in polling mode on HEALTH_LISTEN, in webhook mode on the
webhook's listener; /readyz fails when the database is gone, the scheduler stalls or pushes pile
up."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram.health import Vitals, add_health_routes
from bot.channels.telegram.polling import Counts
from bot.channels.telegram.sender import Tally
from storage import create_engine, make_sessionmaker, migrate
from storage.models import Delivery, DeliveryKind, User
from tests.standin import BotApiStandin
from tests.telegram_bot import BotProcess, free_port

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_health_readiness_and_metrics_over_http(
    mode: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {"HEALTH_LISTEN": f"127.0.0.1:{port}"} if mode == "polling" else {}
    bot = BotProcess(standin, "aiogram", mode, database_url, tmp_path, env=env)
    await bot.start()
    base = f"http://127.0.0.1:{port if mode == 'polling' else bot.port}"
    try:
        person = standin.user(1101, "Erika", language_code="de")
        await person.send_text("/start")
        await person.wait_for_message()
        assert await get(f"{base}/healthz") == (200, '{"status": "ok"}')
        status, body = await get(f"{base}/readyz")
        assert status == 200, body
        assert '"database": true' in body and '"scheduler": true' in body
        status, metrics = await get(f"{base}/metrics")
        assert status == 200
        assert 'ehrenamt_updates_total{outcome="handled"} 1.0' in metrics
        assert 'ehrenamt_messages_sent_total{kind="reply"}' in metrics
        assert "ehrenamt_telegram_429_total 0.0" in metrics
        assert "ehrenamt_outbox_backlog 0.0" in metrics
        assert "ehrenamt_tick_seconds" in metrics
    finally:
        await bot.stop()


async def client_for(vitals: Vitals) -> TestClient[Any, Any]:
    app = web.Application()
    add_health_routes(app, vitals)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client


def vitals(sessions: Any, *, last_tick_ago: float = 0.0, max_backlog: int = 10) -> Vitals:
    scheduled = SimpleNamespace(
        last_tick_at=time.monotonic() - last_tick_ago, every=60.0, last_tick_seconds=0.1
    )
    return Vitals(
        sessions=sessions,
        clock=lambda: NOW,
        counts=Counts(),
        tally=Tally(),
        scheduler=lambda: scheduled,  # type: ignore[arg-type,return-value]
        max_backlog=max_backlog,
    )


async def test_not_ready_without_database_with_a_stalled_scheduler_or_a_backlog(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    gone = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/gone")
    try:
        client = await client_for(vitals(sessions))
        assert (await client.get("/readyz")).status == 200
        await client.close()

        client = await client_for(vitals(make_sessionmaker(gone)))
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["database"] is False
        assert (await client.get("/healthz")).status == 200  # the process itself is up
        await client.close()

        client = await client_for(vitals(sessions, last_tick_ago=600))
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["scheduler"] is False
        await client.close()

        async with sessions() as session, session.begin():
            user = User(
                key="telegram:1", language="de", consent_version="1", consent_at=NOW, created_at=NOW
            )
            session.add(user)
            await session.flush()
            assert user.id is not None
            for number in range(3):
                session.add(
                    Delivery(
                        key=f"k{number}",
                        user_id=user.id,
                        kind=DeliveryKind.AGENCY_NOTE,
                        due_at=NOW - timedelta(minutes=10),
                        created_at=NOW,
                    )
                )
        client = await client_for(vitals(sessions, max_backlog=2))
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 503 and body["backlog"] == 3
        assert body["oldest_due_seconds"] == 600.0
        metrics = await (await client.get("/metrics")).text()
        assert "ehrenamt_outbox_backlog 3.0" in metrics
        assert "ehrenamt_outbox_oldest_due_seconds 600.0" in metrics
        await client.close()
    finally:
        await engine.dispose()
        await gone.dispose()
