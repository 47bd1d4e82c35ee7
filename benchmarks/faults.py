"""Messages lost and doubled when push workers are killed with SIGKILL while they send.

`make bench-faults` (or `python -m benchmarks.faults`) seeds a fresh database with `--messages`
people on Telegram (keys `telegram:<id>`), each with one request whose day has passed, as
`benchmarks.sender` does, so the first planning run queues one "expired" notice per person. Then
two `ehrenamt scheduler` processes (the real command, as subprocesses, with `PUSH_TICK_SECONDS=1`
and `PUSH_LEASE_SECONDS=--lease`) send them. `--kills` times, at a random moment while it sends
(a random pause, then a worker that is sending, chosen at random if both are), one of them is
killed with SIGKILL and started again at once; the other keeps running. When every row is marked
sent, both are stopped, and each person's chat is counted: lost = no message, doubled = more than
one.

Each worker talks to its own Bot API stand-in (`tests/standin`, in this process), so the benchmark
sees which one is sending. Telegram's limits are off in the stand-ins; each worker's own `Sender`
still sends at most 30 messages a second. A stand-in that received a request completes it even if
the worker died meanwhile, as Telegram does.

What to expect: nothing lost, ever. A message is doubled only when a worker dies between
Telegram's answer and the commit of its sent mark (Telegram offers no idempotency key); that
window is a few milliseconds per message, so a kill hits one now and then. The database is a
temporary SQLite file and, if a PostgreSQL server is reachable at `--postgres-server`, a throwaway
database there (created and dropped); `--database URL` runs on that (empty) database instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import random
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import func, select

from benchmarks.sender import EXPIRED_TEXT, FIRST_CHAT, marked_sent, seed
from storage.db import create_engine, migrate
from storage.models import User

if TYPE_CHECKING:
    from tests.standin import BotApiStandin

TOKEN = "123456:FAULTS"
GOAL_MESSAGES = 2_000
KILLS = 5
LEASE_SECONDS = 5
POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEADLINE_SECONDS = 600.0
SENDING_RECENTLY = 0.3  # a worker whose stand-in accepted a message this recently is sending


@dataclass(frozen=True)
class Kill:
    worker: int
    second: float  # since the workers were started
    received: int  # messages the stand-ins had accepted by then


@dataclass(frozen=True)
class Result:
    database: str
    messages: int
    received: int  # messages the stand-ins accepted, doubles included
    lost: int  # people who never got their message
    doubled: int  # people who got it more than once
    wrong: int  # messages that were not the expected notice
    unsent: int  # rows not marked sent at the end
    kills: list[Kill]
    seconds: float

    @property
    def met(self) -> bool:
        return self.lost == 0 and self.unsent == 0 and self.wrong == 0


@dataclass
class Worker:
    """One `ehrenamt scheduler` process, killed and started again, with its own stand-in."""

    number: int
    standin: BotApiStandin
    env: dict[str, str]
    workdir: Path
    process: asyncio.subprocess.Process | None = None
    last_send: float = field(default=float("-inf"))

    def __post_init__(self) -> None:
        send_message = self.standin._m_sendMessage

        def recording(params: dict[str, Any]) -> Any:
            self.last_send = time.monotonic()
            return send_message(params)

        self.standin.register_method("sendMessage", recording)

    @property
    def log(self) -> Path:
        return self.workdir / f"scheduler-{self.number}.log"

    @property
    def sending(self) -> bool:
        return time.monotonic() - self.last_send < SENDING_RECENTLY

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "scheduler",
                env={**self.env, "TELEGRAM_API_URL": self.standin.url},
                cwd=self.workdir,
                stdout=log,
                stderr=log,
            )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def received(standins: Sequence[BotApiStandin], messages: int) -> list[list[str]]:
    """The texts each person got, from all stand-ins together."""
    return [
        [
            message.text or ""
            for standin in standins
            for message in standin.chat(FIRST_CHAT + number).messages
        ]
        for number in range(messages)
    ]


async def measure(
    label: str,
    database_url: str,
    *,
    messages: int,
    kills: int,
    lease: int,
    framework: str,
    rng: random.Random,
    workdir: Path,
) -> Result:
    from tests.standin import BotApiStandin

    await seed(database_url, messages)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "BOT_FRAMEWORK": framework,
        "PUSH_LEASE_SECONDS": str(lease),
        "PUSH_TICK_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    killed: list[Kill] = []
    async with AsyncExitStack() as stack:
        standins = [await stack.enter_async_context(BotApiStandin(token=TOKEN)) for _ in range(2)]
        workers = [Worker(n + 1, standin, env, workdir) for n, standin in enumerate(standins)]
        started = time.perf_counter()
        deadline = time.monotonic() + DEADLINE_SECONDS

        def accepted() -> int:
            return sum(len(standin.calls("sendMessage")) for standin in standins)

        async def all_sent() -> bool:
            return await marked_sent(database_url) >= messages

        try:
            for worker in workers:
                await worker.start()
            while len(killed) < kills and time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(0.5, 5.0))
                while not any(w.sending for w in workers) and time.monotonic() < deadline:
                    if await all_sent():
                        break
                    await asyncio.sleep(0.05)
                # A moment while it sends, not the moment a message arrived: that would aim at
                # the few milliseconds before its sent mark is committed.
                await asyncio.sleep(rng.uniform(0.1, 1.0))
                sending = [w for w in workers if w.sending]
                if not sending:
                    if await all_sent():
                        break  # everything went out before all kills were made
                    continue
                victim = rng.choice(sending)
                await victim.kill()
                killed.append(Kill(victim.number, time.perf_counter() - started, accepted()))
                await victim.start()
            with contextlib.suppress(AssertionError):  # out of time: the figures tell
                remaining = deadline - time.monotonic()
                await standins[0].wait_until(all_sent, timeout=remaining, interval=0.25)
            await asyncio.sleep(1)  # a message sent twice would have arrived by now
        finally:
            for worker in workers:
                await worker.stop()
        seconds = time.perf_counter() - started
        chats = received(standins, messages)
    return Result(
        database=label,
        messages=messages,
        received=sum(len(chat) for chat in chats),
        lost=sum(not chat for chat in chats),
        doubled=sum(len(chat) > 1 for chat in chats),
        wrong=sum(EXPIRED_TEXT not in message for chat in chats for message in chat),
        unsent=messages - await marked_sent(database_url),
        kills=killed,
        seconds=seconds,
    )


async def empty(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            return (
                int((await connection.execute(select(func.count()).select_from(User))).scalar_one())
                == 0
            )
    finally:
        await engine.dispose()


async def throwaway_database(server: str) -> str | None:
    """Create an empty database on the PostgreSQL server; its URL, or None if unreachable."""
    name = f"bench_faults_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(5), engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # not there, refused, no permission: run without it
        print(f"PostgreSQL at {make_url(server).render_as_string()} not reachable ({error!r})")
        return None
    finally:
        await engine.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, database_url: str) -> None:
    name = make_url(database_url).database
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


HEADER = (
    f"{'database':<10} {'messages':>8} {'received':>8} {'lost':>4} {'doubled':>7} "
    f"{'unsent':>6} {'kills':>5} {'seconds':>7}  verdict"
)


def row(result: Result) -> str:
    verdict = "nothing lost" if result.met else "MESSAGES LOST"
    return (
        f"{result.database:<10} {result.messages:>8,} {result.received:>8,} {result.lost:>4} "
        f"{result.doubled:>7} {result.unsent:>6} {len(result.kills):>5} "
        f"{result.seconds:>7.1f}  {verdict}"
    )


def kills_line(result: Result) -> str:
    moments = ", ".join(
        f"worker {k.worker} at {k.second:.1f} s ({k.received:,} sent)" for k in result.kills
    )
    return f"{result.database}: SIGKILL {moments or 'never'}"


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


async def run(args: argparse.Namespace) -> bool:
    rng = random.Random(args.seed)
    print(
        f"Push fault benchmark: {args.messages:,} due messages (one per person), two "
        f"`ehrenamt scheduler` processes, {args.kills} of them killed with SIGKILL at random "
        "moments while sending and started again at once"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        f"setup: {args.framework}, lease {args.lease} s, tick 1 s; one Bot API stand-in per worker "
        "in this process, Telegram's limits off (each worker's Sender keeps 30 msg/s); "
        f"random seed {args.seed}"
    )
    print("goal: messages lost 0 (must); doubled 0 (goal)")
    print()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        targets: list[tuple[str, str, str | None]] = []  # label, URL, server to drop it from
        for database in args.database or ["sqlite", "postgresql"]:
            if database == "sqlite":
                targets.append(("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'faults.db'}", None))
            elif database == "postgresql":
                url = await throwaway_database(args.postgres_server)
                if url is not None:
                    targets.append(("postgresql", url, args.postgres_server))
            else:
                label = make_url(database).get_backend_name()
                targets.append((label, database, None))
        print(HEADER, flush=True)
        for label, url, server in targets:
            workdir = Path(tmp) / label
            workdir.mkdir(exist_ok=True)
            try:
                if not await empty(url):
                    print(f"{label}: the database is not empty; give an empty one")
                    continue
                result = await measure(
                    label,
                    url,
                    messages=args.messages,
                    kills=args.kills,
                    lease=args.lease,
                    framework=args.framework,
                    rng=rng,
                    workdir=workdir,
                )
            finally:
                if server is not None:
                    await drop_database(server, url)
            results.append(result)
            print(row(result), flush=True)
    print()
    for result in results:
        print(kills_line(result))
    print(
        "received: messages the stand-ins accepted; lost: people who got no message; doubled: "
        "people who got it more than once; unsent: rows not marked sent when the run ended"
    )
    met = bool(results) and all(result.met for result in results)
    print(f"overall: {'nothing lost' if met else 'NOT met'}; load average now {load()}")
    return met


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.faults",
        description="Messages lost and doubled when push workers are killed while they send.",
    )
    parser.add_argument("--messages", type=int, default=GOAL_MESSAGES, help="due messages")
    parser.add_argument("--kills", type=int, default=KILLS, help="SIGKILLs per database")
    parser.add_argument("--lease", type=int, default=LEASE_SECONDS, help="PUSH_LEASE_SECONDS")
    parser.add_argument("--framework", choices=["aiogram", "ptb"], default="aiogram")
    parser.add_argument(
        "--database",
        action="append",
        help="sqlite, postgresql (a throwaway database on --postgres-server) or the URL of an "
        "empty database; repeat for several (default: sqlite and postgresql)",
    )
    parser.add_argument(
        "--postgres-server",
        default=POSTGRES_SERVER,
        help=f"where the throwaway PostgreSQL database is created (default {POSTGRES_SERVER})",
    )
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000))
    args = parser.parse_args(argv)
    if args.messages < 1 or args.kills < 0 or args.lease < 1:
        parser.error("use --messages >= 1, --kills >= 0 and --lease >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))
    return 0  # a report: the verdict is printed, not signalled


if __name__ == "__main__":
    sys.exit(main())
