"""The agency's figures for a period: requests and what became of them, hours given, volunteers
new, active and staying, declines by reason, by month, district, kind of help and language.

Every figure is an aggregate computed in SQL, so a year of a whole town is counted without
loading its rows. What is published passes `published`, which hides counts under five: a
figure that small could point to a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Float, and_, case, literal, or_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import func
from sqlmodel.ext.asyncio.session import AsyncSession

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
    table_of,
)
from storage.types import UTCDateTime

# Counts under this are published as "< 5" (see `published`).
SMALL = 5
# A match was made when a volunteer accepted; the help may later be done, missed or cancelled.
ACCEPTED = (MatchState.ACCEPTED, MatchState.DONE, MatchState.MISSED, MatchState.CANCELLED)
# A volunteer still takes part after three (six) months when they accept an offer after that.
RETENTION_DAYS = (90, 180)

# What became of a request that found nobody (the columns of the request tables, in order).
UNMATCHED = ("no_kind", "nobody_free", "all_declined")
REQUEST_COLUMNS = (
    "made",
    "matched",
    "within_24h",
    "within_72h",
    *UNMATCHED,
    "withdrawn",
    "open",
    "median_hours_to_match",
    "helps",
    "hours",
    "feedback_good",
    "feedback_problem",
)
VOLUNTEER_COLUMNS = ("new", "active")
RETENTION_COLUMNS = ("joined", "due_3_months", "active_3_months", "due_6_months", "active_6_months")
DECLINE_REASONS = ("no_time", "too_far", "not_my_kind", "booked", "unsaid")
DECLINE_COLUMNS = (*DECLINE_REASONS, "total")
START_LINK_COLUMNS = ("link_opened", "link_joined")
# Figures that are not counts of people or requests: shown as they are, or hidden with their base.
DERIVED = {"median_hours_to_match": "matched", "hours": "helps"}
TOTAL = "all"


class HoursBetween(FunctionElement[float]):
    """Hours from `start` to `end`, both UTC timestamps (SQLite and PostgreSQL spell it apart)."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(HoursBetween, "sqlite")
def _hours_sqlite(element: HoursBetween, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(HoursBetween, "postgresql")
def _hours_postgresql(element: HoursBetween, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included, in the deployment's time zone."""

    start: date
    end: date
    tz: ZoneInfo

    def instant(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def since(self) -> datetime:
        return self.instant(self.start)

    @property
    def until(self) -> datetime:
        return self.instant(self.end + timedelta(days=1))

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """Each calendar month the period touches: its label ("2026-03") and its UTC bounds,
        cut to the period."""
        months = []
        first = self.start.replace(day=1)
        while first <= self.end:
            following = (first + timedelta(days=32)).replace(day=1)
            since = max(self.since, self.instant(first))
            until = min(self.until, self.instant(following))
            months.append((f"{first:%Y-%m}", since, until))
            first = following
        return months


Value = int | float | None
Shown = int | float | str | None


@dataclass(frozen=True)
class Table:
    """Rows of figures: each row a key (a month, a district, ...) and a value per column; the
    last row, keyed `TOTAL`, is the whole period."""

    name: str
    keys: tuple[str, ...]  # what the key parts are, e.g. ("municipality", "district")
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], tuple[Shown, ...]], ...] = ()

    def row(self, *key: str) -> dict[str, Shown]:
        for found, values in self.rows:
            if found == key:
                return dict(zip(self.columns, values, strict=True))
        raise KeyError(key)


@dataclass(frozen=True)
class Figures:
    period: Period
    municipalities: frozenset[str] | None  # None: the whole deployment
    now: datetime
    tables: tuple[Table, ...] = field(default=())

    def table(self, name: str) -> Table:
        return next(table for table in self.tables if table.name == name)


R = table_of(HelpRequest).c
M = table_of(Match).c
VC = table_of(VolunteerCategory).c
VD = table_of(VolunteerDistrict).c
VP = table_of(VolunteerProfile).c
SL = table_of(StartLinkTally).c


# When a volunteer accepted; a match from before `accepted_at` was kept has its last answer only.
ACCEPTED_AT = func.coalesce(M.accepted_at, M.answered_at)


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.since, column < period.until)


def _month(column: Any, period: Period) -> ColumnElement[str]:
    """The month label of a timestamp, by the deployment's calendar (bounds computed here, so the
    same SQL runs on SQLite and PostgreSQL and daylight saving cannot shift a month)."""
    return case(
        *((column < until, label) for label, _since, until in period.months()),
        else_=literal("later"),
    )


