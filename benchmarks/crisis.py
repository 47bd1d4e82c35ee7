"""A call for helpers to 10,000 volunteers among 100,000, over the Bot API stand-in with Telegram's
limits on: at the free 30 messages per second, and as paid broadcasts at 1,000 per second while
2,000 of them answer within the first minute and other people write to the bot.

`make bench-crisis` (or `python -m benchmarks.crisis`; `--volunteers 10000 --fitting 1000
--answers 200` while developing; `--database postgresql+asyncpg://...` for PostgreSQL) seeds a
fresh database with `--volunteers` volunteers on Telegram, `--fitting` of them in the district
and kind of help the calls ask for, a coordinator and `--others` people who ask for help. In this
process, as `ehrenamt run` does: `running_app`, `TelegramBot` (python-telegram-bot, or
`--framework aiogram`) polling the stand-in (`tests/standin`), whose limits answer 429 like
Telegram (30 per second, one per second per chat, 1,000 paid broadcasts per second).

Three phases, each printed:
1. idle: the others write (`/menu`) and their replies are timed: the baseline;
2. a call at 30 per second: the time to its last message beside the least it can take
   (fitting / 30), messages lost and doubled, 429s, and the others' replies meanwhile;
3. a call as paid broadcasts: the same, beside fitting / 1,000, while `--answers` of the called
   press "✅ I'm coming" at random moments of the first minute after their call arrived; the
   first `--needed` get places, exactly and once each, the rest wait, and the coordinator's view
   (`exchange.crisis.tally`) shows just that.
The goal: nothing lost or doubled, no 429, places exact, and the others' replies p99 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import statistics
import sys
import tempfile
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, func, select

from bot.app import App, running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from bot.config import Settings
from exchange import crisis
from push.jobs import tick
from storage.db import create_engine, migrate
from storage.models import (
    CrisisAnswer,
    CrisisAnswerState,
    CrisisCall,
    Delivery,
    DeliveryKind,
    Role,
    StaffKind,
    StaffRole,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerProfile,
)
from vocabulary.actions import CRISIS_YES

TOKEN = "123456:CRISIS"
FIRST_CHAT = 8_000_000
MUNICIPALITY = "bingen"
DISTRICTS = ("innenstadt", "bingerbrueck", "dietersheim", "dromersheim", "gaulsheim", "kempten")
CALLED_DISTRICT, CALLED_KIND = "buedesheim", "garden"
OTHER_KINDS = ("shopping", "visits", "repairs", "accompaniment")
CONSENT = "2026-11"
CHUNK = 5_000
GOAL_P99 = 1.0
NO_QUIET = {"quiet_from": time(0), "quiet_until": time(0)}


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p99: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        if not seconds:
            return cls(0, 0.0, 0.0)
        ordered = sorted(seconds)
        return cls(
            len(ordered),
            statistics.median(ordered),
            ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))],
        )


@dataclass(frozen=True)
class Phase:
    name: str
    called: int
    seconds: float  # from the start of sending to the stand-in accepting the last call message
    least: float  # the least it can take at the budget
    lost: int  # fitting chats without the call
    doubled: int  # fitting chats with it more than once
    too_many_requests: int
    replies: Latency


def _rows(count: int, fitting: int, others: int, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Users 1..count are volunteers (the first `fitting` in the called district and kind), then
    the coordinator, then `others` who ask for help; chats from FIRST_CHAT in the same order."""
    rng = random.Random(19)
    users, profiles, districts, kinds = [], [], [], []
    for number in range(count + 1 + others):
        uid = number + 1
        role = Role.VOLUNTEER if number <= count else Role.SEEKER
        users.append(
            {
                "id": uid,
                "key": f"telegram:{FIRST_CHAT + number}",
                "language": "de" if rng.random() < 0.8 else rng.choice(("en", "ar", "tr", "uk")),
                "role": role,
                "municipality": MUNICIPALITY,
                "consent_version": CONSENT,
                "consent_at": now,
                "created_at": now,
                "staff": number == count,
                **NO_QUIET,
            }
        )
        if number >= count:
            continue
        fits = number < fitting
        profiles.append(
            {
                "id": uid,
                "user_id": uid,
                "commitment": "both",
                "rhythm": "weekly",
                "age_group": "adult",
                "first_name": f"V{uid}",
                "created_at": now,
                "updated_at": now,
            }
        )
        districts.append(
            {
                "profile_id": uid,
                "municipality": MUNICIPALITY,
                "district": CALLED_DISTRICT if fits else rng.choice(DISTRICTS),
            }
        )
        kinds.append(
            {"profile_id": uid, "category": CALLED_KIND if fits else rng.choice(OTHER_KINDS)}
        )
    return {"users": users, "profiles": profiles, "districts": districts, "kinds": kinds}


