"""The agency's yearly figures for a town-sized exchange, counted in SQL, beside a plain recount.

`make bench-statistics` (or `python -m benchmarks.statistics --volunteers 100000 --requests 200000`)
writes a year of Bingen (`synthetic.history.fill`, seeded, 52 weeks up to 31 December 2026,
18:00) into a fresh, migrated SQLite file (generating is not measured, its time is printed), then
measures, in a fresh subprocess per run:

* **sql**: `exchange.statistics.compute(session, 2026)`, every table aggregated in SQL;
* **naive**: `benchmarks.statistics_naive.recompute(session, 2026)`, every row loaded into Python
  and counted there (the same definitions). The same subprocess then computes the SQL figures
  (not measured) and compares both: the figures must agree, medians by 0.1 hours at most;
* time is wall time of that call (and the CPU time it took); memory is the subprocess's peak RSS
  (`VmHWM`), so it includes the interpreter and every import (the RSS after imports is printed
  as well).

The SQL path runs on the full size and on half the data (growth close to 2x means linear), each
`--repeat` times (3), and the median runs count; the naive one runs on the full size once. Every
run reads the same file (nothing is written), so the later ones find it in the page cache.
`--profile` profiles one full-size SQL run with cProfile and times every SQL statement it sent,
with SQLite's plan of the slowest ones.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.matching import load
from benchmarks.matching_measure import cpu_time, memory_mb
from bot.process import tune_garbage_collector

ROOT = Path(__file__).resolve().parent.parent
FULL = (100_000, 200_000)
QUICK = (10_000, 20_000)
WEEKS = 52
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 31, 18, 0, tzinfo=TZ).astimezone(UTC)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
GOAL_SECONDS = 10.0
GOAL_MB = 500.0
MEDIAN_TOLERANCE = 0.1  # hours: the two medians may round apart
SHOWN_DIFFERENCES = 10
SLOWEST_STATEMENTS = 5
STATEMENT_SHOWN = 160  # characters of a slow statement printed beside its plan


@dataclass
class Measurement:
    what: str  # "sql" or "naive"
    volunteers: int
    requests: int
    seconds: float
    cpu_seconds: float  # user + system CPU time of the call, all threads
    rss_after_imports_mb: float
    peak_rss_mb: float
    statements: int  # SQL statements the call sent
    checksum: str  # of the SQL figures: the same data and code count the same
    differences: list[str] | None = None  # naive only: where the two disagree
    slowest: list[tuple[float, str]] = field(default_factory=list)  # with --profile


def log_quietly() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("alembic", "sqlalchemy", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --- generating -------------------------------------------------------------------------------------


async def generate(path: Path, volunteers: int, requests: int) -> dict[str, int]:
    from storage import create_engine, migrate
    from synthetic.history import fill

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate(engine)
        return await fill(engine, volunteers, requests, weeks=WEEKS, now=NOW)
    finally:
        await engine.dispose()


# --- measuring (in the subprocess) ------------------------------------------------------------------


def checksum(rows: dict[str, Any]) -> str:
    flat = sorted(
        (table, key, sorted(values.items()))
        for table, by in rows.items()
        for key, values in by.items()
    )
    return hashlib.sha256(repr(flat).encode()).hexdigest()[:16]


def differences(computed: dict[str, Any], plain: dict[str, Any]) -> list[str]:
    """Where the SQL figures and the plain recount disagree (medians by more than 0.1 hours)."""
    found: list[str] = []
    if computed.keys() != plain.keys():
        found.append(f"tables: {sorted(computed)} != {sorted(plain)}")
    for table in computed.keys() & plain.keys():
        rows, others = computed[table], plain[table]
        if rows.keys() != others.keys():
            found.append(f"{table} keys: {sorted(rows.keys() ^ others.keys())} in only one")
        for key in rows.keys() & others.keys():
            for column, value in rows[key].items():
                expected = others[key].get(column)
                if column == "median_hours_to_match" and None not in (value, expected):
                    same = abs(float(value) - float(expected)) <= MEDIAN_TOLERANCE + 1e-9
                else:
                    same = value == expected
                if not same:
                    found.append(f"{table} {key} {column}: sql {value!r}, naive {expected!r}")
    return sorted(found)


class StatementTimer:
    """Counts the SQL statements sent and, if asked, times each of them."""

    def __init__(self, timed: bool) -> None:
        self.timed = timed
        self.count = 0
        self.started: dict[int, float] = {}
        self.durations: list[tuple[float, str]] = []

    def before(self, _conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        if self.timed:
            self.started[id(cursor)] = time.perf_counter()

    def after(self, _conn: Any, cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        started = self.started.pop(id(cursor), None)
        if started is not None:
            # Results are fetched after this event: the time here is SQLite's work to the first row,
            # which for an aggregate is nearly all of it.
            self.durations.append((time.perf_counter() - started, inline(statement, parameters)))

    def slowest(self) -> list[tuple[float, str]]:
        return sorted(self.durations, reverse=True)[:SLOWEST_STATEMENTS]


def inline(statement: str, parameters: Any) -> str:
    """The statement with its positional parameters written in, for EXPLAIN QUERY PLAN by hand."""
    if not isinstance(parameters, (tuple, list)):
        return statement
    text = statement
    for value in parameters:
        text = text.replace("?", sql_literal(value), 1)
    return text


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value) if isinstance(value, bool) else value)


async def measure(path: Path, what: str, profile: Path | None) -> Measurement:
    from sqlalchemy import event, text
    from sqlmodel.ext.asyncio.session import AsyncSession

    from benchmarks.statistics_naive import as_rows, recompute
    from exchange import statistics
    from exchange.statistics import Period
    from storage import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    period = Period(*YEAR, ZoneInfo("Europe/Berlin"))
    async with engine.connect() as connection:  # connect and warm up outside the measurement
        await connection.execute(text("SELECT count(*) FROM users"))
    rss_imports = memory_mb("VmRSS")
    timer = StatementTimer(timed=profile is not None)
    event.listen(engine.sync_engine, "before_cursor_execute", timer.before)
    event.listen(engine.sync_engine, "after_cursor_execute", timer.after)
    profiler = cProfile.Profile() if profile is not None else None
    async with AsyncSession(engine) as session:
        if profiler is not None:
            profiler.enable()
        cpu_started, started = cpu_time(), time.perf_counter()
        if what == "sql":
            result: Any = await statistics.compute(session, period, now=NOW)
        else:
            result = await recompute(session, period, now=NOW)
        seconds, cpu_used = time.perf_counter() - started, cpu_time() - cpu_started
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        peak = memory_mb("VmHWM")
        event.remove(engine.sync_engine, "before_cursor_execute", timer.before)
        event.remove(engine.sync_engine, "after_cursor_execute", timer.after)
        found = None
        if what == "sql":
            figures = as_rows(result)
        else:  # the check runs after the measurement: it counts in neither time nor peak
            figures = as_rows(await statistics.compute(session, period, now=NOW))
            found = differences(figures, result)
    await engine.dispose()
    return Measurement(
        what=what,
        volunteers=0,
        requests=0,
        seconds=seconds,
        cpu_seconds=cpu_used,
        rss_after_imports_mb=rss_imports,
        peak_rss_mb=peak,
        statements=timer.count,
        checksum=checksum(figures),
        differences=found,
        slowest=timer.slowest(),
    )


def measure_in_subprocess(
    path: Path, what: str, volunteers: int, requests: int, profile: Path | None = None
) -> Measurement:
    command = [sys.executable, "-m", "benchmarks.statistics", "--measure", str(path)]
    command += ["--what", what]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{done.stdout}\n{done.stderr}")
    values = json.loads(done.stdout.strip().splitlines()[-1])
    values["slowest"] = [tuple(pair) for pair in values["slowest"]]
    return replace(Measurement(**values), volunteers=volunteers, requests=requests)


# --- the report -------------------------------------------------------------------------------------


HEADER = (
    f"{'what':<6} {'volunteers':>10} {'requests':>8} {'seconds':>8} {'cpu s':>7} {'peak MB':>7} "
    f"{'base MB':>7} {'SQL stmts':>9} {'figures':>16}"
)


def row(m: Measurement) -> str:
    return (
        f"{m.what:<6} {m.volunteers:>10,} {m.requests:>8,} {m.seconds:>8.2f} {m.cpu_seconds:>7.2f} "
        f"{m.peak_rss_mb:>7.0f} {m.rss_after_imports_mb:>7.0f} {m.statements:>9,} {m.checksum:>16}"
    )


def median(runs: list[Measurement]) -> Measurement:
    """The run with the median time, carrying the highest peak memory of all runs."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return replace(middle, peak_rss_mb=max(run.peak_rss_mb for run in runs))


