"""The agency's figures: counted in SQL, equal to a plain recomputation from the rows, and
published with small numbers hidden."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from benchmarks.statistics_naive import Rows, as_rows, recompute
from exchange import statistics
from exchange.statistics import SMALL, TOTAL, Period
from storage import create_engine, migrate
from synthetic import history

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ).astimezone(UTC)
HALF_YEAR = Period(date(2026, 5, 1), date(2026, 11, 23), TZ)


@pytest.fixture
async def demo(database_url: str) -> Any:
    engine = create_engine(database_url)
    await migrate(engine)
    await history.fill(engine, 300, 200, 26, now=NOW)
    yield engine
    await engine.dispose()


def assert_same(computed: dict[str, Rows], plain: dict[str, Rows]) -> None:
    assert computed.keys() == plain.keys()
    for table, rows in computed.items():
        assert rows.keys() == plain[table].keys(), table
        for key, values in rows.items():
            for column, value in values.items():
                expected = plain[table][key][column]
                if column == "median_hours_to_match" and value is not None:
                    assert expected == pytest.approx(value, abs=0.1), (table, key, column)
                else:
                    assert value == expected, (table, key, column)


async def test_statistics_on_demo_data_equal_a_plain_recomputation(demo: AsyncEngine) -> None:
    async with AsyncSession(demo) as session:
        computed = await statistics.compute(session, HALF_YEAR, now=NOW)
        plain = await recompute(session, HALF_YEAR, now=NOW)
        assert_same(as_rows(computed), plain)
        only_bingen = frozenset({"bingen"})
        computed = await statistics.compute(session, HALF_YEAR, municipalities=only_bingen, now=NOW)
        assert_same(
            as_rows(computed),
            await recompute(session, HALF_YEAR, municipalities=only_bingen, now=NOW),
        )
        nowhere = await statistics.compute(
            session, HALF_YEAR, municipalities=frozenset({"x"}), now=NOW
        )
    # The demo half year means something: most requests found a volunteer, some did not.
    total = as_rows(computed)["requests_by_month"][(TOTAL,)]
    assert 100 < total["made"] <= 200
    assert 0.5 < total["matched"] / total["made"] < 0.9
    assert total["all_declined"] + total["no_kind"] + total["nobody_free"] > 0
    assert total["hours"] > 0 and total["feedback_good"] > 0
    assert as_rows(computed)["declines_by_month"][(TOTAL,)]["total"] > 0
    assert as_rows(nowhere)["requests_by_month"][(TOTAL,)]["made"] == 0


async def test_small_numbers_are_published_as_less_than_five(demo: AsyncEngine) -> None:
    async with AsyncSession(demo) as session:
        raw = await statistics.compute(session, HALF_YEAR, now=NOW)
    shown = statistics.published(raw)
    hidden = 0
    for table, published in zip(raw.tables, shown.tables, strict=True):
        for (key, values), (_key, figures) in zip(table.rows, published.rows, strict=True):
            for column, value, figure in zip(table.columns, values, figures, strict=True):
                if column in statistics.DERIVED:
                    base = dict(zip(table.columns, values, strict=True))[statistics.DERIVED[column]]
                    assert figure == (value if isinstance(base, int) and base >= SMALL else None)
                elif isinstance(value, int) and 0 < value < SMALL:
                    assert figure == "< 5", (table.name, key, column)
                    hidden += 1
                else:
                    assert figure == value
    assert hidden > 0  # the languages and kinds of a small town have small cells


def test_a_month_follows_the_towns_calendar_across_daylight_saving() -> None:
    period = Period(date(2026, 3, 1), date(2026, 4, 30), TZ)
    [(march, m_since, m_until), (april, a_since, a_until)] = period.months()
    assert (march, april) == ("2026-03", "2026-04")
    assert m_since == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # winter time: UTC+1
    assert m_until == a_since == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # summer time: UTC+2
    assert a_until == period.until
