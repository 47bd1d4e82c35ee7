"""The agency's figures as files to work with: a spreadsheet for people (a sheet per table, words
in the reader's language) and one tidy CSV for machines (raw ids, one figure per line)."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from io import BytesIO, StringIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from engine.i18n import Raw, Text, _
from exchange.statistics import TOTAL, Figures, Shown, Table
from town.deployment import Deployment
from vocabulary.figures import (
    COLUMN_TITLES,
    DEFINITIONS,
    LEFT_OUT,
    SUPPRESSED,
    TABLE_TITLES,
    LongDate,
    period_text,
    right_to_left,
    row_label,
    scope_text,
)

Cell = str | int | float

# Excel's limits on a sheet's name.
SHEET_NAME_LENGTH = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
BOLD = Font(bold=True)
WRAPPED = Alignment(wrap_text=True, vertical="top")
NARROWEST, WIDEST = 8, 60


def workbook(figures: Figures, *, deployment: Deployment, render: Callable[[Text], str]) -> bytes:
    """An .xlsx file: "About" first, a sheet per table, "Definitions" last."""
    book = Workbook()
    rtl = right_to_left(render(_("About")))
    names: set[str] = set()
    about = book.active
    about.title = _sheet_name(render(_("About")), names)
    _fill_about(about, figures, deployment, render)
    for table in figures.tables:
        title = TABLE_TITLES.get(table.name, Raw(table.name))
        sheet = book.create_sheet(_sheet_name(render(title), names))
        _fill_table(sheet, table, deployment, render)
    definitions = book.create_sheet(_sheet_name(render(_("Definitions")), names))
    _fill_definitions(definitions, render)
    for sheet in book.worksheets:
        sheet.sheet_view.rightToLeft = rtl
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, taken: set[str]) -> str:
    """A name Excel accepts (no []:*?/\\, at most 31 characters, unique in the book)."""
    name = _NOT_IN_SHEET_NAMES.sub(" ", title).strip(" '")[:SHEET_NAME_LENGTH].strip() or "-"
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: SHEET_NAME_LENGTH - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def _fill_about(
    sheet: Worksheet, figures: Figures, deployment: Deployment, render: Callable[[Text], str]
) -> None:
    sheet.append([deployment.agency.name])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    for label, value in (
        (_("Period"), period_text(figures)),
        (_("Municipalities"), scope_text(figures, deployment)),
        (_("Counted on"), LongDate(figures.now.astimezone(figures.period.tz).date())),
    ):
        sheet.append([render(label), render(value)])
        sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append([])
    for mark in (SUPPRESSED, LEFT_OUT):
        sheet.append([mark, render(DEFINITIONS[mark])])
        sheet.cell(sheet.max_row, 2).alignment = WRAPPED
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 80


def _fill_table(
    sheet: Worksheet, table: Table, deployment: Deployment, render: Callable[[Text], str]
) -> None:
    headers = [render(COLUMN_TITLES.get(name, Raw(name))) for name in (*table.keys, *table.columns)]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = BOLD
        cell.alignment = WRAPPED
    for key, values in table.rows:
        labels = [render(label) for label in row_label(deployment, table.keys, key)]
        sheet.append([*labels, *(_cell(value) for value in values)])
        if key[0] == TOTAL:
            for cell in sheet[sheet.max_row]:
                cell.font = BOLD
    for row in sheet.iter_rows(min_row=2, min_col=len(table.keys) + 1):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.0"
            elif isinstance(cell.value, str):
                cell.alignment = Alignment(horizontal="right")
    sheet.freeze_panes = sheet.cell(2, len(table.keys) + 1)
    _set_widths(sheet, headers, [[str(cell.value) for cell in column] for column in sheet.columns])


def _cell(value: Shown) -> Cell:
    """A number stays a number; "< 5" stays text; a figure left out is a dash."""
    return LEFT_OUT if value is None else value


def _set_widths(sheet: Worksheet, headers: Sequence[str], columns: Sequence[Sequence[str]]) -> None:
    """Wide enough for the longest value, and for the header's longest word (it wraps)."""
    for index, (header, texts) in enumerate(zip(headers, columns, strict=True), start=1):
        longest = max([len(text) for text in texts[1:]] + [len(word) for word in header.split()])
        width = min(max(longest + 2, NARROWEST, len(header) // 2 + 2), WIDEST)
        sheet.column_dimensions[get_column_letter(index)].width = width


def _fill_definitions(sheet: Worksheet, render: Callable[[Text], str]) -> None:
    sheet.append([render(_("Column")), render(_("Definition"))])
    for cell in sheet[1]:
        cell.font = BOLD
    for name, definition in DEFINITIONS.items():
        sheet.append([render(COLUMN_TITLES.get(name, Raw(name))), render(definition)])
        sheet.cell(sheet.max_row, 2).alignment = WRAPPED
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 90


def csv_text(figures: Figures, *, deployment: Deployment) -> str:
    """One tidy CSV: `table,key,column,value`, a line per figure; the key's parts (raw ids) joined
    with "/", the value as published ("< 5"), empty where a figure was left out."""
    output = StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(("table", "key", "column", "value"))
    for table in figures.tables:
        for key, values in table.rows:
            for column, value in zip(table.columns, values, strict=True):
                writer.writerow((table.name, "/".join(key), column, "" if value is None else value))
    return output.getvalue()