async def seed(database_url: str, count: int, fitting: int, others: int) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    now = datetime.now(UTC)
    rows = _rows(count, fitting, others, now)
    try:
        async with engine.begin() as connection:
            for model, name in (
                (User, "users"),
                (VolunteerProfile, "profiles"),
                (VolunteerDistrict, "districts"),
                (VolunteerCategory, "kinds"),
            ):
                for start in range(0, len(rows[name]), CHUNK):
                    await connection.execute(insert(model), rows[name][start : start + CHUNK])
            await connection.execute(
                insert(StaffRole),
                [
                    {
                        "user_id": count + 1,
                        "kind": StaffKind.COORDINATOR,
                        "municipality": MUNICIPALITY,
                        "granted_at": now,
                    }
                ],
            )
            if connection.dialect.name == "postgresql":
                for table in ("users", "volunteer_profiles"):
                    await connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
    finally:
        await engine.dispose()


async def _call(app: App, what: str, needed: int, coordinator: int) -> int:
    """A call to the called district and kind, urgent, planned for every volunteer it fits."""
    now = app.core.clock()
    async with app.sessions() as session, session.begin():
        call = CrisisCall(
            created_by=coordinator,
            municipality=MUNICIPALITY,
            districts=[CALLED_DISTRICT],
            categories=[CALLED_KIND],
            what=what,
            meeting_point="Parkplatz am Hindenburgplatz",
            latitude=49.9669,
            longitude=7.8992,
            starts_at=now + timedelta(hours=2),
            needed=needed,
            urgent=True,
            online_task="Ältere Nachbarn anrufen",
            created_at=now,
        )
        session.add(call)
        await session.flush()
        await crisis.send(session, app.deployment, call, now)
        assert call.id is not None
        return call.id


class Writers:
    """The others, each writing `/menu` and waiting for the answer, over and over; their reply
    times are kept per phase."""

    def __init__(self, standin: Any, chats: Sequence[int]) -> None:
        self.users = [standin.user(chat, f"Mensch {chat}", language_code="de") for chat in chats]
        self.times: list[float] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._stop.clear()
        self.times = []
        self._tasks = [asyncio.create_task(self._write(user)) for user in self.users]

    async def stop(self) -> list[float]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.times

    async def _write(self, user: Any) -> None:
        rng = random.Random(user.user_id)
        # People write when they write: the first message of each at a random moment.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), rng.uniform(0.0, 10.0))
        while not self._stop.is_set():
            began = clock.perf_counter()
            await user.send_text("/menu")
            await user.wait_for_message(lambda m: "🏠" in (m.text or ""), timeout=60)
            self.times.append(clock.perf_counter() - began)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), rng.uniform(5.0, 15.0))


async def _deliver(app: App, bot: TelegramBot) -> None:
    """Plan and deliver until nothing is due (a call to thousands takes several batches)."""
    while (await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)).sent:
        pass


