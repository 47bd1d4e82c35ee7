"""The published figures become files for people: charts in the reader's language, a spreadsheet,
a tidy CSV and the yearly report; a suppressed count never shows as its number."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from engine.i18n import Text, Translator
from exchange.statistics import (
    DECLINE_COLUMNS,
    REQUEST_COLUMNS,
    RETENTION_COLUMNS,
    TOTAL,
    VOLUNTEER_COLUMNS,
    Figures,
    Period,
    Table,
    Value,
    published,
)
from town.deployment import DEFAULT_DEPLOYMENT, Deployment, load_deployment
from vocabulary.charts import charts
from vocabulary.figures import COLUMN_TITLES, DEFINITIONS, TABLE_TITLES, visual
from vocabulary.report import report_pdf
from vocabulary.spreadsheet import csv_text, workbook

DEPLOYMENT: Deployment = load_deployment(DEFAULT_DEPLOYMENT)
TR = Translator()
MONTHS = tuple(f"2026-{month:02d}" for month in range(1, 13))
CHART_NAMES = {"requests_per_month", "placement_rate", "hours_by_kind", "districts"}


def requests(made: int, matched: int, *, median: float = 20.0, hours: float = 30.0) -> list[Value]:
    """A request row: what became of `made` requests, `matched` of them by a volunteer."""
    unmatched = made - matched
    named: dict[str, Value] = {
        "made": made,
        "matched": matched,
        "within_24h": matched // 2,
        "within_72h": matched * 3 // 4,
        "no_kind": unmatched // 3,
        "nobody_free": unmatched // 3,
        "all_declined": 0,
        "withdrawn": unmatched - 2 * (unmatched // 3),
        "open": 0,
        "median_hours_to_match": median if matched else None,
        "helps": matched,
        "hours": hours if matched else 0.0,
        "feedback_good": matched // 2,
        "feedback_problem": 1 if matched > 10 else 0,
    }
    return [named[column] for column in REQUEST_COLUMNS]


Rows = dict[tuple[str, ...], list[Value]]


def table(name: str, keys: tuple[str, ...], columns: tuple[str, ...], rows: Rows) -> Table:
    """A table with its rows and a total row summing them (medians: the first one)."""
    values = list(rows.values())
    total = [
        sum(v[i] or 0 for v in values) if "median" not in column else values[0][i]
        for i, column in enumerate(columns)
    ]
    all_rows = [*((key, tuple(v)) for key, v in rows.items()), ((TOTAL,) * len(keys), tuple(total))]
    return Table(name, keys, columns, tuple(all_rows))


def raw_figures() -> Figures:
    """A small town's year: some months, districts and kinds with fewer than five requests."""
    by_month: Rows = {
        (month,): requests(40 + index, 20 + index) for index, month in enumerate(MONTHS)
    }
    by_month[("2026-02",)] = requests(3, 1)  # both counts suppressed
    by_month[("2026-03",)] = requests(30, 4)  # matched suppressed, made shown
    by_month[("2026-08",)] = requests(0, 0)
    districts: Rows = {
        ("bingen", "innenstadt"): requests(200, 120),
        ("bingen", "buedesheim"): requests(80, 44),
        ("bingen", "kempten"): requests(2, 2, median=3.0, hours=4.0),
        ("bingen", "sponsheim"): requests(12, 3),
    }
    kinds: Rows = {
        ("shopping",): requests(120, 80, hours=160.5),
        ("visits",): requests(90, 60, hours=240.0),
        ("repairs",): requests(40, 20, hours=35.0),
        ("pets",): requests(4, 2, hours=3.0),
    }
    languages: Rows = {
        ("de",): requests(230, 150),
        ("de_simple",): requests(20, 12),
        ("ar",): requests(4, 1),
        ("uk",): requests(40, 6),
    }
    volunteers: Rows = {(month,): [10 + index % 4, index % 6] for index, month in enumerate(MONTHS)}
    retention: Rows = {
        (month,): [12, 12 if index < 9 else 0, 3, 12 if index < 6 else 0, 6]
        for index, month in enumerate(MONTHS)
    }
    declines: Rows = {(month,): [index % 5, 2, 7, 0, 1, 0] for index, month in enumerate(MONTHS)}
    for values in declines.values():
        values[-1] = sum(value or 0 for value in values[:-1])
    return Figures(
        period=Period(date(2026, 1, 1), date(2026, 12, 31), ZoneInfo("Europe/Berlin")),
        municipalities=None,
        now=datetime(2027, 1, 2, tzinfo=UTC),
        tables=(
            table("requests_by_month", ("month",), REQUEST_COLUMNS, by_month),
            table("requests_by_district", ("municipality", "district"), REQUEST_COLUMNS, districts),
            table("requests_by_kind", ("kind",), REQUEST_COLUMNS, kinds),
            table("requests_by_language", ("language",), REQUEST_COLUMNS, languages),
            table("volunteers_by_month", ("month",), VOLUNTEER_COLUMNS, volunteers),
            table("retention", ("month",), RETENTION_COLUMNS, retention),
            table("declines_by_month", ("month",), DECLINE_COLUMNS, declines),
        ),
    )


def empty_figures() -> Figures:
    figures = raw_figures()
    tables = []
    for found in figures.tables:
        rows = tuple((key, tuple(0 for _ in values)) for key, values in found.rows)
        tables.append(Table(found.name, found.keys, found.columns, rows))
    return Figures(figures.period, None, figures.now, tuple(tables))


