"""Updates per second through the whole Telegram stack, beside a bare echo bot on the same framework.

`make bench-telegram` (or `python -m benchmarks.telegram --users 200 --rounds 3`) measures, for
python-telegram-bot and aiogram alike:

* **echo**: the framework's own bot with two handlers, one that answers a text with the text and one
  that answers a button press and sends one message, each reply carrying one inline button; it runs
  on the same `PtbFront`/`AiogramFront` as production, so framework settings and polling are equal;
* **full stack**: the bot as `ehrenamt run` wires it: `running_app` on a fresh SQLite file, then
  the framework front, the `Sender`, the `TelegramChannel` and polling, as `TelegramBot` in
  `runner.py` does (without the push scheduler, which has nothing to do here).

Both run as a subprocess polling the Bot API stand-in (`tests/standin`), which lives in this process
together with the simulated people. Both get the same updates: every person sends `/start`, presses
three buttons (language, consent and role in the full stack; the echo bot's button) and then sends
`/help` `--rounds` times, each next update only after they saw the answer to the previous one, as a
person would; people write concurrently. The clock runs from the first update until every reply
has arrived, after a short warm-up with other people that is not counted. Each bot runs
`--repeat` times (3), the two alternately, and the ratio compares their median runs: one run of
the echo bot takes about a second, short enough for a busy moment of the machine to skew it.

Telegram lets a bot send 30 messages a second (one a second per chat); the `Sender` enforces that
and would cap both bots at 30 updates a second. To measure what the bot can process, the full stack
gets a `Sender` without limits; the echo bot sends directly. `--profile` profiles the full stack
(pyinstrument if installed, else cProfile) and prints where its time goes; profiled rates are lower.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import re
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import IO, Any

from benchmarks.telegram_bots import ECHO_DATA, TOKEN, serve_main
from benchmarks.telegram_report import (
    BOTS,
    GOAL,
    HEADER,
    Result,
    load,
    median,
    print_profile,
    ratio_line,
    row,
)
from bot.process import tune_garbage_collector

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("ptb", "aiogram")
WARMUP_USERS = 10
WARMUP_ID = 900_000
USER_ID = 1_000_000
REPLY_TIMEOUT = 120.0
# The full stack's onboarding for someone whose phone reports German, as callback data.
FULL_PRESSES = ("lang:de", "consent:yes", "role:volunteer")


# --- the people's side (this process): stand-in, workload, measurement ---------------------------


class BotFailed(Exception):
    """The bot logged an error or exited while it was measured."""


def script(bot: str, rounds: int) -> list[tuple[str, str]]:
    """One person's updates: /start, three button presses, then /help `rounds` times."""
    presses = FULL_PRESSES if bot == "full" else (ECHO_DATA,) * len(FULL_PRESSES)
    return [
        ("text", "/start"),
        *(("press", data) for data in presses),
        *[("text", "/help")] * rounds,
    ]


async def converse(standin: Any, user_id: int, steps: list[tuple[str, str]]) -> None:
    user = standin.user(user_id, f"Person {user_id}", language_code="de")
    for kind, value in steps:
        if kind == "text":
            await user.send_text(value)
        else:
            await user.press(value)
        await user.wait_for_message(timeout=REPLY_TIMEOUT)


async def drive(standin: Any, ids: range, steps: list[tuple[str, str]]) -> None:
    """Everyone at once, each person's updates one after the other; returns when all replies came."""
    await asyncio.gather(*(converse(standin, user_id, steps) for user_id in ids))
    await standin.wait_until(
        lambda: not standin.callback_queries_unanswered(), timeout=REPLY_TIMEOUT
    )


def read_log(path: Path) -> str:
    return path.read_bytes().decode(errors="replace")


# A logged error, as the benchmark's bots log it or as `ehrenamt run` does (after the time).
ERROR_LINE = re.compile(r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ )?(?:ERROR|CRITICAL)\b")