def _is_call(markup: Any, call_id: int) -> bool:
    """Whether a message's buttons answer this call (the call itself, not what follows it)."""
    rows = (markup or {}).get("inline_keyboard") or []
    return any(b.get("callback_data") == f"{CRISIS_YES}{call_id}" for row in rows for b in row)


async def _told_full(app: App, call_id: int) -> set[int]:
    """The chats that were sent "enough people came" for this call."""
    async with app.sessions() as session:
        users = await session.exec(
            select(Delivery.user_id).where(
                Delivery.kind == DeliveryKind.CRISIS_FULL,
                Delivery.subject_id == call_id,
                col(Delivery.sent_at).is_not(None),
            )
        )
        return {FIRST_CHAT + uid - 1 for uid in users.all()}


def _lost_and_doubled(
    standin: Any, chats: Sequence[int], what: str, told_full: set[int]
) -> tuple[int, int]:
    """Chats that got fewer messages about the call than they were due, and chats that got
    more: the call (or, once it was full, its kind "enough people came" instead), and the
    notice "enough people came" for who had it and did not answer."""
    lost = doubled = 0
    for chat in chats:
        found = sum(what in (m.text or "") for m in standin.chat(chat).messages)
        due = 1 + (chat in told_full)
        lost += found < due
        doubled += found > due
    return lost, doubled


async def run_phase(
    app: App,
    bot: TelegramBot,
    standin: Any,
    writers: Writers,
    *,
    name: str,
    what: str,
    needed: int,
    fitting: int,
    coordinator: int,
    per_second: float,
    answers: int = 0,
) -> tuple[Phase, int, int]:
    """One call; returns the phase's figures, the call's id and how many answered it."""
    chats = [FIRST_CHAT + number for number in range(fitting)]
    too_many = standin.too_many_requests_count
    first: dict[int, float] = {}  # when each chat got its first message about the call
    answerable: dict[int, float] = {}  # ... and when the call with its buttons, if it did
    call_ids: list[int] = []  # the call's id, once it is written
    original = standin._m_sendMessage

    def recording(params: dict[str, Any]) -> Any:
        result = original(params)
        if what in str(params.get("text", "")):
            first.setdefault(params["chat_id"], clock.perf_counter())
        if _is_call(params.get("reply_markup"), call_ids[0] if call_ids else -1):
            answerable.setdefault(params["chat_id"], clock.perf_counter())
        return result

    standin.register_method("sendMessage", recording)
    writers.start()
    began = clock.perf_counter()
    call_id = await _call(app, what, needed, coordinator)
    call_ids.append(call_id)
    delivered = asyncio.Event()
    pressing = asyncio.create_task(_answer(standin, chats, answers, answerable, call_id, delivered))
    await _deliver(app, bot)
    seconds = max(first.values(), default=began) - began
    delivered.set()
    pressed = await pressing
    await _deliver(app, bot)  # "enough people came" for who did not answer
    replies = await writers.stop()
    standin.register_method("sendMessage", original)
    lost, doubled = _lost_and_doubled(standin, chats, what, await _told_full(app, call_id))
    phase = Phase(
        name,
        fitting,
        seconds,
        fitting / per_second,
        lost,
        doubled,
        standin.too_many_requests_count - too_many,
        Latency.of(replies),
    )
    return phase, call_id, pressed


async def _answer(
    standin: Any,
    chats: Sequence[int],
    answers: int,
    answerable: dict[int, float],
    call_id: int,
    delivered: asyncio.Event,
) -> int:
    """`answers` of the called press "✅ Ich komme" at a random moment of the minute after
    their call arrived; returns how many could (who got the call only once it was full got no
    buttons to press)."""
    if not answers:
        return 0
    rng = random.Random(2026)
    chosen = rng.sample(list(chats), answers)

    async def press(chat: int) -> int:
        while chat not in answerable:
            if delivered.is_set():
                return 0
            await asyncio.sleep(0.05)
        await asyncio.sleep(rng.uniform(0.0, 60.0) - (clock.perf_counter() - answerable[chat]))
        user = standin.user(chat, f"Helfer {chat}", language_code="de")
        [call] = [m for m in standin.chat(chat).messages if _is_call(m.reply_markup, call_id)]
        await user.press(f"{CRISIS_YES}{call_id}", on=call)  # ✅, by its button's data
        return 1

    return sum(await asyncio.gather(*(press(chat) for chat in chosen)))


