"""Planning every offer and composing every digest for a town-sized exchange, against a naive baseline.

`make bench-matching` (or `python -m benchmarks.matching --volunteers 100000 --requests 20000`)
generates realistic data for Bingen straight into a fresh SQLite file (`synthetic.towns`, seeded,
so every run sees the same people; generating is not measured), then measures, in a fresh subprocess per size:

* **plan**: `push.plan.plan(session, deployment, now)` in one transaction, as the scheduler's tick
  runs it: every open request gets its first offer round (or widens, or is closed as exhausted),
  creating the matches and the offer deliveries;
* **compose**: at the digest time (18:00 the same Monday, when daily and weekly digests and every
  immediate offer are due), as `deliver_due` does: `storage.outbox.claim_due` claims the due rows
  batch by batch (with all of their recipients' rows), `push.compose.compose_all` builds the
  messages (one digest per volunteer) and `storage.outbox.mark_sent` marks the batch sent; the
  messages are neither rendered to text nor sent. Rendering a sample of the messages
  with `Translator().render` is timed on the side and extrapolated, but not counted;
* time is wall time of plan + compose (and the CPU time they took); memory is the subprocess's
  peak RSS (`VmHWM`), so it includes the interpreter and every import (the RSS after imports is
  printed as well).

It measures the full size and half the data (growth close to 2x means linear), each `--repeat`
times (3) on a fresh copy of the same generated file, and compares the median runs: a run lasts
seconds, and on a shared machine a slow spell can stretch one by a third. And a naive
baseline: every volunteer, as `matching.rules.Volunteer` in memory, ranked by `matching.fit.rank`
against every request of a sample (the first round's district), extrapolated to all requests.
`--profile` profiles the full-size run with cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from benchmarks.matching_baseline import Baseline, baseline
from benchmarks.matching_measure import COMPOSE_BATCH, RENDER_SAMPLE, Measurement, measure
from benchmarks.matching_stores import PostgresDatabases, SQLiteFiles, Store
from bot.process import tune_garbage_collector
from synthetic.towns import SEED

ROOT = Path(__file__).resolve().parent.parent
FULL = (100_000, 20_000)
GOAL_SECONDS = 10.0
GOAL_MB = 500.0
POSTGRES_FULL = (1_000_000, 200_000)
POSTGRES_GOAL_SECONDS = 120.0
POSTGRES_GOAL_MB = 2_000.0
POSTGRES_GROWTH = 2.2
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BASELINE_SAMPLE = 200


def log_quietly() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("alembic", "sqlalchemy", "aiosqlite", "push", "matching"):
        logging.getLogger(name).setLevel(logging.WARNING)


def measure_in_subprocess(
    database_url: str, volunteers: int, requests: int, profile: Path | None
) -> Measurement:
    command = [sys.executable, "-m", "benchmarks.matching", "--measure", database_url]
    command += ["--volunteers", str(volunteers), "--requests", str(requests)]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{done.stdout}\n{done.stderr}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return Measurement(**values)


# --- the report -------------------------------------------------------------------------------------


def print_profile(path: Path, top: int = 25) -> None:
    stream = io.StringIO()
    stats = pstats.Stats(str(path), stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    print("\n".join(stream.getvalue().splitlines()[4:]))
    calls = Counter[str]()
    for (filename, _line, name), (_cc, ncalls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        if name in {
            "_load_kind",
            "_load_details",
            "enqueue_many",
            "_choose",
            "_write",
            "claim_due",
            "compose_all",
            "execute",
        }:
            calls[f"{Path(filename).name}:{name}"] += ncalls
    print(
        "calls (cProfile counts every resumption of a coroutine): "
        + ", ".join(f"{name} {count:,}" for name, count in calls.most_common())
    )


def row(m: Measurement) -> str:
    return (
        f"{m.volunteers:>10,} {m.requests:>8,} {m.plan_seconds:>7.2f} {m.compose_seconds:>8.2f} "
        f"{m.seconds:>7.2f} {m.cpu_seconds:>6.1f} {m.peak_rss_mb:>7.0f} "
        f"{m.rss_after_imports_mb:>7.0f} {m.statements:>8,} {m.offers:>7,} {m.exhausted:>7,} "
        f"{m.users_composed:>7,} {m.digests:>7,} {m.render_estimate:>7.2f}"
    )


HEADER = (
    f"{'volunteers':>10} {'requests':>8} {'plan s':>7} {'compose':>8} {'total s':>7} {'cpu s':>6} "
    f"{'peak MB':>7} {'base MB':>7} {'SQL stmts':>8} {'offers':>7} {'exhaust':>7} {'users':>7} "
    f"{'digests':>7} {'render':>7}"
)


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def median(runs: list[Measurement]) -> Measurement:
    """The run with the median time, carrying the highest peak memory of all runs."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return replace(middle, peak_rss_mb=max(run.peak_rss_mb for run in runs))