def say(language: str) -> Callable[[Text], str]:
    def render(text: Text) -> str:
        return TR.render(text, language)

    return render


def suppressed_cells(figures: Figures) -> set[tuple[str, tuple[str, ...], str]]:
    """(table, key, column) of every count from 1 to 4."""
    return {
        (found.name, key, column)
        for found in figures.tables
        for key, values in found.rows
        for column, value in zip(found.columns, values, strict=True)
        if isinstance(value, int) and 0 < value < 5
    }


@pytest.mark.parametrize("language", ["de", "ar"])
def test_every_chart_is_a_phone_sized_png_in_the_readers_language(language: str) -> None:
    figures = published(raw_figures())
    drawn = charts(figures, deployment=DEPLOYMENT, render=say(language), rtl=TR.is_rtl(language))
    assert set(drawn) == CHART_NAMES
    for png in drawn.values():
        assert png.startswith(b"\x89PNG")
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (1200, 800)


def test_charts_of_a_period_without_figures_still_draw() -> None:
    drawn = charts(published(empty_figures()), deployment=DEPLOYMENT, render=say("en"), rtl=False)
    assert set(drawn) == CHART_NAMES
    assert all(png.startswith(b"\x89PNG") for png in drawn.values())


def test_right_to_left_text_is_joined_and_in_visual_order_without_emoji() -> None:
    assert visual("طلب", True) == "ﺐﻠﻃ"
    assert visual("🛒 Shopping", False) == "Shopping"
    assert visual("Shopping", True) == "Shopping"


def test_the_spreadsheet_has_about_a_sheet_per_table_and_definitions() -> None:
    figures = published(raw_figures())
    render = say("en")
    book = load_workbook(BytesIO(workbook(figures, deployment=DEPLOYMENT, render=render)))
    titles = [render(TABLE_TITLES[found.name])[:31] for found in figures.tables]
    assert book.sheetnames == ["About", *titles, "Definitions"]
    about = "\n".join(str(cell.value) for row in book["About"].iter_rows() for cell in row)
    assert DEPLOYMENT.agency.name in about and "< 5" in about
    sheet = book[render(TABLE_TITLES["requests_by_month"])]
    assert sheet.freeze_panes == "B2"
    assert sheet["A1"].font.bold
    assert [cell.value for cell in sheet[1]][:3] == [
        render(COLUMN_TITLES[name]) for name in ("month", "made", "matched")
    ]
    february = list(sheet[3])
    assert february[0].value == "February 2026"
    assert february[1].value == "< 5" and february[1].data_type == "s"
    assert sheet.cell(2, 2).value == 40 and sheet.cell(2, 2).data_type == "n"
    definitions = book["Definitions"]
    assert definitions.max_row == len(DEFINITIONS) + 1


def test_no_suppressed_count_reaches_the_spreadsheet_as_a_number() -> None:
    raw = raw_figures()
    figures = published(raw)
    render = say("de")
    book = load_workbook(BytesIO(workbook(figures, deployment=DEPLOYMENT, render=render)))
    hidden = suppressed_cells(raw)
    assert hidden
    for found in figures.tables:
        sheet = book[render(TABLE_TITLES[found.name])[:31]]
        for row_number, (key, _values) in enumerate(found.rows, start=2):
            for index, column in enumerate(found.columns, start=len(found.keys) + 1):
                cell = sheet.cell(row_number, index)
                if (found.name, key, column) in hidden:
                    assert cell.value == "< 5" and cell.data_type == "s"
                assert not (isinstance(cell.value, int) and 0 < cell.value < 5)
    kempten = book[render(TABLE_TITLES["requests_by_district"])]
    labels = [(row[0].value, row[1].value) for row in kempten.iter_rows(min_row=2)]
    assert ("Bingen am Rhein", "Kempten") in labels


def test_the_csv_has_a_line_per_figure_with_raw_ids() -> None:
    figures = published(raw_figures())
    rows = list(csv.reader(StringIO(csv_text(figures, deployment=DEPLOYMENT))))
    assert rows[0] == ["table", "key", "column", "value"]
    expected = sum(len(found.rows) * len(found.columns) for found in figures.tables)
    assert len(rows) - 1 == expected
    lines = {(t, k, c): v for t, k, c, v in rows[1:]}
    assert lines[("requests_by_month", "2026-02", "made")] == "< 5"
    assert lines[("requests_by_month", "2026-01", "made")] == "40"
    assert lines[("requests_by_district", "bingen/kempten", "median_hours_to_match")] == ""
    assert lines[("requests_by_district", "all/all", "made")] == "294"
    assert lines[("requests_by_kind", "shopping", "hours")] == "160.5"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_report_names_the_agency_and_the_period(language: str) -> None:
    figures = published(raw_figures())
    render = say(language)
    rtl = TR.is_rtl(language)
    drawn = charts(figures, deployment=DEPLOYMENT, render=render, rtl=rtl)
    pdf = report_pdf(figures, drawn, deployment=DEPLOYMENT, render=render)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(BytesIO(pdf))
    first = " ".join(reader.pages[0].extract_text().split())
    assert DEPLOYMENT.agency.name in first
    if language == "en":
        assert "Figures from 1 January 2026 to 31 December 2026" in first
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        assert "Requests by district" in text and "Kempten" in text
        assert "< 5" in text
