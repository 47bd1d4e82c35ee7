"""The words of the agency's figures: table and column titles, what each column counts, the
labels of table keys, and numbers as the reader writes them. Shared by the charts, the
spreadsheet and the yearly report.

Charts and PDFs draw text as it is given, without joining Arabic letters or reordering right-to-
left runs; `visual` does both for them and keeps to the characters their font has.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import arabic_reshaper  # type: ignore[import-untyped]
import matplotlib
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from bidi import get_base_level, get_display  # type: ignore[import-untyped]
from matplotlib.ft2font import FT2Font

from engine.i18n import LanguageName, Msg, Raw, Text, Translator, _
from exchange.links import DISTRICT_PREFIX, ORGANISATION_PREFIX, LinkKind
from exchange.statistics import SMALL, TOTAL, Figures, Shown, Table
from locales import LANGUAGES
from town.deployment import Deployment
from vocabulary.labels import kind_label

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = FONTS / "DejaVuSans.ttf"
FONT_BOLD = FONTS / "DejaVuSans-Bold.ttf"

SUPPRESSED = f"< {SMALL}"
LEFT_OUT = "–"

TABLE_TITLES: dict[str, Text] = {
    "requests_by_month": _("Requests by month"),
    "requests_by_district": _("Requests by district"),
    "requests_by_kind": _("Requests by kind of help"),
    "requests_by_language": _("Requests by language"),
    "volunteers_by_month": _("Volunteers by month"),
    "retention": _("Volunteers who stay"),
    "declines_by_month": _("Declined offers by month"),
    "start_links": _("Start links: posters and flyers"),
}

COLUMN_TITLES: dict[str, Text] = {
    # The parts of a row's key.
    "month": _("Month"),
    "municipality": _("Municipality"),
    "district": _("District"),
    "kind": _("Kind of help"),
    "language": _("Language"),
    # Requests.
    "made": _("Requests made"),
    "matched": _("Matched"),
    "within_24h": _("Matched within 24 hours"),
    "within_72h": _("Matched within 72 hours"),
    "no_kind": _("Nobody offers this kind"),
    "nobody_free": _("Nobody took it"),
    "all_declined": _("All offers declined"),
    "withdrawn": _("Withdrawn"),
    "open": _("Still open"),
    "median_hours_to_match": _("Median hours to a match"),
    "helps": _("Helps done"),
    "hours": _("Hours given"),
    "feedback_good": _("Feedback: went well"),
    "feedback_problem": _("Feedback: a problem"),
    # Volunteers.
    "new": _("New volunteers"),
    "active": _("Active volunteers"),
    "joined": _("Joined"),
    "due_3_months": _("Joined 3 months ago or more"),
    "active_3_months": _("Still active after 3 months"),
    "due_6_months": _("Joined 6 months ago or more"),
    "active_6_months": _("Still active after 6 months"),
    # Declined offers by reason.
    "no_time": _("No time"),
    "too_far": _("Too far"),
    "not_my_kind": _("Not my kind of help"),
    "booked": _("Already booked"),
    "unsaid": _("No reason given"),
    "total": _("All declined offers"),
    # Start links.
    "link": _("Link"),
    "link_opened": _("Opened"),
    "link_joined": _("Then agreed and joined"),
    # The marks that stand for a hidden figure.
    SUPPRESSED: Raw(SUPPRESSED),
    LEFT_OUT: Raw(LEFT_OUT),
}

DEFINITIONS: dict[str, Text] = {
    "month": _(
        "Requests count in the month they were made, new volunteers in the month they joined, "
        "active volunteers in the month they accepted an offer, declines in the month of the offer."
    ),
    "municipality": _("The municipality where the help was needed."),
    "district": _("The district where the help was needed."),
    "kind": _("The kind of help asked for."),
    "language": _("The language the person asking for help uses with the bot."),
    "made": _("Requests for help made in the month or period."),
    "matched": _(
        "Requests a volunteer accepted, whatever happened afterwards (done, missed or called off)."
    ),
    "within_24h": _("Matched requests a volunteer accepted within 24 hours of the request."),
    "within_72h": _("Matched requests a volunteer accepted within 72 hours of the request."),
    "no_kind": _(
        "Requests that found nobody because no volunteer offers this kind of help in their district."
    ),
    "nobody_free": _(
        "Requests that found nobody although volunteers offer this kind of help in their district: "
        "none was free or answered in time."
    ),
    "all_declined": _("Requests that found nobody because every volunteer asked declined."),
    "withdrawn": _("Requests withdrawn by the person asking before a volunteer accepted."),
    "open": _("Requests still looking for a volunteer when the figures were made."),
    "median_hours_to_match": _(
        "Half of the matched requests found their volunteer within this many hours, counted from "
        "the request to the first acceptance."
    ),
    "helps": _("Helps marked as done for these requests."),
    "hours": _("Hours recorded for the helps done."),
    "feedback_good": _("Times the person helped said the help went well."),
    "feedback_problem": _("Times the person helped reported a problem."),
    "new": _("Volunteers who signed up (for one municipality: those who help there)."),
    "active": _(
        "Volunteers who accepted at least one offer; in the total each volunteer counts once."
    ),
    "joined": _("Volunteers who signed up in the month."),
    "due_3_months": _(
        "Of them, those who signed up at least 90 days before the figures were made."
    ),
    "active_3_months": _(
        "Of those, volunteers who accepted an offer 90 days or more after signing up."
    ),
    "due_6_months": _(
        "Of them, those who signed up at least 180 days before the figures were made."
    ),
    "active_6_months": _(
        "Of those, volunteers who accepted an offer 180 days or more after signing up."
    ),
    "no_time": _("Offers declined because the volunteer had no time."),
    "too_far": _("Offers declined because it was too far for the volunteer."),
    "not_my_kind": _("Offers declined because the volunteer does not do this kind of help."),
    "booked": _("Offers declined by the bot because the volunteer was already booked then."),
    "unsaid": _("Offers declined without a reason."),
    "total": _("All declined offers."),
    "link": _(
        "A start link opens the bot from a poster in a district (d-…), an organisation's flyer "
        "(o-…), an invitation, or another link."
    ),
    "link_opened": _("Times the link was opened, by anyone, new or known."),
    "link_joined": _("People new to the bot who agreed to the privacy notice after opening it."),
    SUPPRESSED: _(
        "A count from 1 to 4 is shown as “< 5”, so that nobody can be recognised from it."
    ),
    LEFT_OUT: _(
        "A dash means the figure is left out: a median or hours over fewer than five requests or "
        "helps."
    ),
}


@dataclass(frozen=True)
class MonthText:
    """A month with its year in the reader's language ("März 2026")."""

    first: date
    pattern: str = "LLLL yyyy"

    def render(self, tr: Translator, language: str) -> str:
        return format_date(self.first, self.pattern, locale=tr.babel_locale(language))


