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

from engine.i18n import Raw, Text, Translator, _
from exchange.certificates import Facts
from town.deployment import Deployment
from vocabulary.figures import visual
from vocabulary.labels import kind_label

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
GERMAN = "de"


def _date(day: date) -> Raw:
    """A date with its year, as a document needs it ("1. Januar 2026")."""
    return Raw(format_date(day, format="long", locale="de_DE"))


def _hours(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def certificate_pdf(
    facts: Facts,
    *,
    name: str,
    deployment: Deployment,
    tr: Translator,
    language: str = GERMAN,
) -> bytes:
    """The document in German, and again in `language` on a page of its own when that is another
    language (German always comes first: it is what employers and authorities read)."""
    pdf = FPDF(format="A4")
    pdf.set_title(tr.render(_("Volunteer certificate"), GERMAN))
    pdf.set_creator(deployment.agency.name)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    for page_language in dict.fromkeys((GERMAN, language)):
        rtl = tr.is_rtl(page_language)

        def say(text: Text, page_language: str = page_language, rtl: bool = rtl) -> str:
            return visual(tr.render(text, page_language), rtl)

        _page(pdf, facts, name, deployment, say, translated=page_language != GERMAN)
    return bytes(pdf.output())


def _page(
    pdf: FPDF,
    facts: Facts,
    name: str,
    deployment: Deployment,
    say: Callable[[Text], str],
    *,
    translated: bool,
) -> None:
    def paragraph(text: Text, height: float = 6) -> None:
        pdf.multi_cell(0, height, new_x="LMARGIN", new_y="NEXT", text=say(text))

    pdf.add_page()
    office = deployment.agency.main_office
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text=deployment.agency.name)
    if office is not None and office.address:
        pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text=f"{office.name}, {office.address}")
    pdf.ln(10)
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, say(_("Volunteer certificate")), new_x="LMARGIN", new_y="NEXT")
    if translated:
        pdf.set_font("DejaVu", "", 9)
        paragraph(
            _("Translation of the German certificate on page 1, which is the one that counts."), 5
        )
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    paragraph(
        _(
            "We confirm that {name} volunteered with {agency} from {start} to {end}:",
            name=Raw(name),
            agency=Raw(deployment.agency.name),
            start=_date(facts.period_from),
            end=_date(facts.period_to),
        )
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
        paragraph(
            _("Hours in {year}: {hours}", year=Raw(str(years[0])), hours=Raw(_hours(facts.hours)))
        )
    paragraph(_("Trainings attended: {n}", n=facts.trainings))
    paragraph(_("Only hours confirmed by the people helped or by the agency are counted."))
    pdf.ln(16)
    paragraph(_("Issued on {day}", day=_date(facts.issued_at.date())))
    if facts.signed:
        paragraph(_("Checked and signed off by a coordinator of the agency in the chat."))
    pdf.ln(16)
    pdf.cell(80, 6, "", border="B", new_x="LMARGIN", new_y="NEXT")
    paragraph(_("Signature of the coordination"))
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 9)
    paragraph(
        _(
            "Verification code: {code}. The agency checks it with: ehrenamt admin "
            "verify-certificate {code}",
            code=Raw(facts.code),
        ),
        5,
    )
