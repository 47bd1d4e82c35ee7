"""The yearly report as a PDF (fpdf2): the agency's published figures for a period, for its
board, the town council and funders. It holds aggregates only, never a name: counts under five
read "< 5" and figures over so few are left out, as everywhere the figures are shown.

fpdf2 draws text in the order it is given: paragraphs are broken into lines first and each line
put in visual order, so right-to-left words (a whole Arabic paragraph, or an Arabic month name in
an English sentence) read right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TableBordersLayout, XPos, YPos

from engine.i18n import Raw, Text, _
from exchange.statistics import TOTAL, Figures, Shown, Table
from town.deployment import Deployment
from vocabulary.figures import (
    COLUMN_TITLES,
    DEFINITIONS,
    FONT,
    FONT_BOLD,
    LEFT_OUT,
    SUPPRESSED,
    TABLE_TITLES,
    Percent,
    period_text,
    right_to_left,
    row_name,
    scope_text,
    shown,
    visual,
)

FAMILY = "DejaVu"
CHARTS = ("requests_per_month", "placement_rate", "hours_by_kind", "districts")
TABLE_COLUMNS = ("made", "matched", "median_hours_to_match", "hours")
TEXT_SIZE = 10
LINE = 5.0
# Width of the text on A4 with 20 mm margins; a chart keeps its 3:2 shape.
TEXT_WIDTH = 170.0
CHART_HEIGHT = TEXT_WIDTH * 2 / 3


class _Report:
    """The document being written, and how its texts are rendered."""

    def __init__(self, deployment: Deployment, render: Callable[[Text], str]) -> None:
        self.render = render
        self.pdf = FPDF(format="A4")
        self.pdf.set_creator(deployment.agency.name)
        self.pdf.add_font(FAMILY, "", str(FONT))
        self.pdf.add_font(FAMILY, "B", str(FONT_BOLD))
        self.pdf.set_margins(20, 20, 20)
        self.pdf.set_auto_page_break(True, margin=20)
        self.pdf.add_page()

    def paragraph(self, text: Text | str, *, size: int = TEXT_SIZE, bold: bool = False) -> None:
        """A paragraph broken into lines as written, each line then drawn in visual order."""
        said = text if isinstance(text, str) else self.render(text)
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        height = LINE * size / TEXT_SIZE
        lines = self.pdf.multi_cell(
            0, height, visual(said, False), dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(lines, list)
        align = Align.R if right_to_left(said) else Align.L
        for line in lines:
            self.pdf.cell(
                0, height, visual(line, True), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def heading(self, text: Text, *, keep_with: float = 30) -> None:
        """A section's heading, on a new page unless `keep_with` millimetres follow it there."""
        self.pdf.ln(4)
        if self.pdf.will_page_break(keep_with):
            self.pdf.add_page()
        self.paragraph(text, size=14, bold=True)
        self.pdf.ln(2)

    def cell_text(self, text: Text | str) -> str:
        said = text if isinstance(text, str) else self.render(text)
        return visual(said, True)

    def table(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        aligns: Sequence[str],
        *,
        header: bool = True,
    ) -> None:
        """A table; with `header`, its first row heads it, repeated on a new page."""
        self.pdf.set_font(FAMILY, "", TEXT_SIZE - 1)
        with self.pdf.table(
            col_widths=tuple(widths),
            text_align=tuple(aligns),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=LINE,
            width=sum(widths),
            align=Align.L,
            first_row_as_headings=header,
        ) as table:
            for cells in rows:
                row = table.row()
                for text in cells:
                    row.cell(text)

    def image(self, png: bytes) -> None:
        if self.pdf.will_page_break(CHART_HEIGHT):
            self.pdf.add_page()
        self.pdf.image(BytesIO(png), x=self.pdf.l_margin, w=TEXT_WIDTH, h=CHART_HEIGHT)
        self.pdf.ln(4)