@dataclass(frozen=True)
class Goal:
    volunteers: int
    requests: int
    seconds: float
    megabytes: float
    growth: float | None = None  # at most this time growth from half the data to all of it
    # Whether the time goal and growth are for planning alone (the "planned in"), with
    # composing the digests measured and printed beside it, or for both together.
    planning_only: bool = False


SQLITE_GOAL = Goal(*FULL, GOAL_SECONDS, GOAL_MB)
POSTGRES_GOAL = Goal(
    *POSTGRES_FULL, POSTGRES_GOAL_SECONDS, POSTGRES_GOAL_MB, POSTGRES_GROWTH, planning_only=True
)


def run(args: argparse.Namespace) -> bool:
    print(
        "Matching benchmark: plan every offer and compose every digest for generated data, and "
        f"for half of it; seed {SEED}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        "plan = push.plan.plan() in one transaction at Mon 10:00; compose = storage.outbox.claim_due(), "
        "push.compose.compose_all() and mark_sent() for everything due at Mon 18:00 (digest time), "
        f"{COMPOSE_BATCH:,} rows at a time; each run in a fresh subprocess on a fresh copy of the "
        "generated data (a copied SQLite file, or a PostgreSQL database made from the generated one "
        "as its template); the goal and the growth compare the median runs (with the highest peak "
        "memory of the runs)"
    )
    print(
        "total s = wall time of plan + compose; cpu s = CPU time they used (all threads; less "
        "sensitive to other load on the machine; PostgreSQL's own work is not in it); "
        "peak MB = peak RSS (VmHWM) of that subprocess (interpreter and imports included; not the "
        f"database server's); base MB = its RSS before planning; render = seconds to render every "
        f"message to text, extrapolated from {RENDER_SAMPLE:,} (not in total)"
    )
    met = True
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        sqlite = SQLiteFiles(Path(tmp))
        met &= run_store(
            sqlite, args.volunteers, args.requests, args.repeat, SQLITE_GOAL, args.profile, args
        )
        if args.postgres != "off":
            postgres = PostgresDatabases(args.postgres)
            try:
                met &= run_store(
                    postgres,
                    args.pg_volunteers,
                    args.pg_requests,
                    args.pg_repeat,
                    POSTGRES_GOAL,
                    False,
                    args,
                )
            finally:
                postgres.close()
    return met