async def _places(app: App, call_id: int) -> tuple[int, int, int, crisis.Tally]:
    async with app.sessions() as session:
        counts = dict(
            (
                await session.exec(
                    select(CrisisAnswer.state, func.count())
                    .where(CrisisAnswer.call_id == call_id)
                    .group_by(col(CrisisAnswer.state))
                )
            ).all()
        )
        answered_twice = (
            await session.exec(
                select(func.count()).select_from(
                    select(CrisisAnswer.user_id)
                    .where(CrisisAnswer.call_id == call_id)
                    .group_by(col(CrisisAnswer.user_id))
                    .having(func.count() > 1)
                    .subquery()
                )
            )
        ).one()
        call = await session.get(CrisisCall, call_id)
        assert call is not None
        tally = await crisis.tally(session, call)
    confirmed = int(counts.get(CrisisAnswerState.CONFIRMED, 0))
    waiting = int(counts.get(CrisisAnswerState.WAITING, 0))
    return confirmed, waiting, int(answered_twice), tally


async def _sent(app: App, call_id: int) -> int:
    async with app.sessions() as session:
        query = select(func.count()).where(
            Delivery.kind == DeliveryKind.CRISIS_CALL,
            Delivery.subject_id == call_id,
            col(Delivery.sent_at).is_not(None),
        )
        return int((await session.exec(query)).one())


HEADER = (
    f"{'phase':<22} {'called':>7} {'seconds':>8} {'least':>7} {'ratio':>6} {'lost':>5} "
    f"{'doubled':>7} {'429s':>5} {'replies':>7} {'p50 s':>6} {'p99 s':>6}"
)


def row(phase: Phase) -> str:
    ratio = phase.seconds / phase.least if phase.least else 0.0
    latency = phase.replies
    return (
        f"{phase.name:<22} {phase.called:>7,} {phase.seconds:>8.1f} {phase.least:>7.1f} "
        f"{ratio:>6.2f} {phase.lost:>5} {phase.doubled:>7} {phase.too_many_requests:>5} "
        f"{latency.count:>7} {latency.p50:>6.3f} {latency.p99:>6.3f}"
    )


