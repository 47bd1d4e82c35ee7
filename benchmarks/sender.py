"""Pushes per second through the Telegram sender, against a stand-in that answers 429 like Telegram.

`make bench-sender` (or `python -m benchmarks.sender --messages 3000`) seeds a fresh SQLite file
with `--messages` people on Telegram (keys `telegram:<id>`), each with one request whose day has
passed, so the next planning run closes the requests and queues one "expired" notice per person.
Then, in this process, as `ehrenamt push --now` does: `running_app` on that file, `TelegramBot` with
its framework front and `Sender` (30 messages per second overall, one per second per chat),
`bot.start(receive=False, schedule=False)` and one `push.jobs.tick`: planning, claiming, composing,
rendering, sending and marking every message sent.

The Bot API stand-in (`tests/standin`) runs in this process too, with Telegram's limits enforced
(`enforce_limits(per_second=30, per_chat_per_second=1)`): a message beyond them is answered 429.
Goal: 3,000 messages in at most 105 seconds (at least 28.6 a second) and not a single 429.
It takes about 100 seconds per framework by nature; `--messages 300` is quicker while developing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from sqlalchemy import insert
from sqlmodel import col, func, select

import push.jobs
from bot.app import running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from bot.config import Settings
from push.deliver import deliver_due
from push.jobs import tick
from storage.db import create_engine, migrate
from storage.models import Delivery, HelpRequest, RequestStatus, User

TOKEN = "123456:BENCHMARK"
FRAMEWORKS = ("aiogram", "ptb")
FIRST_CHAT = 7_000_000
GOAL_MESSAGES = 3_000
GOAL_SECONDS = 105.0
GOAL_RATE = GOAL_MESSAGES / GOAL_SECONDS
EXPIRED_TEXT = "Der Termin ist vorbei"  # the German "expired" notice


@dataclass(frozen=True)
class Result:
    framework: str
    messages: int  # the people, one due message each
    sent: int  # what tick reported as sent
    received: int  # messages the stand-in accepted
    wrong: int  # chats that got no message, more than one, or not the expired notice
    marked: int  # deliveries marked sent in the database
    seconds: float  # the whole tick: planning, then delivering
    planning: float  # the tick until delivery starts (closing the requests, queueing the notices)
    delivering: float  # deliver_due: claim, compose, render, send, mark sent
    window: float  # first to last accepted message
    too_many_requests: int

    @property
    def rate(self) -> float:
        """Messages per second while delivering."""
        return self.received / self.delivering if self.delivering else 0.0

    @property
    def goal_seconds(self) -> float:
        return self.messages / GOAL_RATE

    @property
    def met(self) -> bool:
        complete = self.received == self.messages == self.marked and self.wrong == 0
        return complete and self.delivering <= self.goal_seconds and self.too_many_requests == 0


async def seed(database_url: str, count: int, *, first_id: int = 1) -> None:
    """`count` people on Telegram, each with one open request whose day passed a week ago; their
    user ids start at `first_id`, their chats at `FIRST_CHAT`."""
    engine = create_engine(database_url)
    await migrate(engine)
    now = datetime.now(UTC)
    day = (now - timedelta(days=7)).date()
    users = [
        {
            "id": first_id + number,
            "key": f"telegram:{FIRST_CHAT + number}",
            "language": "de",
            "role": "seeker",
            "municipality": "bingen",
            "consent_version": "2026-11",
            "consent_at": now,
            "created_at": now,
        }
        for number in range(count)
    ]
    requests = [
        {
            "asker_id": first_id + number,
            "category": "shopping",
            "municipality": "bingen",
            "district": "buedesheim",
            "day": day,
            "part_of_day": "morning",
            "languages": ["de"],
            "description": "Wocheneinkauf",
            "status": RequestStatus.OPEN,
            "for_other": False,
            "round": 0,
            "exhausted": False,
            "created_at": now - timedelta(days=10),
            "updated_at": now - timedelta(days=10),
        }
        for number in range(count)
    ]
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(User), users)
            await connection.execute(insert(HelpRequest), requests)
    finally:
        await engine.dispose()


async def marked_sent(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            query = select(func.count()).where(col(Delivery.sent_at).is_not(None))
            return int((await connection.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def measure(framework: str, messages: int, workdir: Path) -> Result:
    from tests.standin import BotApiStandin

    database_url = f"sqlite+aiosqlite:///{workdir / f'{framework}.db'}"
    await seed(database_url, messages)
    async with BotApiStandin(token=TOKEN) as standin:
        standin.enforce_limits(per_second=30, per_chat_per_second=1)
        accepted: list[float] = []
        send_message = standin._m_sendMessage

        def recording(params: dict[str, Any]) -> Any:
            """Reached only by messages within the limits (the stand-in answers 429 before)."""
            accepted.append(time.perf_counter())
            return send_message(params)

        standin.register_method("sendMessage", recording)
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            telegram_bot_token=standin.token,
            telegram_api_url=standin.url,
            bot_framework=framework,
            run_scheduler=False,
        )
        async with running_app(settings) as app:
            bot = TelegramBot(app)
            await bot.start(receive=False, schedule=False)
            delivering: list[float] = []

            async def timed_delivery(*args: Any, **kwargs: Any) -> int:
                """`deliver_due` as `tick` calls it, with the moments it starts and ends."""
                delivering.append(time.perf_counter())
                try:
                    return await deliver_due(*args, **kwargs)
                finally:
                    delivering.append(time.perf_counter())

            try:
                with patch.object(push.jobs, "deliver_due", timed_delivery):
                    started = time.perf_counter()
                    report = await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
                    seconds = time.perf_counter() - started
            finally:
                await bot.stop()
        chats = [standin.chat(FIRST_CHAT + number).messages for number in range(messages)]
        wrong = sum(len(chat) != 1 or EXPIRED_TEXT not in (chat[0].text or "") for chat in chats)
        too_many = standin.too_many_requests_count
    return Result(
        framework=framework,
        messages=messages,
        sent=report.sent,
        received=len(accepted),
        wrong=wrong,
        marked=await marked_sent(database_url),
        seconds=seconds,
        planning=delivering[0] - started if delivering else seconds,
        delivering=delivering[1] - delivering[0] if len(delivering) == 2 else 0.0,
        window=accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0,
        too_many_requests=too_many,
    )


HEADER = (
    f"{'framework':<9} {'messages':>8} {'received':>8} {'marked':>7} {'wrong':>5} "
    f"{'tick s':>7} {'plan s':>6} {'deliver s':>9} {'first→last':>10} {'msg/s':>6} "
    f"{'goal s':>6} {'429s':>5}  verdict"
)


def row(result: Result) -> str:
    return (
        f"{result.framework:<9} {result.messages:>8,} {result.received:>8,} {result.marked:>7,} "
        f"{result.wrong:>5} {result.seconds:>7.1f} {result.planning:>6.1f} "
        f"{result.delivering:>9.1f} {result.window:>10.1f} {result.rate:>6.2f} "
        f"{result.goal_seconds:>6.1f} {result.too_many_requests:>5}  "
        f"{'goal met' if result.met else 'goal NOT met'}"
    )


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


async def run(frameworks: list[str], messages: int) -> bool:
    print(
        f"Push sender benchmark: {messages:,} due messages to {messages:,} different Telegram "
        "chats in one tick (plan, claim, compose, render, send, mark sent)"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        "setup: TelegramBot with its Sender (30 msg/s overall, 1/s per chat) and the Bot API "
        "stand-in enforcing the same limits with 429, both in this process, a fresh SQLite file"
    )
    print(
        f"goal: {GOAL_MESSAGES:,} messages delivered in at most {GOAL_SECONDS:.0f} s "
        f"(>= {GOAL_RATE:.2f} msg/s; shorter runs: messages / {GOAL_RATE:.2f}), no 429, every "
        "person exactly one message"
    )
    print()
    print(HEADER, flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-sender-") as tmp:
        for framework in frameworks:
            result = await measure(framework, messages, Path(tmp))
            results.append(result)
            print(row(result), flush=True)
    print()
    print(
        "tick s = plan s (closing the requests and queueing the notices) + deliver s "
        "(deliver_due: claim, compose, render, send, mark sent); first→last: first to last "
        "message the stand-in accepted; msg/s: received / deliver s; the goal is on deliver s"
    )
    met = all(result.met for result in results)
    print(f"overall: {'goal met' if met else 'goal NOT met'}; load average now {load()}")
    return met


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sender",
        description="Pushes per second through the Telegram sender against the rate-limited stand-in.",
    )
    parser.add_argument("--messages", type=int, default=GOAL_MESSAGES, help="due messages")
    parser.add_argument(
        "--framework",
        choices=[*FRAMEWORKS, "both"],
        default="aiogram",
        help="the Telegram framework (both: aiogram, then ptb)",
    )
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("use --messages >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    frameworks = list(FRAMEWORKS) if args.framework == "both" else [args.framework]
    asyncio.run(run(frameworks, args.messages))
    return 0  # a report: the verdict is printed, not signalled


if __name__ == "__main__":
    sys.exit(main())
