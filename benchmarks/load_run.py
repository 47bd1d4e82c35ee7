"""One run of the load benchmark: the bot as `ehrenamt run` in a subprocess, the stand-in with
Telegram's limits and the people acting, all but the bot in this process (see `benchmarks.load`)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import newsletter
from benchmarks.load_report import DEFAULT_BUDGET, MIXED, Result
from benchmarks.sender import EXPIRED, FIRST_CHAT, NEWSLETTER, seed
from benchmarks.telegram import (
    BotFailed,
    drive,
    first_error,
    guarded,
    process_cpu,
    read_log,
    script,
)
from benchmarks.telegram_bots import TOKEN
from bot.config import Settings

if TYPE_CHECKING:
    from tests.standin import BotApiStandin
    from tests.standin.botapi import BotMessage

FIRST_PERSON = 1_000_000  # chat ids of the people acting; the pushes go to FIRST_CHAT and on
FIRST_PUSHED_USER = 1_000_000  # user ids of the people pushed to (the people acting come first)
PRESS_SHARE = 0.3
TEXT = "/help"  # answered in every step with one message that repeats the step's buttons
# The press of the last keyboard shown: the main menu's "change my role", then the same role
# again, which leads back to the main menu. Each marks the pressed message (an edit) and sends
# the next question (one message).
TOGGLE = ("menu:role", "role:volunteer")
REPLY_TIMEOUT = 60.0
ONBOARDING = script("full", 0)  # /start, language, consent, role: they end in the main menu
PER_CHAT_PER_SECOND, PER_CHAT_BURST = 1, 3  # Telegram's limits in one chat
LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")


@dataclass(frozen=True)
class Spec:
    """What one run measures."""

    framework: str
    people: int
    mode: str  # MIXED or TEXT_ONLY
    seconds: float  # the measured period
    settle: float  # people act this long before it starts
    pushes: int  # due messages seeded before the bot starts again
    think: float  # mean seconds between a reply and the person's next action
    seed: int
    budget: float  # TELEGRAM_MESSAGES_PER_SECOND and the stand-in's overall limit
    push: str = EXPIRED  # what drains: EXPIRED notices or a NEWSLETTER (see benchmarks.sender)
    drain_timeout: float = 600.0  # NEWSLETTER: seconds from the bot's start to wait for it to drain

    @property
    def name(self) -> str:
        return f"{self.framework}-{self.people}-{self.mode}-{self.budget:g}-{self.push}"


@dataclass(frozen=True)
class Window:
    start: float  # time.perf_counter() values
    end: float

    def __contains__(self, moment: float) -> bool:
        return self.start <= moment < self.end


class Accepted:
    """When the stand-in accepted each message: only messages within Telegram's limits reach
    `sendMessage`, the stand-in answers 429 before."""

    def __init__(self, standin: BotApiStandin) -> None:
        self.at: dict[tuple[int, int], float] = {}
        self.pushes: list[float] = []
        self.newsletters: list[float] = []  # of the pushes, the newsletter's messages
        send = standin._m_sendMessage

        def recording(params: dict[str, Any]) -> Any:
            now = time.perf_counter()
            message = send(params)
            chat = int(message["chat"]["id"])
            self.at[chat, int(message["message_id"])] = now
            if news := newsletter.is_newsletter(message.get("reply_markup")):
                self.newsletters.append(now)
            if chat >= FIRST_CHAT or news:
                self.pushes.append(now)
            return message

        standin.register_method("sendMessage", recording)

    def pushes_in(self, window: Window) -> int:
        return sum(moment in window for moment in self.pushes)


class Workload:
    """The people after onboarding, each on their own: think (exponential, mean `think` s), act,
    wait for the reply, think again. An action is a press (share PRESS_SHARE, mixed mode only) or
    TEXT. Actions begun in `window` are measured, until the next new message in the person's
    chat (not the edit of the pressed message, nor a newsletter pushed meanwhile) was accepted
    by the stand-in."""

    def __init__(
        self,
        standin: BotApiStandin,
        accepted: Accepted,
        spec: Spec,
        ids: Iterable[int],
        window: Window,
    ) -> None:
        self.standin = standin
        self.accepted = accepted
        self.spec = spec
        self.ids = list(ids)
        self.window = window
        self.latencies: list[float] = []
        self.presses = 0  # measured
        self.lost = 0  # measured actions whose reply did not come within REPLY_TIMEOUT
        self.pressed: Counter[int] = Counter()  # every press, per person
        self.bot_cpu: float | None = None
        self.driver_cpu = 0.0

    async def run(self, pid: int) -> None:
        await asyncio.gather(self.clock(pid), *(self.live(user_id) for user_id in self.ids))

    async def clock(self, pid: int) -> None:
        """CPU time of the bot and of this process in the measured period."""
        await asyncio.sleep(self.window.start - time.perf_counter())
        bot, driver = process_cpu(pid), time.process_time()
        await asyncio.sleep(self.window.end - time.perf_counter())
        bot_end = process_cpu(pid)
        self.driver_cpu = time.process_time() - driver
        self.bot_cpu = None if bot is None or bot_end is None else bot_end - bot

    async def live(self, user_id: int) -> None:
        rng = random.Random(f"{self.spec.seed}:{user_id}")
        user = self.standin.user(user_id)
        mean = self.spec.think
        await asyncio.sleep(rng.expovariate(1 / mean))
        while time.perf_counter() < self.window.end:
            # Drawn in both modes, so that people think alike in the mixed and text-only runs.
            press = rng.random() < PRESS_SHARE and self.spec.mode == MIXED
            started = time.perf_counter()
            if press:
                keyboard = last_keyboard(self.standin, user_id)
                await user.press(toggle(keyboard), on=keyboard)
                self.pressed[user_id] += 1
            else:
                await user.send_text(TEXT)
            measured = started in self.window
            try:
                message = await user.wait_for_message(reply, timeout=REPLY_TIMEOUT)
            except AssertionError:
                self.lost += measured
                return
            if measured:
                self.latencies.append(self.accepted.at[user_id, message.message_id] - started)
                self.presses += press
            await asyncio.sleep(rng.expovariate(1 / mean))


def reply(message: BotMessage) -> bool:
    """A reply to the person, not a newsletter pushed to them."""
    return not newsletter.is_newsletter(message.reply_markup)


def last_keyboard(standin: BotApiStandin, chat_id: int) -> BotMessage | None:
    """The last message in a chat with an inline keyboard (the one a press would use), but a
    newsletter pushed meanwhile."""
    for message in reversed(standin.chat(chat_id).messages):
        if message.buttons() and reply(message):
            return message
    return None


def toggle(keyboard: BotMessage | None) -> str:
    """The button to press: whichever of TOGGLE the last keyboard offers."""
    rows = keyboard.buttons() if keyboard is not None else []
    data = {str(b.get("callback_data")) for row in rows for b in row}
    found = next((choice for choice in TOGGLE if choice in data), None)
    if found is None:
        raise AssertionError(f"none of {TOGGLE} in the last keyboard: {sorted(data)}")
    return found


class BotRun:
    """`python -m bot run` in a subprocess, started and stopped as an operator would, on its
    default settings but for the Telegram connection, the database and `chosen`: any other
    setting in this shell's environment is dropped, and it runs in `workdir`, without `.env`."""

    def __init__(
        self,
        standin: BotApiStandin,
        framework: str,
        database_url: str,
        workdir: Path,
        chosen: dict[str, str],
    ) -> None:
        settings = set(Settings.model_fields)
        self.standin = standin
        self.workdir = workdir
        self.log = workdir / "bot.log"
        self.env = {key: v for key, v in os.environ.items() if key.lower() not in settings}
        self.env |= {
            "TELEGRAM_BOT_TOKEN": standin.token,
            "TELEGRAM_API_URL": standin.url,
            "BOT_FRAMEWORK": framework,
            "DATABASE_URL": database_url,
            **chosen,
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> asyncio.subprocess.Process:
        """Start the bot and wait until it polls."""
        before = len(self.standin.requests)

        def polling() -> bool:
            return any(method == "getUpdates" for method, _ in self.standin.requests[before:])

        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bot", "run"),
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=log,
            )
        await guarded(self.standin.wait_until(polling, timeout=60), self.log, self.process)
        return self.process

    async def stop(self) -> str | None:
        """SIGTERM; the bot must exit with status 0 within 30 s, and without an error logged
        before. Returns the first error it logged while stopping, if any (reported, not failed)."""
        process = self.process
        if process is None or process.returncode is not None:
            return None
        before = read_log(self.log)
        if (error := first_error(before)) is not None:
            raise BotFailed(error)
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            raise BotFailed("the bot did not stop within 30 s of SIGTERM") from None
        if process.returncode != 0:
            raise BotFailed(f"the bot exited with status {process.returncode} on SIGTERM")
        error = first_error(read_log(self.log)[len(before) :])
        return None if error is None else LOG_TIME.sub("", error)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


