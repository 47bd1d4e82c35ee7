"""The agency's figures as charts (PNG) to send in a chat: sized for a phone, words in the
reader's language, suppressed counts marked "< 5" and never drawn as a number.

Each chart is its own `Figure` with an Agg canvas, so charts can be drawn side by side in a server
without matplotlib's global pyplot state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from io import BytesIO

import matplotlib
from matplotlib import ft2font
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator, PercentFormatter

from engine.i18n import Raw, Text, _
from exchange.statistics import TOTAL, Figures, Shown, Table
from town.deployment import Deployment
from vocabulary.figures import (
    COLUMN_TITLES,
    FONT,
    MonthText,
    drawable,
    key_label,
    month_of,
    row_name,
    shown,
    visual,
)

matplotlib.use("Agg")

Say = Callable[[Text], str]

# Matplotlib built with libraqm (3.11 on) joins Arabic letters and orders right-to-left text
# itself; an older one gets the text in visual order.
LAYS_OUT_TEXT = hasattr(ft2font, "__libraqm_version__")

# About 1200 x 800 pixels: a photo in a chat, read on a phone.
SIZE_INCHES = (12, 8)
DPI = 100
TEXT_SIZE = 16
TITLE_SIZE = 22
MADE_COLOUR = "#9ecae1"
MATCHED_COLOUR = "#08519c"


def charts(
    figures: Figures, *, deployment: Deployment, render: Callable[[Text], str], rtl: bool
) -> dict[str, bytes]:
    """The four charts of the published figures, PNG bytes by name."""

    def say(text: Text) -> str:
        said = render(text)
        return drawable(said) if LAYS_OUT_TEXT else visual(said, rtl)

    return {
        "requests_per_month": _requests_per_month(figures, say),
        "placement_rate": _placement_rate(figures, say),
        "hours_by_kind": _hours_by_kind(figures, deployment, say, rtl),
        "districts": _districts(figures, deployment, say, rtl),
    }


def _font(size: int = TEXT_SIZE) -> FontProperties:
    return FontProperties(fname=FONT, size=size)


def _canvas() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.tick_params(labelsize=TEXT_SIZE)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _png(figure: Figure) -> bytes:
    for label in (*figure.axes[0].get_xticklabels(), *figure.axes[0].get_yticklabels()):
        label.set_fontproperties(_font())
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _title(axes: Axes, text: str) -> None:
    axes.set_title(text, fontproperties=_font(TITLE_SIZE), pad=16)


def _note(figure: Figure, text: str) -> None:
    """A line under the chart saying what was left out."""
    figure.supxlabel(text, fontproperties=_font(14))


def _nothing(figure: Figure, axes: Axes, say: Say) -> bytes:
    axes.set_axis_off()
    axes.text(
        0.5,
        0.5,
        say(_("No figures to show for this period.")),
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontproperties=_font(),
    )
    return _png(figure)


def _rows(table: Table) -> list[tuple[tuple[str, ...], dict[str, Shown]]]:
    """The rows without the total, each with its values by column."""
    return [
        (key, dict(zip(table.columns, values, strict=True)))
        for key, values in table.rows
        if key[0] != TOTAL
    ]


def _height(value: Shown) -> float:
    """How high a bar is drawn: a hidden figure ("< 5" or left out) stands at zero."""
    return float(value) if isinstance(value, int | float) else 0.0


def _label_bars(
    axes: Axes,
    bars: BarContainer,
    values: Sequence[Shown],
    say: Say,
    *,
    numbers: bool,
    rtl: bool = False,
) -> None:
    """Write "< 5" on a suppressed bar, and, with `numbers`, each figure at the end of its bar
    (for right-to-left readers horizontal bars grow to the left, their labels with them)."""
    vertical = bars.orientation == "vertical"
    for bar, value in zip(bars.patches, values, strict=True):
        if not (numbers or isinstance(value, str)):
            continue
        if vertical:
            end = (bar.get_x() + bar.get_width() / 2, bar.get_height())
            offset, ha, va = (0, 4), "center", "bottom"
        else:
            end = (bar.get_width(), bar.get_y() + bar.get_height() / 2)
            offset, ha, va = ((-6, 0), "right", "center") if rtl else ((6, 0), "left", "center")
        axes.annotate(
            say(shown(value)),
            xy=end,
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va=va,
            rotation=90 if vertical and not numbers else 0,
            fontproperties=_font(14),
        )


def _month_ticks(keys: Sequence[tuple[str, ...]], say: Say) -> tuple[list[str], str]:
    """Month names for the axis, and the axis label: the year, when all months share one."""
    firsts = [month_of(key[0]) for key in keys]
    years = {first.year for first in firsts if first}
    if len(years) == 1 and all(firsts):
        labels = [say(MonthText(first, "LLL")) for first in firsts if first]
        return labels, say(Raw(str(years.pop())))
    labels = [
        say(MonthText(first, "LLL yyyy") if first else Raw(key[0]))
        for first, key in zip(firsts, keys, strict=True)
    ]
    return labels, say(COLUMN_TITLES["month"])


def _month_axis(axes: Axes, positions: list[int], labels: list[str]) -> None:
    """Month names under their ticks, slanted when there are many."""
    if len(labels) > 6:
        axes.set_xticks(positions, labels, rotation=45, ha="right", rotation_mode="anchor")
    else:
        axes.set_xticks(positions, labels)


def _requests_per_month(figures: Figures, say: Say) -> bytes:
    figure, axes = _canvas()
    rows = _rows(figures.table("requests_by_month"))
    _title(axes, say(_("Requests made and matched per month")))
    if not rows:
        return _nothing(figure, axes, say)
    positions = list(range(len(rows)))
    width = 0.4
    for offset, column, colour in (
        (-width / 2, "made", MADE_COLOUR),
        (width / 2, "matched", MATCHED_COLOUR),
    ):
        values = [named[column] for _key, named in rows]
        bars = axes.bar(
            [position + offset for position in positions],
            [_height(value) for value in values],
            width,
            color=colour,
            label=say(COLUMN_TITLES[column]),
        )
        _label_bars(axes, bars, values, say, numbers=False)
    labels, axis_label = _month_ticks([key for key, _named in rows], say)
    _month_axis(axes, positions, labels)
    axes.set_xlabel(axis_label, fontproperties=_font())
    axes.set_ylabel(say(_("Requests")), fontproperties=_font())
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.legend(prop=_font())
    return _png(figure)


def _placement_rate(figures: Figures, say: Say) -> bytes:
    figure, axes = _canvas()
    rows = _rows(figures.table("requests_by_month"))
    _title(axes, say(_("Share of requests matched per month")))
    rates = [_rate(named["made"], named["matched"]) for _key, named in rows]
    if all(math.isnan(rate) for rate in rates):
        return _nothing(figure, axes, say)
    positions = list(range(len(rows)))
    axes.plot(positions, rates, marker="o", markersize=10, linewidth=3, color=MATCHED_COLOUR)
    labels, axis_label = _month_ticks([key for key, _named in rows], say)
    _month_axis(axes, positions, labels)
    axes.set_xlabel(axis_label, fontproperties=_font())
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter(100))
    axes.grid(axis="y", alpha=0.3)
    if any(math.isnan(rate) for rate in rates):
        _note(figure, say(_("Months with fewer than five requests or matches are left out.")))
    return _png(figure)


def _rate(made: Shown, matched: Shown) -> float:
    """Matched requests in percent of those made; not a number when either count is hidden."""
    if isinstance(made, int | float) and isinstance(matched, int | float) and made > 0:
        return 100.0 * matched / made
    return math.nan


def _horizontal(axes: Axes, labels: list[str], rtl: bool) -> None:
    """Bars from the right for right-to-left readers, their names on the right."""
    axes.set_yticks(range(len(labels)), labels)
    axes.grid(axis="x", alpha=0.3)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if rtl:
        axes.invert_xaxis()
        axes.yaxis.tick_right()
        axes.spines[["left"]].set_visible(False)
        axes.spines[["right"]].set_visible(True)


def _hours_by_kind(figures: Figures, deployment: Deployment, say: Say, rtl: bool) -> bytes:
    figure, axes = _canvas()
    rows = _rows(figures.table("requests_by_kind"))
    _title(axes, say(_("Hours given by kind of help")))
    given = [(key, named["hours"]) for key, named in rows if named["hours"] is not None]
    # The biggest on top: barh draws from the bottom.
    given.sort(key=lambda item: _height(item[1]))
    if not any(_height(hours) for _key, hours in given):
        return _nothing(figure, axes, say)
    labels = [say(key_label(deployment, "kind", key[0])) for key, _hours in given]
    bars = axes.barh(
        range(len(given)), [_height(hours) for _key, hours in given], color=MATCHED_COLOUR
    )
    _label_bars(axes, bars, [hours for _key, hours in given], say, numbers=True, rtl=rtl)
    _horizontal(axes, labels, rtl)
    axes.set_xlabel(say(COLUMN_TITLES["hours"]), fontproperties=_font())
    if len(given) < len(rows):
        _note(figure, say(_("Kinds of help with fewer than five helps done are left out.")))
    return _png(figure)


def _districts(figures: Figures, deployment: Deployment, say: Say, rtl: bool) -> bytes:
    figure, axes = _canvas()
    table = figures.table("requests_by_district")
    rows = _rows(table)
    _title(axes, say(_("Requests made and matched by district")))
    if not rows:
        return _nothing(figure, axes, say)
    rows.sort(key=lambda row: (_height(row[1]["made"]), _height(row[1]["matched"])))
    labels = [say(row_name(deployment, table, key)) for key, _named in rows]
    positions = list(range(len(rows)))
    height = 0.4
    for offset, column, colour in (
        (height / 2, "made", MADE_COLOUR),
        (-height / 2, "matched", MATCHED_COLOUR),
    ):
        values = [named[column] for _key, named in rows]
        bars = axes.barh(
            [position + offset for position in positions],
            [_height(value) for value in values],
            height,
            color=colour,
            label=say(COLUMN_TITLES[column]),
        )
        _label_bars(axes, bars, values, say, numbers=True, rtl=rtl)
    _horizontal(axes, labels, rtl)
    axes.set_xlabel(say(_("Requests")), fontproperties=_font())
    axes.legend(prop=_font(), loc="lower left" if rtl else "lower right")
    return _png(figure)