def print_profile(
    path: Path, slowest: list[tuple[float, str]], database: Path, top: int = 15
) -> None:
    stream = io.StringIO()
    pstats.Stats(str(path), stream=stream).strip_dirs().sort_stats("cumulative").print_stats(top)
    print("\n".join(stream.getvalue().splitlines()[4:]))
    print("slowest SQL statements (seconds to the first row) and SQLite's plan for them:")
    for seconds, statement in slowest:
        print(f"--- {seconds:.2f} s: {' '.join(statement.split())[:STATEMENT_SHOWN]} ...")
        print(explain(database, statement))


def explain(database: Path, statement: str) -> str:
    import sqlite3

    with sqlite3.connect(database) as connection:
        try:
            plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
        except sqlite3.Error as error:
            return f"(no plan: {error})"
    return "\n".join(f"  {'  ' * min(parent, 1)}{detail}" for _id, parent, _unused, detail in plan)


def print_introduction(volunteers: int, requests: int, repeat: int) -> None:
    print(
        f"Statistics benchmark: the figures of {YEAR[0].year} for {volunteers:,} volunteers and "
        f"{requests:,} requests ({WEEKS} weeks up to {NOW:%Y-%m-%d %H:%M} UTC), SQLite"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}, load average {load()}"
    )
    print(
        "sql = exchange.statistics.compute() (aggregates in SQL), full size and half, each "
        f"{repeat} times; naive = benchmarks.statistics_naive.recompute() (every row counted in "
        "Python), full size once, its figures then compared with the SQL ones; each run in a fresh "
        "subprocess; the goal and the growth compare the median runs (with the highest peak memory)"
    )
    print(
        "seconds = wall time of the call; cpu s = CPU time it used; peak MB = peak RSS (VmHWM) of "
        "that subprocess (interpreter and imports included); base MB = its RSS before the call; "
        "figures = a hash of the SQL figures"
    )
    print()