@dataclass(frozen=True)
class LongDate:
    """A date with its year in the reader's language ("1. Januar 2026")."""

    day: date

    def render(self, tr: Translator, language: str) -> str:
        return format_date(self.day, format="long", locale=tr.babel_locale(language))


@dataclass(frozen=True)
class Number:
    """A count or an amount of hours as the reader writes numbers ("3.000", "12,5")."""

    value: int | float

    def render(self, tr: Translator, language: str) -> str:
        return format_decimal(self.value, format="#,##0.#", locale=tr.babel_locale(language))


@dataclass(frozen=True)
class Percent:
    """A share (0.42) as the reader writes percentages ("42 %")."""

    share: float

    def render(self, tr: Translator, language: str) -> str:
        return format_percent(self.share, locale=tr.babel_locale(language))


def shown(value: Shown) -> Text:
    """A published figure as text: a number, "< 5", or a dash when it was left out."""
    if value is None:
        return Raw(LEFT_OUT)
    if isinstance(value, str):
        return Raw(value)
    return Number(value)


def month_of(label: str) -> date | None:
    """The first day of a month label ("2026-03"), None for anything else."""
    try:
        return date.fromisoformat(f"{label}-01")
    except ValueError:
        return None


def key_label(
    deployment: Deployment, part: str, value: str, *, municipality: str | None = None
) -> Text:
    """The label of one part of a row's key; a district is looked up in `municipality` when given,
    else in the first municipality that has it."""
    if value == TOTAL:
        return _("All")
    if part == "month":
        first = month_of(value)
        return MonthText(first) if first else Raw(value)
    if part == "kind":
        return kind_label(deployment, value)
    if part == "municipality":
        found = deployment.municipality(value)
        return Raw(found.name) if found else Raw(value)
    if part == "district":
        return Raw(_district_name(deployment, value, municipality))
    if part == "language":
        return language_label(value)
    if part == "link":
        return link_label(deployment, value)
    return Raw(value)


