"""What the load benchmark reports: one row per run, the knee, the goal and the ratio against the
same run's text-only baseline (see `benchmarks.load`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.newsletter import Delivered

MIXED, TEXT_ONLY = "mixed", "text-only"
GOAL_PEOPLE = 150
GOAL_P99 = 0.5  # seconds
KNEE_P99 = 1.0  # seconds: the knee is the first people count above this
DEFAULT_BUDGET = 30.0  # messages per second, the bot's default and Telegram's limit
NAMES = {"ptb": "python-telegram-bot", "aiogram": "aiogram"}


@dataclass(frozen=True)
class Result:
    framework: str
    people: int
    mode: str  # MIXED or TEXT_ONLY
    budget: float  # messages per second: the bot's setting and the stand-in's limit
    seconds: float  # the measured period
    latencies: list[float] = field(default_factory=list)  # sorted, seconds
    presses: int = 0  # of the replies measured, answers to a button press
    lost: int = 0  # actions in the measured period whose reply never came
    pushes: int = 0  # push messages the stand-in accepted in the measured period
    pushes_total: int = 0  # ... from the bot's start until it was stopped
    pushes_due: int = 0  # seeded due messages
    too_many_requests: int = 0  # 429s from the bot's start until it was stopped
    bot_cpu: float | None = None  # CPU seconds of the bot in the measured period
    driver_cpu: float = 0.0  # CPU seconds of this process (stand-in and people) in it
    error: str | None = None  # why the run failed
    stop_error: str | None = None  # the first error the bot logged while it was stopped
    delivered: Delivered | None = (
        None  # the newsletter as the stand-in received it (--push newsletter)
    )

    @property
    def extra(self) -> bool:
        return self.budget != DEFAULT_BUDGET

    def percentile(self, share: float) -> float:
        """Nearest rank; a lost reply counts as infinitely late."""
        count = len(self.latencies) + self.lost
        if count == 0:
            return math.nan
        rank = max(1, math.ceil(share * count))
        return self.latencies[rank - 1] if rank <= len(self.latencies) else math.inf

    @property
    def p99(self) -> float:
        return self.percentile(0.99) if self.error is None else math.inf


HEADER = (
    f"{'people':>6} {'mode':<22} {'replies':>7} {'rep/s':>6} {'press':>5} {'p50 s':>6} "
    f"{'p95 s':>6} {'p99 s':>6} {'max s':>6} {'lost':>4} {'pushes':>6} {'push/s':>6} "
    f"{'429s':>4} {'bot cpu':>7} {'drv cpu':>7}"
)


def seconds(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "inf" if math.isinf(value) else f"{value:.3f}"


def percent(cpu: float | None, wall: float) -> str:
    return "n/a" if cpu is None else f"{100 * cpu / wall:.0f}%"


def mode_label(result: Result) -> str:
    if not result.extra:
        return result.mode
    return f"{result.mode} @{result.budget:g}/s EXTRA"


def row(result: Result) -> str:
    start = f"{result.people:>6} {mode_label(result):<22}"
    if result.error is not None:
        return f"{start} FAILED: {result.error}"
    replies = len(result.latencies)
    return (
        f"{start} {replies:>7} {replies / result.seconds:>6.1f} {result.presses:>5} "
        f"{seconds(result.percentile(0.50)):>6} {seconds(result.percentile(0.95)):>6} "
        f"{seconds(result.p99):>6} {seconds(result.percentile(1.0)):>6} {result.lost:>4} "
        f"{result.pushes:>6} {result.pushes / result.seconds:>6.1f} "
        f"{result.too_many_requests:>4} {percent(result.bot_cpu, result.seconds):>7} "
        f"{percent(result.driver_cpu, result.seconds):>7}"
    )


def find(
    results: Sequence[Result], framework: str, people: int, mode: str, budget: float
) -> Result | None:
    return next(
        (
            r
            for r in results
            if (r.framework, r.people, r.mode, r.budget) == (framework, people, mode, budget)
        ),
        None,
    )


def knee(results: Sequence[Result], framework: str, mode: str) -> str:
    """The first people count whose p99 exceeds a second, at the default budget."""
    runs = sorted(
        (r for r in results if r.framework == framework and r.mode == mode and not r.extra),
        key=lambda r: r.people,
    )
    for result in runs:
        if result.p99 > KNEE_P99:
            return f"{result.people} people (p99 {seconds(result.p99)} s)"
    most = runs[-1].people if runs else 0
    return f"above {most} people (p99 <= {KNEE_P99:g} s up to {most})"


def summary(results: Sequence[Result], frameworks: Sequence[str]) -> list[str]:
    """The knees, the ratio against the baseline at the goal's people count, and the verdict."""
    lines = [f"knee (first people count whose p99 > {KNEE_P99:g} s), {DEFAULT_BUDGET:g} msg/s:"]
    for framework in frameworks:
        lines.append(
            f"  {NAMES[framework]:<20} mixed: {knee(results, framework, MIXED)}; "
            f"text-only: {knee(results, framework, TEXT_ONLY)}"
        )
    lines.append(f"ratio at {GOAL_PEOPLE} people, mixed p99 / text-only p99 (same run):")
    verdicts: list[bool] = []
    for framework in frameworks:
        mixed = find(results, framework, GOAL_PEOPLE, MIXED, DEFAULT_BUDGET)
        text = find(results, framework, GOAL_PEOPLE, TEXT_ONLY, DEFAULT_BUDGET)
        if mixed is None or text is None:
            lines.append(f"  {NAMES[framework]:<20} not measured at {GOAL_PEOPLE} people")
            verdicts.append(False)
            continue
        ratio = mixed.p99 / text.p99 if text.p99 and math.isfinite(text.p99) else math.nan
        lines.append(
            f"  {NAMES[framework]:<20} {seconds(mixed.p99)} s / {seconds(text.p99)} s = "
            f"{'n/a' if math.isnan(ratio) else f'{ratio:.2f}'}"
        )
        verdicts.append(mixed.p99 < GOAL_P99)
    met = bool(verdicts) and all(verdicts)
    lines.append(
        f"goal (p99 < {GOAL_P99:g} s at {GOAL_PEOPLE} people, mixed, {DEFAULT_BUDGET:g} msg/s, "
        f"both frameworks): {'met' if met else 'NOT met'}"
    )
    stopping = [r for r in results if r.stop_error is not None]
    if stopping:
        lines.append(
            f"logged while stopping (SIGTERM after the measurement), {len(stopping)} of "
            f"{len(results)} runs, first: {stopping[0].stop_error}"
        )
    return lines