def run_store(
    store: Store,
    volunteers: int,
    requests: int,
    repeat: int,
    goal: Goal,
    profile: bool,
    args: argparse.Namespace,
) -> bool:
    half = (volunteers // 2, requests // 2)
    print()
    print(
        f"{store.name}: {volunteers:,} volunteers and {requests:,} open requests, and half of that; "
        f"each size {repeat} time(s)"
    )
    print(HEADER, flush=True)
    results: dict[tuple[int, int], Measurement] = {}
    generated_in: dict[tuple[int, int], float] = {}
    base: Baseline | None = None
    with tempfile.TemporaryDirectory(prefix="bench-matching-prof-") as tmp:
        for size in (half, (volunteers, requests)):
            started = time.perf_counter()
            store.generate(*size)
            generated_in[size] = time.perf_counter() - started
            generated_file = store.sqlite_file()
            if size == (volunteers, requests) and generated_file is not None:
                base = baseline(generated_file, args.baseline_sample)
            stats = Path(tmp) / "plan.prof" if profile and size == (volunteers, requests) else None
            runs: list[Measurement] = []
            for number in range(repeat):
                with store.fresh_copy() as url:  # every run plans on the same fresh data
                    runs.append(measure_in_subprocess(url, *size, stats if number == 0 else None))
                note = f"   (data generated in {generated_in[size]:.1f} s)" if number == 0 else ""
                print(row(runs[-1]) + note, flush=True)
            results[size] = median(runs)
            if len({r.checksum for r in runs}) > 1:
                print(f"runs of the same data planned differently: {[r.checksum for r in runs]}")
            if stats is not None:
                print()
                print("profile of the full-size run (cProfile, sorted by own time):")
                print_profile(stats)
                print()
        store.close()
    full, smaller = results[(volunteers, requests)], results[half]
    print(
        "deliveries after planning (full size): "
        + ", ".join(f"{kind} {count:,}" for kind, count in sorted(full.deliveries.items()))
    )
    print(
        f"checksum of the planned offers and deliveries: {full.checksum} (full size), "
        f"{smaller.checksum} (half); the same data and code plan the same"
    )
    growth = full.seconds / smaller.seconds if smaller.seconds else float("inf")
    plan_growth = full.plan_seconds / max(smaller.plan_seconds, 1e-9)
    compose_growth = full.compose_seconds / max(smaller.compose_seconds, 1e-9)
    memory_growth = (full.peak_rss_mb - full.rss_after_imports_mb) / max(
        1.0, smaller.peak_rss_mb - smaller.rss_after_imports_mb
    )
    print(
        f"growth for twice the data: time x{growth:.2f} (plan x{plan_growth:.2f}, compose "
        f"x{compose_growth:.2f}), memory above the base x{memory_growth:.2f} (x2.00 is linear)"
    )
    if base is not None:
        ratio = base.extrapolated / full.seconds if full.seconds else float("inf")
        print(
            f"naive baseline: {base.volunteers:,} volunteers x {base.sample:,} sampled requests "
            f"ranked in Python in {base.seconds:.2f} s ({base.fitting:,} fitting pairs); "
            f"x {base.requests:,}/{base.sample:,} = {base.extrapolated:.1f} s for all requests, "
            f"first round only, no writes"
        )
        print(f"ratio: baseline / plan+compose = {ratio:.1f}x")
    timed, timed_growth = (
        (full.plan_seconds, plan_growth) if goal.planning_only else (full.seconds, growth)
    )
    what = "planning" if goal.planning_only else "plan+compose"
    time_ok, memory_ok = timed < goal.seconds, full.peak_rss_mb < goal.megabytes
    growth_ok = goal.growth is None or timed_growth <= goal.growth
    scope = (
        ""
        if (volunteers, requests) == (goal.volunteers, goal.requests)
        else f" (the goal is set for {goal.volunteers:,}/{goal.requests:,})"
    )
    verdicts = [
        f"{what} under {goal.seconds:.0f} s {'met' if time_ok else 'NOT met'} ({timed:.2f} s)",
        f"under {goal.megabytes:,.0f} MB {'met' if memory_ok else 'NOT met'} "
        f"({full.peak_rss_mb:,.0f} MB)",
    ]
    if goal.growth is not None:
        verdicts.append(
            f"{what} growth at most x{goal.growth:.1f} {'met' if growth_ok else 'NOT met'} "
            f"(x{timed_growth:.2f})"
        )
    print(
        f"goal on {store.name} for {volunteers:,} volunteers and {requests:,} requests{scope}: "
        + ", ".join(verdicts)
        + (
            f"; composing the digests took {full.compose_seconds:.2f} s more (not in the goal)"
            if goal.planning_only
            else ""
        )
        + f"; load average now {load()}"
    )
    return time_ok and memory_ok and growth_ok


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.matching",
        description="Time and peak memory to plan every offer and compose every digest.",
    )
    parser.add_argument("--volunteers", type=int, default=FULL[0])
    parser.add_argument("--requests", type=int, default=FULL[1])
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=BASELINE_SAMPLE,
        help="requests ranked by the naive baseline (extrapolated to all)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each size; the median run counts"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the full-size run")
    parser.add_argument(
        "--postgres",
        default=POSTGRES_ADMIN_URL,
        help="a PostgreSQL database to create the benchmark's databases from (default: "
        "$BENCH_POSTGRES_URL or the local server's postgres database); 'off' for SQLite only",
    )
    parser.add_argument("--pg-volunteers", type=int, default=POSTGRES_FULL[0])
    parser.add_argument("--pg-requests", type=int, default=POSTGRES_FULL[1])
    parser.add_argument("--pg-repeat", type=int, default=1, help="runs of each size on PostgreSQL")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if (
        min(args.volunteers, args.requests, args.pg_volunteers, args.pg_requests) < 2
        or min(args.baseline_sample, args.repeat, args.pg_repeat) < 1
    ):
        parser.error(
            "use at least 2 volunteers and requests, --baseline-sample, --repeat and "
            "--pg-repeat >= 1"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    log_quietly()
    tune_garbage_collector()  # as `ehrenamt run`, `scheduler` and `push` do; the baseline too
    if args.measure is not None:
        result = asyncio.run(measure(args.measure, args.volunteers, args.requests, args.profile_to))
        print(json.dumps(asdict(result)))
        return 0
    run(args)
    return 0  # a report: the verdict is printed, not signalled


if __name__ == "__main__":
    sys.exit(main())