def link_label(deployment: Deployment, code: str) -> Text:
    """A start link as the tally counts it ("d-buedesheim", "o-12", "invitation", "other")."""
    if code.startswith(DISTRICT_PREFIX):
        name = _district_name(deployment, code.removeprefix(DISTRICT_PREFIX), None)
        return _("Poster in {district}", district=Raw(name))
    if code.startswith(ORGANISATION_PREFIX):
        number = code.removeprefix(ORGANISATION_PREFIX)
        return _("Flyer of organisation no. {number}", number=Raw(number))
    if code == LinkKind.INVITATION:
        return _("Invitations")
    return _("Other links")


def _district_name(deployment: Deployment, district: str, municipality: str | None) -> str:
    candidates = deployment.municipalities
    if municipality is not None:
        candidates = tuple(m for m in candidates if m.id == municipality)
    for candidate in candidates:
        found = candidate.district(district)
        if found is not None:
            return found.name
    return district


def language_label(code: str) -> Text:
    """A language the bot speaks, by its name; its plain variant marked as such."""
    known = LANGUAGES.get(code)
    base = Translator.base_language(code)
    if known is not None and known.plain:
        return _("{language} (plain language)", language=LanguageName(base))
    return LanguageName(base)


def row_label(deployment: Deployment, keys: tuple[str, ...], key: tuple[str, ...]) -> list[Text]:
    """The labels of a row's key parts, a district named within its municipality."""
    named = dict(zip(keys, key, strict=True))
    return [
        key_label(deployment, part, value, municipality=named.get("municipality"))
        for part, value in named.items()
    ]


def row_name(deployment: Deployment, table: Table, key: tuple[str, ...]) -> Text:
    """One label for a row: its last key part, a district with its municipality when the table
    spans several municipalities."""
    labels = row_label(deployment, table.keys, key)
    municipalities = {row[0] for row, _values in table.rows if row[0] != TOTAL}
    if table.keys == ("municipality", "district") and key[0] != TOTAL and len(municipalities) > 1:
        return _("{district} ({municipality})", district=labels[1], municipality=labels[0])
    return labels[-1]


def period_text(figures: Figures) -> Msg:
    return _(
        "{start} to {end}",
        start=LongDate(figures.period.start),
        end=LongDate(figures.period.end),
    )


def scope_text(figures: Figures, deployment: Deployment) -> Text:
    """Which municipalities the figures cover."""
    if figures.municipalities is None:
        return _("All municipalities")
    names = sorted(
        (found.name if (found := deployment.municipality(m)) else m) for m in figures.municipalities
    )
    return Raw(", ".join(names))


# Direction marks and isolates: a chart or PDF font draws them as boxes once the order is visual.
_DIRECTION_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@cache
def _drawable() -> frozenset[int]:
    return frozenset(FT2Font(str(FONT)).get_charmap())


def _is_icon(character: str) -> bool:
    """Arrows, dingbats, pictographs and emoji: dropped all alike, though the font has a few."""
    return character == "\ufe0f" or (
        ord(character) >= 0x2190 and unicodedata.category(character) == "So"
    )


def drawable(text: str) -> str:
    """The text without emoji and other icons, and without what DejaVu Sans cannot draw; direction
    marks stay, for a renderer that lays out right-to-left text itself."""
    characters = _drawable()
    kept = "".join(
        c
        for c in text
        if c == "\n" or _DIRECTION_MARKS.match(c) or (ord(c) in characters and not _is_icon(c))
    )
    return re.sub(" {2,}", " ", kept).strip()


def visual(text: str, rtl: bool) -> str:
    """Text for a renderer that draws characters in the order given (fpdf2, matplotlib before
    3.11): what the font has, and for right-to-left languages the Arabic letters joined and each
    line put in visual order."""
    if rtl:
        reordered = (get_display(arabic_reshaper.reshape(line)) for line in text.split("\n"))
        text = "\n".join(reordered)
    return drawable(_DIRECTION_MARKS.sub("", text))


def right_to_left(text: str) -> bool:
    """Whether a paragraph runs right to left, by its first strong character."""
    return bool(text.strip()) and get_base_level(text) == 1
