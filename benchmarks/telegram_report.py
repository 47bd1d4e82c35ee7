"""What the Telegram benchmark reports: one row per run, the medians, the ratio against the goal,
and where the full stack's time goes when profiled (see `benchmarks.telegram`)."""

from __future__ import annotations

import importlib
import os
import pstats
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.5
BOTS = {"echo": "echo", "full": "full stack"}
OUR_CODE = tuple(
    str(ROOT / package) + os.sep
    for package in (
        "bot",
        "handlers",
        "push",
        "vocabulary",
        "engine",
        "exchange",
        "matching",
        "storage",
    )
)


@dataclass(frozen=True)
class Result:
    framework: str
    bot: str
    updates: int
    seconds: float
    bot_cpu: float | None  # CPU seconds of the bot process during the measurement
    driver_cpu: float  # CPU seconds of this process (stand-in and people)
    error: str | None = None  # why the measurement failed

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


def percent(cpu: float | None, seconds: float) -> str:
    return "n/a" if cpu is None else f"{100 * cpu / seconds:.0f}%"


def row(result: Result) -> str:
    start = f"{result.framework:<10} {BOTS[result.bot]:<12}"
    if result.error is not None:
        return f"{start} FAILED: {result.error}"
    cpu_ms = "n/a" if result.bot_cpu is None else f"{1000 * result.bot_cpu / result.updates:.2f}"
    return (
        f"{start} {result.updates:>7} {result.seconds:>8.2f} {result.rate:>10.1f} "
        f"{percent(result.bot_cpu, result.seconds):>8} {cpu_ms:>12} "
        f"{percent(result.driver_cpu, result.seconds):>10}"
    )


HEADER = (
    f"{'framework':<10} {'bot':<12} {'updates':>7} {'seconds':>8} {'updates/s':>10} "
    f"{'bot cpu':>8} {'cpu ms/upd':>12} {'driver cpu':>10}"
)


def median(runs: list[Result]) -> Result:
    """The run with the median rate (the first failed one, if a run failed)."""
    failed = [result for result in runs if result.error is not None]
    if failed:
        return failed[0]
    return sorted(runs, key=lambda result: result.rate)[len(runs) // 2]


def ratio_line(framework: str, echo: Result, full: Result) -> tuple[str, bool]:
    if echo.error is not None or full.error is not None:
        return f"{framework:<10} ratio full/echo: n/a, a run failed: goal NOT met", False
    ratio = full.rate / echo.rate
    met = ratio >= GOAL
    line = f"{framework:<10} ratio of the medians, full/echo: {ratio:.2f} (goal >= {GOAL:.2f}): "
    line += "goal met" if met else "goal NOT met"
    if echo.bot_cpu and full.bot_cpu:
        per_update = (echo.bot_cpu / echo.updates) / (full.bot_cpu / full.updates)
        line += f"; by bot CPU per update: {per_update:.2f}"
    return line, met


Entry = tuple[str, int, str]  # file, first line, function


def profile_entries(path: Path) -> tuple[str, dict[Entry, list[float]]]:
    """Which profiler ran, and per function [own seconds, cumulative seconds] in the bot."""
    sampled = path.with_suffix(".pyisession")
    if not sampled.exists():
        stats: Any = pstats.Stats(str(path.with_suffix(".prof")))
        # (file, line, function) -> (primitive calls, calls, own time, cumulative time, callers)
        return "cProfile", {key: [value[2], value[3]] for key, value in stats.stats.items()}
    session = importlib.import_module("pyinstrument.session").Session.load(str(sampled))
    entries: dict[Entry, list[float]] = {}
    active: dict[Entry, int] = {}

    def walk(frame: Any) -> None:
        if frame.is_synthetic:  # "[self]" leaves; their time is the parent's total_self_time
            return
        key = (frame.file_path or "", frame.line_no or 0, frame.function or "")
        entry = entries.setdefault(key, [0.0, 0.0])
        entry[0] += frame.total_self_time
        if not active.get(key):  # count recursion once
            entry[1] += frame.time
        active[key] = active.get(key, 0) + 1
        for child in frame.children:
            walk(child)
        active[key] -= 1

    walk(session.root_frame())
    return "pyinstrument", entries


def print_profile(path: Path, top: int = 10) -> None:
    profiler, entries = profile_entries(path)
    total = sum(own for own, _cumulative in entries.values()) or 1.0

    def show(title: str, chosen: list[tuple[Entry, list[float]]]) -> None:
        print(f"  {title}")
        print(f"  {'own s':>7} {'cum s':>7} {'cum %':>6}  function")
        for (file, line, function), (own, cumulative) in chosen[:top]:
            where = os.path.relpath(file, ROOT) if file.startswith(str(ROOT)) else file
            where = where.split("site-packages" + os.sep)[-1]
            print(
                f"  {own:>7.2f} {cumulative:>7.2f} {100 * cumulative / total:>5.1f}%"
                f"  {where}:{line}({function})"
            )

    print(f"  {profiler}, {total:.2f} s in the measured window")
    if profiler == "cProfile":
        print("  (cumulative times are inflated by greenlet switches; pyinstrument is exact)")
    ours = [(key, value) for key, value in entries.items() if key[0].startswith(OUR_CODE)]
    show("our code by cumulative time:", sorted(ours, key=lambda item: -item[1][1]))
    show("everything by own time:", sorted(entries.items(), key=lambda item: -item[1][0]))


def load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"