async def run(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-crisis-") as workdir:
        database_url = args.database or f"sqlite+aiosqlite:///{Path(workdir) / 'crisis.db'}"
        return await _run(args, database_url)


async def _run(args: argparse.Namespace, database_url: str) -> bool:
    from tests.standin import BotApiStandin

    print(
        f"seeding {args.volunteers:,} volunteers ({args.fitting:,} fitting), a coordinator and "
        f"{args.others} people who write …",
        flush=True,
    )
    began = clock.perf_counter()
    await seed(database_url, args.volunteers, args.fitting, args.others)
    print(f"seeded in {clock.perf_counter() - began:.1f} s", flush=True)
    coordinator = args.volunteers + 1
    others = [FIRST_CHAT + args.volunteers + 1 + n for n in range(args.others)]
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=TOKEN,
        bot_framework=args.framework,
        run_scheduler=False,
        telegram_paid_broadcasts_per_second=1000,
    )
    async with BotApiStandin(token=TOKEN) as standin:
        standin.enforce_limits(per_second=30, per_chat_per_second=1, paid_per_second=1000)
        free = settings.model_copy(
            update={"telegram_api_url": standin.url, "telegram_paid_broadcasts_per_second": 0}
        )
        paid = settings.model_copy(update={"telegram_api_url": standin.url})
        phases: list[Phase] = []
        checks: list[tuple[str, bool]] = []
        writers = Writers(standin, others)
        runs = (("paid", paid),) if args.paid_only else (("free", free), ("paid", paid))
        for label, chosen in runs:
            async with running_app(chosen) as app:
                bot = TelegramBot(app)
                await bot.start(schedule=False)
                try:
                    if label == "free":
                        writers.start()
                        await asyncio.sleep(args.idle)
                        phases.append(
                            Phase(
                                "idle (baseline)",
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                Latency.of(await writers.stop()),
                            )
                        )
                        print(row(phases[-1]), flush=True)
                        phase, call_id, _pressed = await run_phase(
                            app,
                            bot,
                            standin,
                            writers,
                            name="call at 30/s",
                            what="Aufruf A: Sandsäcke",
                            needed=args.fitting,
                            fitting=args.fitting,
                            coordinator=coordinator,
                            per_second=30,
                        )
                    else:
                        phase, call_id, pressed = await run_phase(
                            app,
                            bot,
                            standin,
                            writers,
                            name="call at 1,000/s (paid)",
                            what="Aufruf B: Keller räumen",
                            needed=args.needed,
                            fitting=args.fitting,
                            coordinator=coordinator,
                            per_second=1000,
                            answers=args.answers,
                        )
                        confirmed, waiting, twice, tally = await _places(app, call_id)
                        expected_waiting = max(0, pressed - args.needed)
                        checks += [
                            (
                                f"{pressed:,} of {args.answers:,} chosen got the call with its "
                                "buttons and answered (the others got it once it was full)",
                                pressed > args.needed,
                            ),
                            (
                                f"places: {confirmed} confirmed of {args.needed} needed",
                                confirmed == min(args.needed, pressed),
                            ),
                            (
                                f"waiting list: {waiting} (expected {expected_waiting})",
                                waiting == expected_waiting,
                            ),
                            (f"answered twice: {twice}", twice == 0),
                            (
                                f"coordinator's view: sent {tally.sent}, coming {tally.confirmed}, "
                                f"waiting {tally.waiting}, no answer {tally.unanswered}",
                                tally.sent == args.fitting
                                and tally.confirmed == confirmed
                                and tally.waiting == waiting
                                and tally.unanswered == args.fitting - pressed,
                            ),
                        ]
                    phases.append(phase)
                    print(row(phase), flush=True)
                    checks.append(
                        (
                            f"{phase.name}: all {await _sent(app, call_id):,} marked sent",
                            await _sent(app, call_id) == args.fitting,
                        )
                    )
                finally:
                    await bot.stop()
        print()
        print(HEADER)
        for phase in phases:
            print(row(phase))
        for name, ok in checks:
            print(f"{'✓' if ok else '✗'} {name}")
        idle = [p for p in phases if not p.called]
        calls = [p for p in phases if p.called]
        baseline = idle[0].replies.p99 if idle else 0.0
        met = all(ok for _name, ok in checks) and all(
            p.lost == 0 and p.doubled == 0 and p.too_many_requests == 0 and p.replies.p99 < GOAL_P99
            for p in calls
        )
        for phase in calls:
            beside = f", ×{phase.replies.p99 / baseline:.2f} of idle" if baseline else ""
            print(f"{phase.name}: others' reply p99 {phase.replies.p99:.3f} s{beside}")
        print("goal met" if met else "goal NOT met")
        return met


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crisis", description=__doc__)
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--fitting", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=2_000)
    parser.add_argument("--needed", type=int, default=500)
    parser.add_argument("--others", type=int, default=30)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle baseline")
    parser.add_argument("--framework", choices=("ptb", "aiogram"), default="ptb")
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--paid-only", action="store_true", help="skip the idle and the 30/s phases"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    return 0 if asyncio.run(run(parse(argv))) else 1


if __name__ == "__main__":
    sys.exit(main())
