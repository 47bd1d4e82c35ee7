"""The load benchmark's newsletter push (`python -m benchmarks.load --push newsletter`, `make
bench-newsletter`): a newsletter to 3,000 people over the Bot API stand-in with Telegram's limits
on, all delivered once, no 429, and replies to people writing meanwhile still fast.

`benchmarks.sender.seed(..., push=NEWSLETTER)` seeds `--pushes` readers (consent, a role, Bingen,
languages German, English, Arabic and Turkish in turn) and a coordinator who wrote one newsletter
to everyone in Bingen, scheduled for now, in German, English and Arabic (Turkish readers get the
German one). The people acting in the load benchmark live in Bingen too, so they read it as well:
each of them gets it between the replies they wait for, which share their chat's one message a
second. The bot's first scheduled run after it starts plans it (one delivery per reader) and sends
it at the rate budget while the people act and are measured (`benchmarks.load_run`).

After the measured period, `drain` waits (at most `--drain-timeout` seconds from the bot's start)
until every reader's chat holds the newsletter and the author got the bot's count of readers
reached, which it sends only once every delivery is marked sent; then `delivered` counts, per chat
at the stand-in, the newsletter messages: missing, more than once, or in the wrong language.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.load_report import GOAL_P99, MIXED, NAMES, TEXT_ONLY, Result, seconds
from benchmarks.sender import AUTHOR_CHAT, FIRST_CHAT, newsletter_text, reader_language
from vocabulary.actions import STOP_NEWS

if TYPE_CHECKING:
    from tests.standin import BotApiStandin
    from tests.standin.botapi import BotMessage

REPORT_MARK = "📣"  # the author's count of readers reached, once every delivery was sent
GRACE = 3.0  # seconds waited after the report, for a late duplicate to show


def is_newsletter(markup: Any) -> bool:
    """Whether a message's inline keyboard holds the newsletter's "stop" button."""
    rows = markup.get("inline_keyboard") or [] if isinstance(markup, dict) else []
    return any(str(b.get("callback_data", "")).startswith(STOP_NEWS) for r in rows for b in r)


def newsletters_in(standin: BotApiStandin, chat_id: int) -> list[BotMessage]:
    return [m for m in standin.chat(chat_id).messages if is_newsletter(m.reply_markup)]


def readers(pushes: int, people: Iterable[int]) -> dict[int, str]:
    """Every reader's chat and the version they should get: the seeded readers (languages in
    turn), the people acting (German) and the author (German)."""
    expected = {
        FIRST_CHAT + number: newsletter_text(reader_language(number)) for number in range(pushes)
    }
    expected |= {chat: newsletter_text("de") for chat in (*people, AUTHOR_CHAT)}
    return expected


@dataclass(frozen=True)
class Delivered:
    """The newsletter as the stand-in received it."""

    readers: int  # chats that should get it once
    once: int  # chats that got it exactly once, in their version
    missing: int  # chats that did not get it
    duplicates: int  # chats that got it more than once
    wrong: int  # chats that got another language's version
    others: int  # other messages to the seeded readers (they are sent nothing else)
    first: float | None  # seconds from the bot's start to the first newsletter message accepted
    drain: float | None  # ... to the last one
    report: str | None  # the author's count of readers reached (None: not within the timeout)

    @property
    def complete(self) -> bool:
        return self.once == self.readers and not (self.missing or self.duplicates or self.wrong)


def delivered(
    standin: BotApiStandin,
    expected: dict[int, str],
    sent: Sequence[float],
    start: float,
    pushes: int,
) -> Delivered:
    """Count, per chat, the newsletter messages the stand-in accepted (`sent`: their moments)."""
    counts = {chat: newsletters_in(standin, chat) for chat in expected}
    right = {
        chat: sum(expected[chat] in (m.plain_text or "") for m in found)
        for chat, found in counts.items()
    }
    seeded = range(FIRST_CHAT, FIRST_CHAT + pushes)
    others = sum(len(standin.chat(chat).messages) - len(counts[chat]) for chat in seeded)
    report = [m.plain_text or "" for m in standin.chat(AUTHOR_CHAT).messages if m.plain_text]
    report = [text for text in report if text.startswith(REPORT_MARK)]
    return Delivered(
        readers=len(expected),
        once=sum(len(found) == 1 and right[chat] == 1 for chat, found in counts.items()),
        missing=sum(not found for found in counts.values()),
        duplicates=sum(len(found) > 1 for found in counts.values()),
        wrong=sum(bool(found) and right[chat] < len(found) for chat, found in counts.items()),
        others=others,
        first=min(sent) - start if sent else None,
        drain=max(sent) - start if sent else None,
        report=report[-1] if report else None,
    )


async def drain(standin: BotApiStandin, expected: dict[int, str], deadline: float) -> None:
    """Wait until every reader's chat holds the newsletter and the author got the count of
    readers reached (which comes once every delivery is marked sent), or until `deadline`
    (a `time.perf_counter()` value)."""

    def everyone() -> bool:
        return all(newsletters_in(standin, chat) for chat in expected)

    def reported() -> bool:
        return any(
            (m.plain_text or "").startswith(REPORT_MARK) for m in standin.chat(AUTHOR_CHAT).messages
        )

    for done in (everyone, reported):
        try:
            await standin.wait_until(
                done, timeout=max(0.0, deadline - time.perf_counter()), interval=0.2
            )
        except AssertionError:
            return
    await asyncio.sleep(GRACE)


def passed(result: Result) -> bool:
    found = result.delivered
    return (
        result.error is None
        and found is not None
        and found.complete
        and found.report is not None
        and result.too_many_requests == 0
        and result.lost == 0
        and result.p99 < GOAL_P99
    )


def line(result: Result) -> str:
    """What the stand-in received of the newsletter in one run."""
    found = result.delivered
    if found is None:
        return ""
    drain = "not drained" if found.drain is None else f"{found.drain:.1f} s"
    first = "n/a" if found.first is None else f"{found.first:.1f} s"
    report = found.report.splitlines()[0] if found.report else "none within the timeout"
    return (
        f"{'':>6} newsletter: {found.readers:,} readers, {found.once:,} got it once in their "
        f"version, {found.missing} missing, {found.duplicates} more than once, {found.wrong} "
        f"wrong version, {found.others} other messages to the seeded readers; first after "
        f"{first}, drained after {drain} (from the bot's start); 429s {result.too_many_requests}; "
        f"report to the author: {report}"
    )


def summary(results: Sequence[Result], frameworks: Sequence[str]) -> list[str]:
    """Per framework and people count: the newsletter's delivery, the 429s, the drain time and the
    reply latency of the people acting (mixed) beside the text-only baseline; pass or fail."""
    lines = [
        "newsletter: delivered once to every reader, 429s (bot start to stop), drain time, reply "
        "latency of the people writing meanwhile (mixed) against text-only (same run):"
    ]
    verdicts: list[bool] = []
    for framework in frameworks:
        counts = sorted({r.people for r in results if r.framework == framework and not r.extra})
        for people in counts:
            mixed = _find(results, framework, people, MIXED)
            text = _find(results, framework, people, TEXT_ONLY)
            runs = [r for r in (mixed, text) if r is not None]
            ok = len(runs) == 2 and all(passed(r) for r in runs)
            verdicts.append(ok)
            lines += [f"  {NAMES[framework]}, {people} people: {'PASS' if ok else 'FAIL'}"]
            for r in runs:
                found = r.delivered
                if r.error is not None or found is None:
                    lines.append(f"    {r.mode:<9} FAILED: {r.error}")
                    continue
                drain = "not drained" if found.drain is None else f"{found.drain:.1f} s"
                lines.append(
                    f"    {r.mode:<9} once {found.once:,}/{found.readers:,}, missing "
                    f"{found.missing}, duplicates {found.duplicates}, wrong version {found.wrong}, "
                    f"429s {r.too_many_requests}, drain {drain}, author's report "
                    f"{'yes' if found.report else 'NO'}; replies {len(r.latencies)} (lost "
                    f"{r.lost}) p50 {seconds(r.percentile(0.5))} s p99 {seconds(r.p99)} s"
                )
            if mixed is not None and text is not None:
                ratio = mixed.p99 / text.p99 if text.p99 and math.isfinite(text.p99) else math.nan
                shown = "n/a" if math.isnan(ratio) else f"{ratio:.2f}"
                lines.append(
                    f"    ratio p99 mixed / text-only: {seconds(mixed.p99)} s / "
                    f"{seconds(text.p99)} s = {shown}; p50 {seconds(mixed.percentile(0.5))} s / "
                    f"{seconds(text.percentile(0.5))} s"
                )
    met = bool(verdicts) and all(verdicts)
    lines.append(
        "newsletter verdict (every reader exactly once in their version, the author's report, "
        f"0 429s, no reply lost, reply p99 < {GOAL_P99:g} s in both modes, both frameworks): "
        f"{'PASS' if met else 'FAIL'}"
    )
    return lines


def _find(results: Sequence[Result], framework: str, people: int, mode: str) -> Result | None:
    return next(
        (
            r
            for r in results
            if (r.framework, r.people, r.mode) == (framework, people, mode) and not r.extra
        ),
        None,
    )
