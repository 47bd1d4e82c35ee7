"""One measurement of the matching benchmark, in a fresh process: plan every offer, then claim and
compose every digest, with wall and CPU time, SQL statements, peak memory and a checksum of what
was planned (see `benchmarks.matching`)."""

from __future__ import annotations

import cProfile
import hashlib
import resource
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from synthetic.towns import DIGEST_AT, NOW

COMPOSE_BATCH = 1_000  # due rows claimed at a time (and all of their recipients' rows)
RENDER_SAMPLE = 1_000
RENDER_STRIDE = 20  # every 20th message is rendered, up to RENDER_SAMPLE


@dataclass
class Measurement:
    volunteers: int
    requests: int
    plan_seconds: float
    compose_seconds: float
    cpu_seconds: float  # user + system CPU time of plan + compose, all threads
    statements: int  # SQL statements plan + compose sent (an executemany counts once)
    rss_after_imports_mb: float
    peak_rss_mb: float
    offers: int
    rounds_started: int
    exhausted: int
    expired: int
    users_composed: int
    messages: int
    digests: int
    render_sample: int
    render_seconds: float  # for the sample
    deliveries: dict[str, int]
    checksum: str  # of every planned offer and delivery: equal runs planned exactly the same

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.compose_seconds

    @property
    def render_estimate(self) -> float:
        """Rendering every composed message, extrapolated from the sample."""
        return self.render_seconds * self.messages / self.render_sample if self.render_sample else 0


def cpu_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def memory_mb(field: str) -> float:
    """`VmHWM` (peak) or `VmRSS` (now) of this process image, in MB.

    Not `ru_maxrss`: Linux carries the parent's peak over into a child it starts, and the parent
    here held the generated data.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(
    database_url: str, volunteers: int, requests: int, profile: Path | None
) -> Measurement:
    from sqlmodel import func, select

    from engine.i18n import Translator
    from engine.types import Reply
    from push.compose import Cards, compose_all
    from push.deliver import by_recipient
    from push.plan import plan
    from storage.db import create_engine, make_sessionmaker
    from storage.models import Delivery, User
    from storage.outbox import claim_due, mark_sent
    from town.deployment import DEFAULT_DEPLOYMENT, load_deployment

    deployment = load_deployment(DEFAULT_DEPLOYMENT)
    translator = Translator()
    engine = create_engine(database_url)
    sessions = make_sessionmaker(engine)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    async with sessions() as session:  # connect and warm up outside the measurement
        await session.exec(select(func.count()).select_from(User))
    rss_imports = memory_mb("VmRSS")
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    profiler = cProfile.Profile() if profile is not None else None
    if profiler is not None:
        profiler.enable()

    cpu_started, started = cpu_time(), time.perf_counter()
    async with sessions() as session, session.begin():
        report = await plan(session, deployment, NOW)
    planned = time.perf_counter()

    messages, digests, users = 0, 0, 0
    built = Cards(deployment)
    sample: list[Reply] = []  # spread over everyone, not just the first users
    stride = RENDER_STRIDE
    while rows := await claim_due(
        sessions, worker="bench", now=DIGEST_AT, lease=timedelta(hours=1), limit=COMPOSE_BATCH
    ):
        recipients = by_recipient(rows)
        users += len(recipients)
        async with sessions() as session:
            messages_of = await compose_all(session, deployment, recipients, built)
        # Sending is not measured; marking the batch sent is, as deliver_due does after sending.
        await mark_sent(
            sessions, [delivery.id for delivery, _user in rows], DIGEST_AT, worker="bench"
        )
        for (_user, deliveries), replies in zip(recipients, messages_of, strict=True):
            digests += sum(d.kind == "offer" for d in deliveries) > 1
            for reply, _ids in replies:
                if reply is None:
                    continue
                messages += 1
                if messages % stride == 0 and len(sample) < RENDER_SAMPLE:
                    sample.append(reply)
    composed, cpu_used = time.perf_counter(), cpu_time() - cpu_started
    event.remove(engine.sync_engine, "before_cursor_execute", count)
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(profile)

    render_started = time.perf_counter()
    for reply in sample:
        translator.render(reply.text, reply.language)
        for row in reply.buttons:
            for button in row:
                translator.render(button.label, reply.language)
    render_seconds = time.perf_counter() - render_started

    async with sessions() as session:
        kinds = (
            await session.exec(select(Delivery.kind, func.count()).group_by(Delivery.kind))
        ).all()
        checksum = await planned_checksum(session)
    await engine.dispose()
    return Measurement(
        volunteers=volunteers,
        requests=requests,
        plan_seconds=planned - started,
        compose_seconds=composed - planned,
        cpu_seconds=cpu_used,
        statements=statements,
        rss_after_imports_mb=rss_imports,
        peak_rss_mb=memory_mb("VmHWM"),
        offers=report.offers,
        rounds_started=report.rounds_started,
        exhausted=report.exhausted,
        expired=report.expired,
        users_composed=users,
        messages=messages,
        digests=digests,
        render_sample=len(sample),
        render_seconds=render_seconds,
        deliveries={kind: int(count) for kind, count in kinds},
        checksum=checksum,
    )


async def planned_checksum(session: Any) -> str:
    """A digest of what planning decided: every match (request, volunteer, round, state) and every
    delivery (recipient, kind, what it is about, due time), sorted, with offers named by request
    and volunteer rather than by row id. Two runs on the same data print the same checksum exactly
    when they planned the same offers for the same people at the same moments."""
    matches = (
        await session.exec(text("SELECT id, request_id, profile_id, round, state FROM matches"))
    ).all()
    by_id = {row[0]: (row[1], row[2]) for row in matches}
    deliveries = (
        await session.exec(text("SELECT key, user_id, kind, subject_id, due_at FROM deliveries"))
    ).all()
    planned = sorted(repr(tuple(row[1:])) for row in matches)
    planned += sorted(
        repr(
            (
                user,
                kind,
                by_id.get(subject) if kind == "offer" else subject,
                key.partition("#")[2],
                due,
            )
        )
        for key, user, kind, subject, due in deliveries
    )
    return hashlib.sha256("\n".join(planned).encode()).hexdigest()[:16]