def measure_size(
    workdir: Path, volunteers: int, requests: int, repeat: int, naive: int, profile: bool
) -> tuple[Path, list[Measurement], list[Measurement], Path | None]:
    """Generate one size, then measure it; prints a row per run."""
    path = workdir / f"{volunteers}-{requests}.db"
    started = time.perf_counter()
    written = asyncio.run(generate(path, volunteers, requests))
    generated = time.perf_counter() - started
    stats = workdir / "compute.prof" if profile else None
    sql: list[Measurement] = []
    for number in range(repeat):
        sql.append(
            measure_in_subprocess(path, "sql", volunteers, requests, stats if number == 0 else None)
        )
        note = ""
        if number == 0:
            note = (
                f"   (data generated in {generated:.1f} s: {written['help_requests']:,} requests, "
                f"{written['matches']:,} offers)"
            )
        print(row(sql[-1]) + note, flush=True)
    plain: list[Measurement] = []
    for _ in range(naive):
        plain.append(measure_in_subprocess(path, "naive", volunteers, requests))
        print(row(plain[-1]), flush=True)
    return path, sql, plain, stats


def run(volunteers: int, requests: int, repeat: int, naive: int, profile: bool) -> bool:
    half = (volunteers // 2, requests // 2)
    print_introduction(volunteers, requests, repeat)
    with tempfile.TemporaryDirectory(prefix="bench-statistics-") as tmp:
        workdir = Path(tmp)
        print(HEADER, flush=True)
        path, half_runs, _none, _stats = measure_size(workdir, *half, repeat, 0, False)
        path.unlink()
        path, full_runs, naive_runs, stats = measure_size(
            workdir, volunteers, requests, repeat, naive, profile
        )
        if stats is not None:
            print()
            print("profile of a full-size SQL run (cProfile, sorted by cumulative time):")
            print_profile(stats, full_runs[0].slowest, path)
    full, smaller = median(full_runs), median(half_runs)
    print()
    if len({run.checksum for run in [*full_runs, *naive_runs]}) > 1:
        print(f"runs of the same data counted differently: {[r.checksum for r in full_runs]}")
    growth = full.seconds / smaller.seconds if smaller.seconds else float("inf")
    memory_growth = (full.peak_rss_mb - full.rss_after_imports_mb) / max(
        1.0, smaller.peak_rss_mb - smaller.rss_after_imports_mb
    )
    print(
        f"growth for twice the data (sql): time x{growth:.2f}, memory above the base "
        f"x{memory_growth:.2f} (x2.00 is linear)"
    )
    agree = True
    if naive_runs:
        plain = median(naive_runs)
        ratio = plain.seconds / full.seconds if full.seconds else float("inf")
        print(
            f"naive / sql: time x{ratio:.1f} ({plain.seconds:.2f} s / {full.seconds:.2f} s), "
            f"peak memory x{plain.peak_rss_mb / full.peak_rss_mb:.1f} "
            f"({plain.peak_rss_mb:.0f} MB / {full.peak_rss_mb:.0f} MB)"
        )
        found = plain.differences or []
        agree = not found
        if agree:
            print(
                "figures: the SQL figures equal the naive recount in every table, row and column "
                f"(medians within {MEDIAN_TOLERANCE} h)"
            )
        else:
            print(f"figures: {len(found)} differ between the SQL figures and the naive recount:")
            for difference in found[:SHOWN_DIFFERENCES]:
                print(f"  {difference}")
    time_ok, memory_ok = full.seconds < GOAL_SECONDS, full.peak_rss_mb < GOAL_MB
    scope = (
        "" if (volunteers, requests) == FULL else f" (the goal is set for {FULL[0]:,}/{FULL[1]:,})"
    )
    verdict = "PASS" if time_ok and memory_ok else "FAIL"
    print(
        f"{verdict}: sql for {volunteers:,} volunteers and {requests:,} requests{scope}: under "
        f"{GOAL_SECONDS:.0f} s {'met' if time_ok else 'NOT met'} ({full.seconds:.2f} s), under "
        f"{GOAL_MB:.0f} MB {'met' if memory_ok else 'NOT met'} ({full.peak_rss_mb:.0f} MB); "
        f"load average now {load()}"
    )
    return time_ok and memory_ok and agree


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.statistics",
        description="Time and peak memory of a year's figures in SQL, beside a plain Python recount.",
    )
    parser.add_argument("--volunteers", type=int, help=f"default {FULL[0]:,}")
    parser.add_argument("--requests", type=int, help=f"default {FULL[1]:,}")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK[0]:,} volunteers and {QUICK[1]:,} requests"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="SQL runs of each size; the median run counts"
    )
    parser.add_argument(
        "--repeat-naive", type=int, default=1, help="naive runs of the full size (0: none)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile a full-size SQL run, time its statements"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--what", choices=("sql", "naive"), default="sql", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    default = QUICK if args.quick else FULL
    args.volunteers = default[0] if args.volunteers is None else args.volunteers
    args.requests = default[1] if args.requests is None else args.requests
    if args.volunteers < 2 or args.requests < 2 or args.repeat < 1 or args.repeat_naive < 0:
        parser.error("use --volunteers >= 2, --requests >= 2, --repeat >= 1, --repeat-naive >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    log_quietly()
    tune_garbage_collector()  # as `ehrenamt run` does
    if args.measure is not None:
        result = asyncio.run(measure(args.measure, args.what, args.profile_to))
        print(json.dumps(asdict(result)))
        return 0
    passed = run(args.volunteers, args.requests, args.repeat, args.repeat_naive, args.profile)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