def first_error(text: str) -> str | None:
    """The first error the bot logged, with the exception line of its traceback if there is one."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if ERROR_LINE.match(line):
            skip = (" ", "Traceback", "During handling", "The above exception", "[", "(")
            cause = next((ln for ln in lines[index + 1 :] if ln and not ln.startswith(skip)), "")
            return f"{line} {cause}".strip()
    return None


async def guarded(work: Awaitable[None], log: Path, process: asyncio.subprocess.Process) -> None:
    """Run `work`, but fail at once when the bot logs an error or exits."""

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.25)
            if process.returncode is not None:
                raise BotFailed(f"the bot exited with status {process.returncode}")
            if (error := first_error(read_log(log))) is not None:
                await asyncio.sleep(0.25)  # let the traceback reach the log
                raise BotFailed(first_error(read_log(log)) or error)

    working = asyncio.ensure_future(work)
    watching = asyncio.ensure_future(watch())
    try:
        await asyncio.wait({working, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (working, watching):
            task.cancel()
        await asyncio.gather(working, watching, return_exceptions=True)
    if not working.cancelled():
        working.result()  # its own error (a reply that did not come), if any
        return
    failure = watching.exception() if not watching.cancelled() else None
    if failure is not None:
        raise failure


def check(standin: Any, bot: str, ids: range, steps: list[tuple[str, str]]) -> None:
    """Every update got exactly its reply, and the full stack really went through the onboarding."""
    presses = sum(kind == "press" for kind, _value in steps)
    for user_id in ids:
        chat = standin.chat(user_id)
        if len(chat.messages) != len(steps):
            raise AssertionError(f"chat {user_id}: {len(chat.messages)} replies to {len(steps)}")
        if bot == "full":
            if "🏠" not in (chat.messages[len(FULL_PRESSES)].text or ""):
                raise AssertionError(f"chat {user_id} did not reach the main menu")
            if len(chat.edit_log) != presses:
                raise AssertionError(f"chat {user_id}: {len(chat.edit_log)} edits for {presses}")


def process_cpu(pid: int) -> float | None:
    """User plus system CPU seconds of a process so far (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_log(path: Path) -> IO[bytes]:
    return path.open("ab")


async def measure(
    framework: str, bot: str, users: int, rounds: int, workdir: Path, profile: Path | None
) -> Result:
    """Start the bot, warm it up, time `users` people through their dialogues, stop the bot."""
    from tests.standin import BotApiStandin

    log = workdir / f"{framework}-{bot}.log"
    command = [sys.executable, "-m", "benchmarks.telegram", "--serve", bot]
    command += ["--frameworks", framework, "--database", str(workdir / f"{framework}-{bot}.db")]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    steps = script(bot, rounds)
    ids = range(USER_ID, USER_ID + users)
    async with BotApiStandin(token=TOKEN) as standin:
        with open_log(log) as output:
            process = await asyncio.create_subprocess_exec(
                *command, "--api-url", standin.url, cwd=ROOT, stdout=output, stderr=output
            )
        bot_cpu, driver_cpu, started = None, 0.0, time.perf_counter()
        try:
            ready = standin.wait_until(
                lambda: any(method == "getUpdates" for method, _ in standin.requests), timeout=120
            )
            await guarded(ready, log, process)
            warmup = range(WARMUP_ID, WARMUP_ID + WARMUP_USERS)
            await guarded(drive(standin, warmup, steps), log, process)
            if profile is not None:
                process.send_signal(signal.SIGUSR1)
            bot_cpu, driver_cpu = process_cpu(process.pid), time.process_time()
            started = time.perf_counter()
            await guarded(drive(standin, ids, steps), log, process)
            seconds = time.perf_counter() - started
            bot_end = process_cpu(process.pid)
            driver_used = time.process_time() - driver_cpu
            check(standin, bot, ids, steps)
        except (BotFailed, AssertionError) as failure:
            process.kill()
            await process.wait()
            replies = sum(len(standin.chat(user_id).messages) for user_id in ids)
            error = f"{failure} ({replies} of {users * len(steps)} replies came)"
            seconds = time.perf_counter() - started
            return Result(framework, bot, replies, seconds, None, 0.0, error)
        except BaseException:
            process.kill()
            await process.wait()
            raise
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()
    bot_used = None if bot_cpu is None or bot_end is None else bot_end - bot_cpu
    return Result(framework, bot, users * len(steps), seconds, bot_used, driver_used)


async def run(
    users: int, rounds: int, repeat: int, frameworks: Sequence[str], profile: bool
) -> bool:
    """Measure and print the table; True when every run worked (whether or not the goal is met)."""
    per_user = len(script("full", rounds))
    print(
        f"Telegram bot benchmark: {users} people × {per_user} updates "
        f"(/start, 3 button presses, /help × {rounds}), after a warm-up with {WARMUP_USERS} others"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        "setup: bot in a subprocess polling the Bot API stand-in; stand-in and people in this "
        "process; each person sends the next update after seeing the reply to the previous one; "
        f"each bot runs {repeat} times, echo and full stack alternately, and the ratio compares "
        "their median runs"
    )
    print(
        "full stack: running_app on a SQLite file, framework front, TelegramChannel and a Sender "
        "with Telegram's limits OFF (overall_per_second=1e9, per_chat_interval=0) to measure "
        "processing capacity, not the 30 msg/s Telegram allows; echo sends directly"
    )
    if profile:
        print("profiling the full stack (bot process): its rates are lower than unprofiled")
    print()
    print(HEADER)
    results: list[Result] = []
    goals: list[bool] = []
    with tempfile.TemporaryDirectory(prefix="bench-telegram-") as tmp:
        workdir = Path(tmp)
        for framework in frameworks:
            runs: dict[str, list[Result]] = {bot: [] for bot in BOTS}
            for number in range(repeat):  # alternately, so a slow spell hits both bots
                rundir = workdir / f"run-{number}"  # a fresh database for every run
                rundir.mkdir(exist_ok=True)
                for bot in BOTS:
                    profiled = profile and bot == "full" and number == 0
                    stats = rundir / f"{framework}-{bot}.prof" if profiled else None
                    result = await measure(framework, bot, users, rounds, rundir, stats)
                    runs[bot].append(result)
                    print(row(result), flush=True)
            echo, full = median(runs["echo"]), median(runs["full"])
            line, met = ratio_line(framework, echo, full)
            print(line, flush=True)
            results += runs["echo"] + runs["full"]
            goals.append(met)
            if profile and full.error is None:
                print()
                print(f"{framework} full stack profile (bot process, main thread, measured part):")
                print_profile(workdir / "run-0" / f"{framework}-full.prof")
                print()
    print()
    print(
        "bot cpu / driver cpu: CPU time of the bot process / of the stand-in and people per wall "
        "second (100% = one core busy; less means it waited); cpu ms/upd: bot CPU per update"
    )
    print(f"load average now: {load()} (other work on the machine makes the rates noisy)")
    verdict = "goal met" if all(goals) else "goal NOT met"
    print(f"overall: {verdict} (full stack >= {GOAL:.0%} of the echo bot's updates/s)")
    failed = [result for result in results if result.error is not None]
    if failed:
        print(f"{len(failed)} run(s) FAILED: the bot lost updates or logged errors (see above)")
    return not failed


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.telegram",
        description="Updates per second of the full Telegram stack beside a bare echo bot.",
    )
    parser.add_argument("--users", type=int, default=200, help="people writing at once")
    parser.add_argument("--rounds", type=int, default=3, help="/help messages per person")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each bot; the ratio compares the medians"
    )
    parser.add_argument(
        "--frameworks", default=",".join(FRAMEWORKS), help="comma-separated: ptb,aiogram"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the full stack (pyinstrument if installed, else cProfile); print the top",
    )
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve", choices=list(BOTS), help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    frameworks = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    unknown = [name for name in frameworks if name not in FRAMEWORKS]
    if unknown or not frameworks or args.users < 1 or args.rounds < 0 or args.repeat < 1:
        parser.error(
            f"use --frameworks from {','.join(FRAMEWORKS)}, --users >= 1, --rounds >= 0, "
            "--repeat >= 1"
        )
    args.framework_list = frameworks
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # A bot that failed is killed mid-request; the stand-in's server would log each cut connection.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    # The bot's process as `ehrenamt run` sets it up, and the stand-in's the same way.
    tune_garbage_collector()
    if args.serve is not None:
        asyncio.run(serve_main(args))
        return 0
    worked = asyncio.run(
        run(args.users, args.rounds, args.repeat, args.framework_list, args.profile)
    )
    return 0 if worked else 1


if __name__ == "__main__":
    sys.exit(main())
