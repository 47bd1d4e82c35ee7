"""The Ehrenamtsnachweis as a PDF (fpdf2, pure Python), in German: it goes to employers and
authorities. The DejaVu fonts that matplotlib ships print names in any Latin, Cyrillic or Greek
script; the document names the volunteer only, never anyone they helped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import matplotlib
from babel.dates import format_date
from fpdf import FPDF

from engine.i18n import Raw, Text, _
from exchange.certificates import Facts
from town.deployment import Deployment
from vocabulary.labels import kind_label

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
GERMAN = "de"


def _date(day: date) -> Raw:
    """A date with its year, as a document needs it ("1. Januar 2026")."""
    return Raw(format_date(day, format="long", locale="de_DE"))


def _hours(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def certificate_pdf(
    facts: Facts, *, name: str, deployment: Deployment, render: Callable[[Text, str], str]
) -> bytes:
    """The document, its texts rendered in German by `render(text, language)`."""

    def say(text: Text) -> str:
        return render(text, GERMAN)

    pdf = FPDF(format="A4")
    pdf.set_title(say(_("Volunteer certificate")))
    pdf.set_creator(deployment.agency.name)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    office = deployment.agency.main_office
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text=deployment.agency.name)
    if office is not None and office.address:
        pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text=f"{office.name}, {office.address}")
    pdf.ln(10)
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, say(_("Volunteer certificate")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        0,
        6,
        new_x="LMARGIN",
        new_y="NEXT",
        text=say(
            _(
                "We confirm that {name} volunteered with {agency} from {start} to {end}:",
                name=Raw(name),
                agency=Raw(deployment.agency.name),
                start=_date(facts.period_from),
                end=_date(facts.period_to),
            )
        ),
    )
    pdf.ln(4)
    widths = (95, 35, 35)
    pdf.set_font("DejaVu", "B", 11)
    for width, head in zip(
        widths, (_("Kind of activity"), _("Assignments"), _("Hours")), strict=True
    ):
        pdf.cell(width, 8, say(head), border="B")
    pdf.ln()
    pdf.set_font("DejaVu", "", 11)
    for kind, (hours, helps) in facts.kinds.items():
        pdf.cell(widths[0], 7, say(kind_label(deployment, kind)))
        pdf.cell(widths[1], 7, str(helps))
        pdf.cell(widths[2], 7, _hours(hours))
        pdf.ln()
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(widths[0], 8, say(_("Together")), border="T")
    pdf.cell(widths[1], 8, str(sum(helps for _h, helps in facts.kinds.values())), border="T")
    pdf.cell(widths[2], 8, _hours(facts.hours), border="T")
    pdf.ln(12)
    pdf.set_font("DejaVu", "", 11)
    years = sorted({facts.period_from.year, facts.period_to.year})
    if len(years) == 1:
        pdf.multi_cell(
            0,
            6,
            new_x="LMARGIN",
            new_y="NEXT",
            text=say(
                _(
                    "Hours in {year}: {hours}",
                    year=Raw(str(years[0])),
                    hours=Raw(_hours(facts.hours)),
                )
            ),
        )
    pdf.multi_cell(
        0,
        6,
        new_x="LMARGIN",
        new_y="NEXT",
        text=say(_("Trainings attended: {n}", n=facts.trainings)),
    )
    pdf.multi_cell(
        0,
        6,
        new_x="LMARGIN",
        new_y="NEXT",
        text=say(_("Only hours confirmed by the people helped or by the agency are counted.")),
    )
    pdf.ln(16)
    pdf.multi_cell(
        0,
        6,
        new_x="LMARGIN",
        new_y="NEXT",
        text=say(_("Issued on {day}", day=_date(facts.issued_at.date()))),
    )
    pdf.ln(16)
    pdf.cell(80, 6, "", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0, 6, new_x="LMARGIN", new_y="NEXT", text=say(_("Signature of the coordination"))
    )
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        new_x="LMARGIN",
        new_y="NEXT",
        text=say(
            _(
                "Verification code: {code}. The agency checks it with: ehrenamt admin "
                "verify-certificate {code}",
                code=Raw(facts.code),
            )
        ),
    )
    return bytes(pdf.output())