def _requests(period: Period, municipalities: frozenset[str] | None) -> Any:
    """One row per request made in the period, with what became of it."""
    outcome = (
        sa.select(
            M.request_id.label("request_id"),
            func.min(case((M.state.in_(ACCEPTED), ACCEPTED_AT))).label("matched_at"),
            func.count().label("offers"),
            func.sum(case((M.state == MatchState.DECLINED, 1), else_=0)).label("declines"),
            func.sum(case((M.state == MatchState.DONE, 1), else_=0)).label("helps"),
            func.sum(case((M.state == MatchState.DONE, M.hours), else_=0.0)).label("hours"),
            func.sum(case((M.seeker_feedback == Feedback.GOOD, 1), else_=0)).label("good"),
            func.sum(case((M.seeker_feedback == Feedback.PROBLEM, 1), else_=0)).label("problem"),
        )
        .group_by(M.request_id)
        .subquery("outcome")
    )
    offered = (
        sa.select(VD.municipality, VD.district, VC.category)
        .join(table_of(VolunteerCategory), VC.profile_id == VD.profile_id)
        .distinct()
        .subquery("offered")
    )
    hours_to_match = HoursBetween(outcome.c.matched_at, R.created_at)
    never = outcome.c.matched_at.is_(None)
    reason = case(
        (outcome.c.matched_at.is_not(None), literal("matched")),
        (R.status == RequestStatus.CANCELLED, literal("withdrawn")),
        (
            and_(R.status == RequestStatus.OPEN, R.exhausted.is_(False)),
            literal("open"),
        ),
        (
            and_(outcome.c.offers > 0, outcome.c.declines == outcome.c.offers),
            literal("all_declined"),
        ),
        (offered.c.category.is_(None), literal("no_kind")),
        else_=literal("nobody_free"),
    )
    query = (
        sa.select(
            _month(R.created_at, period).label("month"),
            R.municipality.label("municipality"),
            R.district.label("district"),
            R.category.label("kind"),
            R.language.label("language"),
            reason.label("reason"),
            case((never, None), else_=hours_to_match).label("hours_to_match"),
            func.coalesce(outcome.c.helps, 0).label("helps"),
            func.coalesce(outcome.c.hours, 0.0).label("hours"),
            func.coalesce(outcome.c.good, 0).label("good"),
            func.coalesce(outcome.c.problem, 0).label("problem"),
        )
        .outerjoin(outcome, outcome.c.request_id == R.id)
        .outerjoin(
            offered,
            and_(
                offered.c.municipality == R.municipality,
                offered.c.district == R.district,
                offered.c.category == R.category,
            ),
        )
        .where(_in_period(R.created_at, period))
    )
    if municipalities is not None:
        query = query.where(R.municipality.in_(municipalities))
    return query.cte("facts")


DIMENSIONS = {
    "month": ("month",),
    "district": ("municipality", "district"),
    "kind": ("kind",),
    "language": ("language",),
}


def _dimensions(source: Any) -> list[tuple[str, list[Any]]]:
    """Each dimension and the total, with its key columns in `source`."""
    return [
        (dimension, [source.c[key] for key in keys])
        for dimension, keys in (*DIMENSIONS.items(), (TOTAL, ()))
    ]


def _branches(source: Any) -> list[tuple[list[Any], list[Any]]]:
    """Per dimension and the total: its tag and key (two parts; the second is "" where a
    dimension has one) as columns to select, and the columns to group by."""
    return [
        (
            [
                literal(dimension).label("dimension"),
                (parts[0] if parts else literal(TOTAL)).label("k1"),
                (parts[1] if len(parts) > 1 else literal("")).label("k2"),
            ],
            parts,
        )
        for dimension, parts in _dimensions(source)
    ]


