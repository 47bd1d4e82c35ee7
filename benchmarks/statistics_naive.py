"""The agency's figures recomputed the plain way: every row loaded into Python and counted there.

It states the definitions of `exchange.statistics` a second time, independently of its SQL: the
tests check that both agree on demo data, and the statistics benchmark runs it as the baseline.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.statistics import (
    ACCEPTED,
    DECLINE_REASONS,
    DIMENSIONS,
    RETENTION_DAYS,
    TOTAL,
    Figures,
    Period,
)
from storage.models import (
    Feedback,
    HelpRequest,
    Match,
    MatchState,
    RequestStatus,
    StartLinkTally,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerProfile,
)

Rows = dict[tuple[str, ...], dict[str, Any]]


def as_rows(figures: Figures) -> dict[str, Rows]:
    """Figures as plain dictionaries: table -> key -> column -> value."""
    return {
        table.name: {
            key: dict(zip(table.columns, values, strict=True)) for key, values in table.rows
        }
        for table in figures.tables
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 1)


def _month(at: datetime, period: Period) -> str:
    return f"{at.astimezone(period.tz):%Y-%m}"


def _accepted(match: Match) -> datetime | None:
    """When the volunteer accepted (the last answer for matches from before that was kept)."""
    return match.accepted_at or match.answered_at


def _inside(at: datetime | None, period: Period) -> bool:
    return at is not None and period.since <= at < period.until


def _request_row(requests: list[dict[str, Any]]) -> dict[str, Any]:
    waits = [r["wait"] for r in requests if r["wait"] is not None]
    reasons = [r["reason"] for r in requests]
    return {
        "made": len(requests),
        "matched": len(waits),
        "within_24h": sum(1 for wait in waits if wait <= 24),
        "within_72h": sum(1 for wait in waits if wait <= 72),
        **{
            reason: reasons.count(reason)
            for reason in ("no_kind", "nobody_free", "all_declined", "withdrawn", "open")
        },
        "median_hours_to_match": round(stats.median(waits), 1) if waits else None,
        "helps": sum(r["helps"] for r in requests),
        "hours": _number(sum(r["hours"] for r in requests)),
        "feedback_good": sum(r["good"] for r in requests),
        "feedback_problem": sum(r["problem"] for r in requests),
    }


def _grouped(requests: list[dict[str, Any]], parts: tuple[str, ...], months: Iterable[str]) -> Rows:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    if parts == ("month",):
        for month in months:
            groups[(month,)] = []
    for request in requests:
        groups[tuple(request[part] for part in parts)].append(request)
    rows = {key: _request_row(members) for key, members in groups.items()}
    rows[(TOTAL,) * len(parts)] = _request_row(requests)
    return rows


async def recompute(
    session: AsyncSession,
    period: Period,
    *,
    municipalities: frozenset[str] | None = None,
    now: datetime,
) -> dict[str, Rows]:
    """Every table of `exchange.statistics.compute`, counted in Python from all rows."""
    requests = (await session.exec(select(HelpRequest))).all()
    matches = (await session.exec(select(Match))).all()
    profiles = (await session.exec(select(VolunteerProfile))).all()
    categories = (await session.exec(select(VolunteerCategory))).all()
    districts = (await session.exec(select(VolunteerDistrict))).all()

    def wanted(municipality: str) -> bool:
        return municipalities is None or municipality in municipalities

    kinds_of: dict[int, set[str]] = defaultdict(set)
    for category in categories:
        kinds_of[category.profile_id].add(category.category)
    offered: set[tuple[str, str, str]] = set()
    places_of: dict[int, set[str]] = defaultdict(set)
    for place in districts:
        places_of[place.profile_id].add(place.municipality)
        for kind in kinds_of[place.profile_id]:
            offered.add((place.municipality, place.district, kind))
    matches_of: dict[int, list[Match]] = defaultdict(list)
    for match in matches:
        matches_of[match.request_id].append(match)

    months = [label for label, _since, _until in period.months()]
    facts = []
    for request in requests:
        if not _inside(request.created_at, period) or not wanted(request.municipality):
            continue
        own = matches_of[request.id or 0]
        times = [at for m in own if m.state in ACCEPTED and (at := _accepted(m)) is not None]
        matched_at = min(times) if times else None
        declined = sum(1 for m in own if m.state == MatchState.DECLINED)
        if matched_at is not None:
            reason = "matched"
        elif request.status == RequestStatus.CANCELLED:
            reason = "withdrawn"
        elif request.status == RequestStatus.OPEN and not request.exhausted:
            reason = "open"
        elif own and declined == len(own):
            reason = "all_declined"
        elif (request.municipality, request.district, request.category) not in offered:
            reason = "no_kind"
        else:
            reason = "nobody_free"
        done = [m for m in own if m.state == MatchState.DONE]
        facts.append(
            {
                "month": _month(request.created_at, period),
                "municipality": request.municipality,
                "district": request.district,
                "kind": request.category,
                "language": request.language,
                "reason": reason,
                "wait": (matched_at - request.created_at).total_seconds() / 3600
                if matched_at
                else None,
                "helps": len(done),
                "hours": sum(m.hours or 0.0 for m in done),
                "good": sum(1 for m in own if m.seeker_feedback == Feedback.GOOD),
                "problem": sum(1 for m in own if m.seeker_feedback == Feedback.PROBLEM),
            }
        )
    tables = {
        f"requests_by_{dimension}": _grouped(facts, parts, months)
        for dimension, parts in DIMENSIONS.items()
    }

    ours = [p for p in profiles if municipalities is None or places_of[p.id or 0] & municipalities]
    ours_ids = {p.id for p in ours}
    taken = [
        m
        for m in matches
        if m.state in ACCEPTED and m.profile_id in ours_ids and _inside(_accepted(m), period)
    ]
    volunteers: Rows = {(month,): {"new": 0, "active": 0} for month in months}
    active: dict[str, set[int]] = defaultdict(set)
    for match in taken:
        at = _accepted(match)
        assert at is not None
        active[_month(at, period)].add(match.profile_id)
    for profile in ours:
        if _inside(profile.created_at, period):
            volunteers[(_month(profile.created_at, period),)]["new"] += 1
    for month, people in active.items():
        volunteers[(month,)]["active"] = len(people)
    volunteers[(TOTAL,)] = {
        "new": sum(row["new"] for row in volunteers.values()),
        "active": len({m.profile_id for m in taken}),
    }
    tables["volunteers_by_month"] = volunteers

    accepted_at: dict[int, list[datetime]] = defaultdict(list)
    for match in matches:
        at = _accepted(match)
        if match.state in ACCEPTED and at is not None:
            accepted_at[match.profile_id].append(at)
    retention: Rows = {}
    for profile in ours:
        if not _inside(profile.created_at, period):
            continue
        for key in ((_month(profile.created_at, period),), (TOTAL,)):
            row = retention.setdefault(key, dict.fromkeys(("joined", *_retention_columns()), 0))
            row["joined"] += 1
            for days in RETENTION_DAYS:
                after = timedelta(days=days)
                if now - profile.created_at >= after:
                    row[f"due_{days // 30}_months"] += 1
                    if any(at - profile.created_at >= after for at in accepted_at[profile.id or 0]):
                        row[f"active_{days // 30}_months"] += 1
    retention.setdefault((TOTAL,), dict.fromkeys(("joined", *_retention_columns()), 0))
    tables["retention"] = retention

    municipality_of = {r.id: r.municipality for r in requests}
    declines: Rows = {(month,): dict.fromkeys((*DECLINE_REASONS, "total"), 0) for month in months}
    for match in matches:
        if match.state != MatchState.DECLINED or not _inside(match.offered_at, period):
            continue
        if not wanted(municipality_of[match.request_id]):
            continue
        said = match.decline_reason if match.decline_reason in DECLINE_REASONS else "unsaid"
        row = declines[(_month(match.offered_at, period),)]
        row[said or "unsaid"] += 1
        row["total"] += 1
    declines[(TOTAL,)] = {
        column: sum(row[column] for row in declines.values())
        for column in (*DECLINE_REASONS, "total")
    }
    tables["declines_by_month"] = declines

    links: Rows = {}
    for tally in (await session.exec(select(StartLinkTally))).all():
        inside = period.start <= tally.day <= period.end
        if inside and (municipalities is None or tally.municipality in municipalities):
            for key in ((tally.code,), (TOTAL,)):
                row = links.setdefault(key, {"link_opened": 0, "link_joined": 0})
                row["link_opened"] += tally.opened
                row["link_joined"] += tally.joined
    links.setdefault((TOTAL,), {"link_opened": 0, "link_joined": 0})
    tables["start_links"] = links
    return tables


def _retention_columns() -> tuple[str, ...]:
    return tuple(
        name
        for days in RETENTION_DAYS
        for name in (f"due_{days // 30}_months", f"active_{days // 30}_months")
    )
