"""Reply latency under load with Telegram's limits on, while a large push drains (issue 13, item 7).

`make bench-load` (or `python -m benchmarks.load`) runs, for python-telegram-bot and aiogram and
for a series of people counts (25, 50, 100, 150, 200, 250, 300 by default), the real bot as
`ehrenamt run` does: `python -m bot run` in a subprocess, polling, on a fresh SQLite file, with its
default settings but the database and the Bot API URL. It polls the Bot API stand-in
(`tests/standin`), which lives in this process together with the simulated people and enforces
Telegram's limits (`enforce_limits(per_second=30, per_chat_per_second=1, burst=3)`): a message
beyond them is answered 429.

Each run:

1. **Warm-up, not measured.** Every person onboards (/start, language, consent, role) and ends in
   the main menu; then the bot is stopped as an operator would stop it (SIGTERM).
2. **The push.** `--pushes` (3,000) other people are seeded as `benchmarks.sender` does, each with
   a request whose day has passed, so that the scheduler's next run closes the requests and queues
   one "expired" notice per person. The scheduler runs inside `ehrenamt run`, first when it starts.
3. **Measured.** The bot starts again; its first scheduled run plans and sends the pushes while
   the people act. After `--settle` seconds (10) the measured period of `--seconds` (60) begins.

People act independently and in a closed loop: each thinks for a random time (exponential, mean
`--think` = 5 s, seeded by `--seed` and the person), acts, waits for the answer, thinks again; so
nobody has more than one action waiting, and a slow bot slows the people down, as it would. An
action is, in the **mixed** mode, 70 % typing `/help` (answered with one message in every step) and
30 % pressing a button of the last keyboard shown: the main menu's "change my role", then the same
role again, which leads back to the menu; each press is answered (callback), marks the pressed
message (an edit) and sends the next question (one message). The **text-only** baseline types
`/help` only, with the same people and think times, in a run of its own. Latency: from pushing the
update into the stand-in until the stand-in accepted the bot's next new message to that person's
chat (the edit does not count). Actions begun in the measured period count; their replies are
waited for after it (a reply that never comes is lost and counts as infinitely late). An error
the bot logs, or a press not marked or not answered, fails the run; an error it logs while being
stopped (SIGTERM, after the measurement, pushes still draining) is reported below the tables.

Per framework, the series stops after the first people count whose mixed p99 exceeds 2 s, but not
before the goal's 150 people are measured. Printed: a table per framework (both modes at every
count), the knee (first people count whose p99 exceeds 1 s) and the goal: p99 < 0.5 s at 150
people, mixed, both frameworks, with the ratio mixed p99 / text-only p99 at 150 from the same run.
`--extra-budget 60` (the default; 0 for none) adds a row per framework, labelled EXTRA, at 150
people with TELEGRAM_MESSAGES_PER_SECOND=60 and the stand-in's overall limit raised to match (a
bot with paid broadcasts); it is not the goal's setting. A run takes one to three minutes;
`--quick` is a short series for development.

`--push newsletter` (`make bench-newsletter`) drains a newsletter instead of the expired notices:
`--pushes` readers and a coordinator who wrote one newsletter to all of Bingen, scheduled for now,
in German, English and Arabic; the people acting read it too (see `benchmarks.newsletter`). After
the measured period each run waits until it drained (at most `--drain-timeout` s from the bot's
start), then prints what the stand-in received: every reader exactly once in their version, the
429s, the drain time; the summary sets the reply latency beside the text-only baseline and says
PASS or FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import newsletter
from benchmarks.load_report import (
    DEFAULT_BUDGET,
    GOAL_PEOPLE,
    HEADER,
    MIXED,
    NAMES,
    TEXT_ONLY,
    Result,
    row,
    summary,
)
from benchmarks.load_run import (
    PER_CHAT_BURST,
    PER_CHAT_PER_SECOND,
    PRESS_SHARE,
    TEXT,
    Spec,
    measure,
)
from benchmarks.sender import EXPIRED, NEWSLETTER, PUSHES
from benchmarks.telegram_report import load
from bot.process import tune_garbage_collector

FRAMEWORKS = ("ptb", "aiogram")
PEOPLE = (25, 50, 100, 150, 200, 250, 300)
STOP_P99 = 2.0  # seconds: the series stops after the first people count above this
PUSH_NAMES = {  # what drains, and what is seeded
    EXPIRED: ("{pushes:,} pushes drain (issue 13, item 7)", "{pushes:,} due pushes"),
    NEWSLETTER: (
        "a newsletter to {pushes:,} people drains",
        "a newsletter to {pushes:,} readers scheduled for now",
    ),
}
QUICK = {"people": "10,25", "seconds": 15.0, "settle": 3.0, "pushes": 300, "extra_budget": 0.0}


def specs(args: argparse.Namespace, framework: str, people: int, budget: float) -> list[Spec]:
    modes = (MIXED, TEXT_ONLY) if budget == DEFAULT_BUDGET else (MIXED,)
    return [
        Spec(
            framework=framework,
            people=people,
            mode=mode,
            seconds=args.seconds,
            settle=args.settle,
            pushes=args.pushes,
            think=args.think,
            seed=args.seed,
            budget=budget,
            push=args.push,
            drain_timeout=args.drain_timeout,
        )
        for mode in modes
    ]


def report(result: Result) -> None:
    print(row(result), flush=True)
    if result.delivered is not None:
        print(newsletter.line(result), flush=True)


async def series(args: argparse.Namespace, framework: str, workdir: Path) -> list[Result]:
    """Both modes at each people count, until the mixed p99 passed STOP_P99 (and 150 is done)."""
    print(f"{NAMES[framework]}:")
    print(HEADER, flush=True)
    results: list[Result] = []
    for people in args.people:
        mixed: Result | None = None
        for spec in specs(args, framework, people, DEFAULT_BUDGET):
            result = await measure(spec, workdir)
            results.append(result)
            report(result)
            mixed = result if spec.mode == MIXED else mixed
        failed = any(result.error is not None for result in results[-2:])
        over = mixed is not None and mixed.p99 > STOP_P99
        goal_done = people >= GOAL_PEOPLE or GOAL_PEOPLE not in args.people
        if failed or (over and goal_done):
            break
    if args.extra_budget:
        for spec in specs(args, framework, GOAL_PEOPLE, args.extra_budget):
            result = await measure(spec, workdir)
            results.append(result)
            report(result)
    print(flush=True)
    return results


async def run(args: argparse.Namespace) -> bool:
    """Measure and print the tables; True when every run worked (whether or not the goal is met)
    and, for a newsletter, it passed."""
    draining, what = (text.format(pushes=args.pushes) for text in PUSH_NAMES[args.push])
    print(f"Load benchmark: reply latency with Telegram's limits on while {draining}")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        "setup: `python -m bot run` (polling, fresh SQLite file, default settings but the database "
        "and Bot API URL) against the stand-in in this process, which answers 429 beyond "
        f"{DEFAULT_BUDGET:g} msg/s overall and {PER_CHAT_PER_SECOND}/s per chat "
        f"(burst {PER_CHAT_BURST}); onboarding first (not measured), then {what} seeded and "
        f"the bot restarted; {args.settle:g} s of acting, then {args.seconds:g} s measured"
        + (
            f", then up to {args.drain_timeout:g} s from the bot's start for the newsletter to "
            "drain; the people acting read it too; nobody has quiet hours"
            if args.push == NEWSLETTER
            else ""
        )
    )
    print(
        f"people: closed loop, think time exponential with mean {args.think:g} s (seed "
        f"{args.seed}); mixed: {1 - PRESS_SHARE:.0%} {TEXT}, {PRESS_SHARE:.0%} a button press "
        f"(answer + edit + one message); text-only: {TEXT} only; latency: update pushed -> the "
        "next new message to that chat accepted by the stand-in"
    )
    print()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        for framework in args.frameworks:
            results += await series(args, framework, Path(tmp))
    failed = [result for result in results if result.error is not None]
    print(
        "replies: measured actions (begun in the measured period), rep/s: their number per "
        "second; press: of them, button presses; lost: no reply within 60 s; pushes, push/s: "
        "push messages accepted by the stand-in in the measured period; 429s: from the measured "
        "bot's start to its stop; bot cpu / drv cpu: CPU of the bot / of the stand-in and people "
        "in the measured period (100% = one core)"
    )
    print(
        "budget: every new message, reply or push, takes one of the bot's "
        f"{DEFAULT_BUDGET:g} slots a second, replies first (answers and edits take none)"
    )
    lines = summary(results, args.frameworks)
    if args.push == NEWSLETTER:
        lines = newsletter.summary(results, args.frameworks)
    for line in lines:
        print(line)
    acting = GOAL_PEOPLE if args.push == EXPIRED else max(args.people)
    demand = acting / args.think
    print(
        f"arithmetic: {acting} people acting every {args.think:g} s want {demand:g} replies "
        f"a second, each one message, against a budget of {DEFAULT_BUDGET:g} msg/s "
        f"({demand / DEFAULT_BUDGET:.0%} of it before a single push)"
    )
    print(f"load average now: {load()}")
    if failed:
        print(f"{len(failed)} run(s) FAILED (see above)")
    if args.push == NEWSLETTER:
        return not failed and all(newsletter.passed(result) for result in results)
    return not failed


def people_list(text: str) -> list[int]:
    counts = sorted({int(part) for part in text.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("comma-separated people counts >= 1")
    return counts


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description="Reply latency under load with Telegram's limits while a push drains.",
    )
    parser.add_argument(
        "--frameworks", default=",".join(FRAMEWORKS), help="comma-separated: ptb,aiogram"
    )
    parser.add_argument("--people", help="comma-separated people counts (25,50,...,300)")
    parser.add_argument("--seconds", type=float, help="the measured period (60)")
    parser.add_argument("--settle", type=float, help="acting before it is measured (10)")
    parser.add_argument("--pushes", type=int, help="due pushes seeded before it (3000)")
    parser.add_argument(
        "--push",
        choices=PUSHES,
        default=EXPIRED,
        help="what drains: expired notices (the default) or one newsletter to them all",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=600.0,
        help="newsletter: seconds from the bot's start to wait for it to drain (600)",
    )
    parser.add_argument("--think", type=float, default=5.0, help="mean think time, seconds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the think times and actions")
    parser.add_argument(
        "--extra-budget",
        type=float,
        help="also 150 people, mixed, at this many msg/s, labelled EXTRA (60; 0: none)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="for development: 10 and 25 people, 15 s, 300 pushes"
    )
    args = parser.parse_args(argv)
    defaults = {
        "people": ",".join(map(str, PEOPLE)),
        "seconds": 60.0,
        "settle": 10.0,
        "pushes": 3000,
        "extra_budget": 60.0,
    }
    for name, value in (QUICK if args.quick else defaults).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    try:
        args.people = people_list(args.people)
    except (ValueError, argparse.ArgumentTypeError):
        parser.error("use --people with comma-separated counts >= 1")
    args.frameworks = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    unknown = [name for name in args.frameworks if name not in FRAMEWORKS]
    if unknown or not args.frameworks:
        parser.error(f"use --frameworks from {','.join(FRAMEWORKS)}")
    if args.drain_timeout <= 0:
        parser.error("use --drain-timeout > 0")
    if args.seconds <= 0 or args.settle < 0 or args.pushes < 0 or args.think <= 0:
        parser.error("use --seconds > 0, --settle >= 0, --pushes >= 0, --think > 0")
    if args.extra_budget < 0:
        parser.error("use --extra-budget >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # A bot that failed is killed mid-request; the stand-in's server would log each cut connection.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    tune_garbage_collector()  # this process as the bot's, as in the other Telegram benchmarks
    worked = asyncio.run(run(args))
    return 0 if worked else 1


if __name__ == "__main__":
    sys.exit(main())