async def _request_tables(connection: AsyncConnection, facts: Any, period: Period) -> list[Table]:
    """The four request tables in one statement: the per-request rows (`facts`, a CTE) are
    built once and grouped by each dimension; the medians are ranked by window functions, so
    the middle one or two are picked in SQL on either database."""
    matched = facts.c.hours_to_match.is_not(None)

    def count(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    figures = [
        func.count(),
        count(matched),
        count(and_(matched, facts.c.hours_to_match <= 24)),
        count(and_(matched, facts.c.hours_to_match <= 72)),
        *(count(facts.c.reason == reason) for reason in (*UNMATCHED, "withdrawn", "open")),
        func.sum(facts.c.helps),
        func.sum(facts.c.hours),
        func.sum(facts.c.good),
        func.sum(facts.c.problem),
    ]
    grouped = sa.union_all(
        *(sa.select(*tags, *figures).group_by(*parts) for tags, parts in _branches(facts))
    ).cte("grouped")
    # Ranked within each dimension's groups by a window of its own: five sorts of the matched
    # requests, cheaper than one sort of five copies of them.
    windows = []
    for index, (_dimension, parts) in enumerate(_dimensions(facts)):
        windows += [
            func.row_number()
            .over(partition_by=parts or None, order_by=facts.c.hours_to_match)
            .label(f"rank{index}"),
            func.count().over(partition_by=parts or None).label(f"n{index}"),
        ]
    described = [facts.c[key] for key in ("month", "municipality", "district", "kind", "language")]
    ranked = (
        sa.select(*described, facts.c.hours_to_match.label("hours"), *windows)
        .where(matched)
        .cte("ranked")
    )

    def middle(branch: tuple[list[Any], list[Any]], index: int) -> Any:
        rank, n = ranked.c[f"rank{index}"], ranked.c[f"n{index}"]
        return (
            sa.select(*branch[0], func.avg(ranked.c.hours).label("median"))
            .where(or_(rank == (n + 1) // 2, rank == (n + 2) // 2))
            .group_by(*branch[1])
        )

    medians = sa.union_all(
        *(middle(branch, index) for index, branch in enumerate(_branches(ranked)))
    ).subquery("medians")
    rows = await connection.execute(
        sa.select(grouped, medians.c.median).outerjoin(
            medians,
            and_(
                medians.c.dimension == grouped.c.dimension,
                medians.c.k1 == grouped.c.k1,
                medians.c.k2 == grouped.c.k2,
            ),
        )
    )
    found: dict[str, dict[tuple[str, ...], tuple[Value, ...]]] = {d: {} for d in DIMENSIONS}
    total: tuple[Value, ...] = ()
    for dimension, k1, k2, *values, median in rows.all():
        counted = [_number(value) for value in values]
        ordered = (*counted[:9], None if median is None else round(float(median), 1), *counted[9:])
        if dimension == TOTAL:
            total = ordered
        else:
            key = (str(k1), str(k2)) if len(DIMENSIONS[dimension]) == 2 else (str(k1),)
            found[dimension][key] = ordered
    for label, _since, _until in period.months():
        found["month"].setdefault((label,), (0,) * 9 + (None,) + (0,) * 4)
    tables = []
    for dimension, keys in DIMENSIONS.items():
        table_rows = sorted(found[dimension].items())
        table_rows.append(((TOTAL,) * len(keys), total))
        tables.append(Table(f"requests_by_{dimension}", keys, REQUEST_COLUMNS, tuple(table_rows)))
    return tables


def _number(value: Any) -> Value:
    if value is None:
        return 0
    if isinstance(value, float) or not float(value).is_integer():
        return round(float(value), 1)
    return int(value)


def _profiles(municipalities: frozenset[str] | None) -> Any:
    """Volunteers who help in these municipalities (all of them, without a filter)."""
    query = sa.select(VP.id.label("id"), VP.created_at)
    if municipalities is not None:
        query = query.where(
            sa.select(VD.profile_id)
            .where(
                VD.profile_id == VP.id,
                VD.municipality.in_(municipalities),
            )
            .exists()
        )
    return query.subquery("profiles")


async def _volunteer_table(
    connection: AsyncConnection, period: Period, profiles: Any, *, everyone: bool
) -> Table:
    month_joined = _month(profiles.c.created_at, period)
    new = await connection.execute(
        sa.select(month_joined, func.count())
        .where(_in_period(profiles.c.created_at, period))
        .group_by(month_joined)
    )
    counts: dict[str, list[Value]] = {label: [0, 0] for label, _s, _u in period.months()}
    for month, number in new.all():
        counts[month][0] = int(number)
    month_active = _month(ACCEPTED_AT, period)
    accepted = and_(M.state.in_(ACCEPTED), _in_period(ACCEPTED_AT, period))
    if not everyone:
        accepted = and_(accepted, M.profile_id.in_(sa.select(profiles.c.id)))
    active = await connection.execute(
        sa.select(month_active, func.count(M.profile_id.distinct()))
        .where(accepted)
        .group_by(month_active)
    )
    for month, number in active.all():
        counts[month][1] = int(number)
    total_new = sum(int(values[0] or 0) for values in counts.values())
    total_active = (
        await connection.execute(sa.select(func.count(M.profile_id.distinct())).where(accepted))
    ).scalar_one()
    rows = [((month,), tuple(values)) for month, values in counts.items()]
    rows.append(((TOTAL,), (total_new, int(total_active))))
    return Table("volunteers_by_month", ("month",), VOLUNTEER_COLUMNS, tuple(rows))


async def _retention_table(
    connection: AsyncConnection, period: Period, profiles: Any, now: datetime
) -> Table:
    """Volunteers who joined in each month, and how many of them, once three (six) months have
    passed, accepted an offer after that time."""
    cohort = _month(profiles.c.created_at, period)
    figures: list[Any] = [func.count()]
    for days in RETENTION_DAYS:
        due = HoursBetween(literal(now, UTCDateTime()), profiles.c.created_at) >= days * 24
        later = (
            sa.select(M.id)
            .where(
                M.profile_id == profiles.c.id,
                M.state.in_(ACCEPTED),
                HoursBetween(ACCEPTED_AT, profiles.c.created_at) >= days * 24,
            )
            .exists()
        )
        figures += [
            func.sum(case((due, 1), else_=0)),
            func.sum(case((and_(due, later), 1), else_=0)),
        ]
    result = await connection.execute(
        sa.select(cohort, *figures)
        .where(_in_period(profiles.c.created_at, period))
        .group_by(cohort)
        .order_by(cohort)
    )
    rows = [
        ((str(month),), tuple(int(value or 0) for value in values)) for month, *values in result
    ]
    total = tuple(sum(values[index] for _key, values in rows) for index in range(len(figures)))
    return Table("retention", ("month",), RETENTION_COLUMNS, (*rows, ((TOTAL,), total)))


async def _decline_table(
    connection: AsyncConnection, period: Period, municipalities: frozenset[str] | None
) -> Table:
    month = _month(M.offered_at, period)
    reason = func.coalesce(M.decline_reason, literal("unsaid"))
    query = (
        sa.select(month, reason, func.count())
        .where(M.state == MatchState.DECLINED, _in_period(M.offered_at, period))
        .group_by(month, reason)
    )
    if municipalities is not None:
        query = query.join(HelpRequest, R.id == M.request_id).where(
            R.municipality.in_(municipalities)
        )
    counts = {label: dict.fromkeys(DECLINE_REASONS, 0) for label, _s, _u in period.months()}
    for label, said, number in (await connection.execute(query)).all():
        counts[label][said if said in DECLINE_REASONS else "unsaid"] += int(number)
    rows = [
        ((label,), (*by_reason.values(), sum(by_reason.values())))
        for label, by_reason in counts.items()
    ]
    totals = [sum(int(values[index] or 0) for _key, values in rows) for index in range(6)]
    rows.append(((TOTAL,), tuple(totals)))
    return Table("declines_by_month", ("month",), DECLINE_COLUMNS, tuple(rows))


async def _start_link_table(
    connection: AsyncConnection, period: Period, municipalities: frozenset[str] | None
) -> Table:
    """Start links opened, and the people who agreed to the privacy notice after opening one,
    most opened first. A link that names no municipality counts for the whole deployment only."""
    query = (
        sa.select(SL.code, func.sum(SL.opened), func.sum(SL.joined))
        .where(SL.day >= period.start, SL.day <= period.end)
        .group_by(SL.code)
    )
    if municipalities is not None:
        query = query.where(SL.municipality.in_(municipalities))
    found = [
        (str(code), int(opened or 0), int(joined or 0))
        for code, opened, joined in (await connection.execute(query)).all()
    ]
    found.sort(key=lambda row: (-row[1], row[0]))
    rows = [((code,), (opened, joined)) for code, opened, joined in found]
    total = (sum(row[1] for row in found), sum(row[2] for row in found))
    return Table("start_links", ("link",), START_LINK_COLUMNS, (*rows, ((TOTAL,), total)))


async def compute(
    session: AsyncSession,
    period: Period,
    *,
    municipalities: frozenset[str] | None = None,
    now: datetime,
) -> Figures:
    """Every table for the period, unpublished (see `published`)."""
    await session.flush()
    connection = await session.connection()
    facts = _requests(period, municipalities)
    tables = await _request_tables(connection, facts, period)
    profiles = _profiles(municipalities)
    everyone = municipalities is None
    tables.append(await _volunteer_table(connection, period, profiles, everyone=everyone))
    tables.append(await _retention_table(connection, period, profiles, now))
    tables.append(await _decline_table(connection, period, municipalities))
    tables.append(await _start_link_table(connection, period, municipalities))
    return Figures(period, municipalities, now, tuple(tables))


def _shown(column: str, values: dict[str, Shown]) -> Shown:
    value = values[column]
    base = DERIVED.get(column)
    if base is not None:
        count = values[base]
        return value if isinstance(count, int) and count >= SMALL else None
    if isinstance(value, int) and 0 < value < SMALL:
        return f"< {SMALL}"
    return value


def published(figures: Figures) -> Figures:
    """The figures as they may be shown: a count from 1 to 4 reads "< 5", and a median or a sum
    of hours over fewer than five is left out, since so few could point to a person."""
    tables = []
    for table in figures.tables:
        rows = []
        for key, values in table.rows:
            named = dict(zip(table.columns, values, strict=True))
            rows.append((key, tuple(_shown(column, named) for column in table.columns)))
        tables.append(replace(table, rows=tuple(rows)))
    return replace(figures, tables=tuple(tables))