def check_onboarded(standin: BotApiStandin, ids: Iterable[int]) -> None:
    for user_id in ids:
        if "🏠" not in (standin.chat(user_id).messages[-1].text or ""):
            raise AssertionError(f"chat {user_id} did not reach the main menu")


def check_presses(standin: BotApiStandin, workload: Workload) -> None:
    """Each press marked the pressed message (onboarding's three and the measured run's), and
    every press was answered."""
    for user_id in workload.ids:
        edits = len(standin.chat(user_id).edit_log)
        expected = len(ONBOARDING) - 1 + workload.pressed[user_id]
        if edits != expected:
            raise AssertionError(f"chat {user_id}: {edits} edits for {expected} presses")
    if unanswered := standin.callback_queries_unanswered():
        raise AssertionError(f"{len(unanswered)} button presses never answered")


async def measure(spec: Spec, workdir: Path) -> Result:
    """Onboard the people with the bot once, stop it, seed the pushes, start it again and
    measure while they act and the pushes drain."""
    from tests.standin import BotApiStandin

    rundir = workdir / spec.name
    rundir.mkdir()
    database_url = f"sqlite+aiosqlite:///{rundir / 'bot.db'}"
    ids = range(FIRST_PERSON, FIRST_PERSON + spec.people)
    result = Result(spec.framework, spec.people, spec.mode, spec.budget, spec.seconds)
    chosen = {}
    if spec.budget != DEFAULT_BUDGET:
        chosen["TELEGRAM_MESSAGES_PER_SECOND"] = f"{spec.budget:g}"
    async with BotApiStandin(token=TOKEN) as standin:
        standin.enforce_limits(spec.budget, PER_CHAT_PER_SECOND, PER_CHAT_BURST)
        accepted = Accepted(standin)
        bot = BotRun(standin, spec.framework, database_url, rundir, chosen)
        try:
            process = await bot.start()
            await guarded(drive(standin, ids, ONBOARDING), bot.log, process)
            check_onboarded(standin, ids)
            stopping = await bot.stop()
            if spec.pushes or spec.push == NEWSLETTER:
                await seed(database_url, spec.pushes, first_id=FIRST_PUSHED_USER, push=spec.push)
            too_many = standin.too_many_requests_count
            process = await bot.start()  # its first scheduled run plans and sends the pushes
            ready = time.perf_counter()
            window = Window(ready + spec.settle, ready + spec.settle + spec.seconds)
            workload = Workload(standin, accepted, spec, ids, window)
            await guarded(workload.run(process.pid), bot.log, process)
            delivered = None
            if spec.push == NEWSLETTER:
                readers = newsletter.readers(spec.pushes, ids)
                draining = newsletter.drain(standin, readers, ready + spec.drain_timeout)
                await guarded(draining, bot.log, process)
                delivered = newsletter.delivered(
                    standin, readers, accepted.newsletters, ready, spec.pushes
                )
            too_many = standin.too_many_requests_count - too_many
            pushes_total = len(accepted.pushes)
            stopping = stopping or await bot.stop()
            check_presses(standin, workload)
        except (BotFailed, AssertionError) as failure:
            await bot.kill()
            text = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
            return replace(result, error=text[:200])
        except BaseException:
            await bot.kill()
            raise
    return replace(
        result,
        latencies=sorted(workload.latencies),
        presses=workload.presses,
        lost=workload.lost,
        pushes=accepted.pushes_in(window),
        pushes_total=pushes_total,
        pushes_due=spec.pushes,
        too_many_requests=too_many,
        bot_cpu=workload.bot_cpu,
        driver_cpu=workload.driver_cpu,
        stop_error=stopping,
        delivered=delivered,
    )
