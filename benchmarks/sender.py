"""Pushes per second through the Telegram sender, against a stand-in that answers 429 like Telegram.

`make bench-sender` (or `python -m benchmarks.sender --messages 3000`) seeds a fresh SQLite file
with `--messages` people on Telegram (keys `telegram:<id>`), each with one request whose day has
passed, so the next planning run closes the requests and queues one "expired" notice per person.
Then, in this process, as `ehrenamt push --now` does: `running_app` on that file, `TelegramBot` with
its framework front and `Sender` (30 messages per second overall, one per second per chat),
`bot.start(receive=False, schedule=False)` and one `push.jobs.tick`: planning, claiming, composing,
rendering, sending and marking every message sent. Its `seed` also seeds the load benchmark's
pushes (`benchmarks.load --push expired|newsletter`).

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
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from sqlalchemy import insert, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

import push.jobs
from bot.app import running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from bot.config import Settings
from exchange import newsletters
from push.deliver import deliver_due
from push.jobs import tick
from storage.db import create_engine, migrate
from storage.models import (
    Delivery,
    HelpRequest,
    NewsKind,
    RequestStatus,
    Role,
    StaffKind,
    StaffRole,
    User,
)

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


EXPIRED, NEWSLETTER = "expired", "newsletter"  # what the seeded people are pushed
PUSHES = (EXPIRED, NEWSLETTER)
MUNICIPALITY = "bingen"
AUTHOR_CHAT = FIRST_CHAT - 1  # the newsletter's author, a coordinator of MUNICIPALITY
# The newsletter's versions; readers of another language (Turkish here) get the German one.
NEWSLETTER_TEXTS = {
    "de": "Liebe Engagierte, am Samstag um 15 Uhr ist Helferfest im Rathaus. Wir freuen uns auf Sie!",
    "en": "Dear volunteers, on Saturday at 3 pm there is a volunteers party at the town hall. "
    "We look forward to seeing you!",
    "ar": "أعزاءنا المتطوعين، يوم السبت الساعة 3 عصرا حفل المتطوعين في دار البلدية. نتطلع لرؤيتكم!",
}
NEWSLETTER_DEFAULT = "de"
READER_LANGUAGES = ("de", "en", "ar", "tr")
READER_ROLES = (Role.SEEKER, Role.VOLUNTEER)
NO_QUIET_HOURS = {"quiet_from": time(0), "quiet_until": time(0)}


def newsletter_text(language: str) -> str:
    """The version a reader of `language` gets."""
    return NEWSLETTER_TEXTS.get(language, NEWSLETTER_TEXTS[NEWSLETTER_DEFAULT])


def reader_language(number: int) -> str:
    return READER_LANGUAGES[number % len(READER_LANGUAGES)]


def people(
    count: int,
    *,
    first_id: int,
    now: datetime,
    languages: Sequence[str] = ("de",),
    roles: Sequence[Role] = (Role.SEEKER,),
    **fields: Any,
) -> list[dict[str, Any]]:
    """`count` consenting people of MUNICIPALITY on Telegram: user ids from `first_id`, chats
    from FIRST_CHAT, languages and roles taken in turn."""
    return [
        {
            "id": first_id + number,
            "key": f"telegram:{FIRST_CHAT + number}",
            "language": languages[number % len(languages)],
            "role": roles[number % len(roles)],
            "municipality": MUNICIPALITY,
            "consent_version": "2026-11",
            "consent_at": now,
            "created_at": now,
            **fields,
        }
        for number in range(count)
    ]


async def _expired(session: AsyncSession, count: int, first_id: int, now: datetime) -> None:
    """Each person with one open request whose day passed a week ago: the next planning run
    closes them and queues one "expired" notice per person."""
    day = (now - timedelta(days=7)).date()
    connection = await session.connection()
    await connection.execute(
        insert(HelpRequest),
        [
            {
                "asker_id": first_id + number,
                "category": "shopping",
                "municipality": MUNICIPALITY,
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
        ],
    )


async def _newsletter(session: AsyncSession, count: int, first_id: int, now: datetime) -> None:
    """A coordinator of MUNICIPALITY (chat AUTHOR_CHAT) and a newsletter of theirs to everyone
    there, in German, English and Arabic, scheduled for now: the next planning run writes one
    delivery per reader. Nobody has quiet hours, so that it goes out at any hour of the day
    (a reader's newsletter waits for the end of their quiet hours)."""
    author_id = first_id + count
    author = User(
        id=author_id,
        key=f"telegram:{AUTHOR_CHAT}",
        language="de",
        role=Role.VOLUNTEER,
        municipality=MUNICIPALITY,
        consent_version="2026-11",
        consent_at=now,
        created_at=now,
        staff=True,
        quiet_from=time(0),
        quiet_until=time(0),
    )
    session.add(author)
    await session.flush()  # before the role that names it
    session.add(
        StaffRole(
            user_id=author_id, kind=StaffKind.COORDINATOR, municipality=MUNICIPALITY, granted_at=now
        )
    )
    await session.flush()
    # The people who onboarded before (the load benchmark's) read it too, quiet hours off.
    await (await session.connection()).execute(update(User).values(**NO_QUIET_HOURS))
    await newsletters.create(
        session,
        author=author,
        kind=NewsKind.NEWSLETTERS,
        audience=newsletters.Audience(MUNICIPALITY),
        texts=NEWSLETTER_TEXTS,
        default_language=NEWSLETTER_DEFAULT,
        photo=None,
        send_at=now,
        now=now,
    )


SEEDS = {EXPIRED: _expired, NEWSLETTER: _newsletter}
READERS: dict[str, dict[str, Any]] = {
    EXPIRED: {},
    NEWSLETTER: {"languages": READER_LANGUAGES, "roles": READER_ROLES, **NO_QUIET_HOURS},
}


async def seed(database_url: str, count: int, *, first_id: int = 1, push: str = EXPIRED) -> None:
    """`count` people on Telegram (`people`, user ids from `first_id`, chats from FIRST_CHAT) and
    what the next planning run pushes them: an expired request each (EXPIRED, all German
    seekers), or one newsletter to all (NEWSLETTER, languages READER_LANGUAGES, roles
    READER_ROLES, with its author)."""
    engine = create_engine(database_url)
    await migrate(engine)
    now = datetime.now(UTC)
    try:
        async with AsyncSession(engine) as session, session.begin():
            readers = people(count, first_id=first_id, now=now, **READERS[push])
            await (await session.connection()).execute(insert(User), readers)
            await SEEDS[push](session, count, first_id, now)
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
            accepted.append(clock.perf_counter())
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
                delivering.append(clock.perf_counter())
                try:
                    return await deliver_due(*args, **kwargs)
                finally:
                    delivering.append(clock.perf_counter())

            try:
                with patch.object(push.jobs, "deliver_due", timed_delivery):
                    started = clock.perf_counter()
                    report = await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
                    seconds = clock.perf_counter() - started
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