def report_pdf(
    figures: Figures,
    charts: dict[str, bytes],
    *,
    deployment: Deployment,
    render: Callable[[Text], str],
) -> bytes:
    """The yearly report of the published `figures`, with the `charts` drawn for them."""
    report = _Report(deployment, render)
    title = Raw(deployment.agency.name)
    subtitle = _("Figures from {period}", period=period_text(figures))
    report.pdf.set_title(f"{render(title)}: {render(subtitle)}")
    report.paragraph(title, size=20, bold=True)
    report.pdf.ln(1)
    report.paragraph(subtitle, size=14, bold=True)
    if figures.municipalities is not None:
        report.paragraph(scope_text(figures, deployment))
    report.heading(_("In short"))
    _summary(report, figures)
    report.heading(_("Charts"), keep_with=CHART_HEIGHT + 10)
    for name in CHARTS:
        if name in charts:
            report.image(charts[name])
    for table_name in ("requests_by_district", "requests_by_kind"):
        table = figures.table(table_name)
        report.heading(TABLE_TITLES[table_name])
        _main_columns(report, table, deployment)
    report.heading(_("Definitions"))
    _definitions(report)
    report.heading(_("Protecting privacy"))
    report.paragraph(
        _("The figures are counts and sums over many people; the report names nobody.")
    )
    report.paragraph(DEFINITIONS[SUPPRESSED])
    report.paragraph(DEFINITIONS[LEFT_OUT])
    return bytes(report.pdf.output())


def _total(figures: Figures, table_name: str, column: str) -> Shown:
    table = figures.table(table_name)
    return table.row(*(TOTAL,) * len(table.keys))[column]


def _summary(report: _Report, figures: Figures) -> None:
    """The period's main figures, one a line."""
    made = _total(figures, "requests_by_month", "made")
    matched = _total(figures, "requests_by_month", "matched")
    lines: list[tuple[Text, Text]] = [
        (COLUMN_TITLES["made"], shown(made)),
        (
            COLUMN_TITLES["matched"],
            _("{matched} ({share})", matched=shown(matched), share=_share(matched, made)),
        ),
        (
            COLUMN_TITLES["median_hours_to_match"],
            shown(_total(figures, "requests_by_month", "median_hours_to_match")),
        ),
        (COLUMN_TITLES["hours"], shown(_total(figures, "requests_by_month", "hours"))),
        (COLUMN_TITLES["new"], shown(_total(figures, "volunteers_by_month", "new"))),
    ]
    rows = [[report.cell_text(label), report.cell_text(value)] for label, value in lines]
    report.table(rows, (80, 50), ("LEFT", "RIGHT"), header=False)


def _share(part: Shown, whole: Shown) -> Text:
    """`part` in percent of `whole`; a dash when either is hidden."""
    if isinstance(part, int | float) and isinstance(whole, int | float) and whole > 0:
        return Percent(part / whole)
    return Raw(LEFT_OUT)


def _main_columns(report: _Report, table: Table, deployment: Deployment) -> None:
    """A few main columns of a table, each row under its label (a district, a kind of help)."""
    header = [report.cell_text(COLUMN_TITLES[table.keys[-1]])]
    header += [report.cell_text(COLUMN_TITLES[column]) for column in TABLE_COLUMNS]
    rows = [header]
    for key, values in table.rows:
        named = dict(zip(table.columns, values, strict=True))
        rows.append(
            [report.cell_text(row_name(deployment, table, key))]
            + [report.cell_text(shown(named[column])) for column in TABLE_COLUMNS]
        )
    report.table(rows, (62, 27, 27, 27, 27), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))


def _definitions(report: _Report) -> None:
    """Each column's title, and below it how it is counted."""
    for name, definition in DEFINITIONS.items():
        if name in (SUPPRESSED, LEFT_OUT):
            continue
        if report.pdf.will_page_break(3 * LINE):
            report.pdf.add_page()
        report.paragraph(COLUMN_TITLES[name], bold=True)
        report.paragraph(definition)
        report.pdf.ln(1.5)
