"""📊 The agency's figures in the chat: a coordinator picks a period and gets a summary, a chart
and the spreadsheet, for their municipalities only, with small numbers hidden."""

from __future__ import annotations

import re
from datetime import date, timedelta

from engine.i18n import Raw, Text, _, lines
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Say, Step
from engine.types import Button, OutgoingFile
from engine.when import parse_date, today
from exchange import staff, statistics
from exchange.statistics import Figures, Period
from handlers.targets import AGENCY_QUEUE, FIGURES_FLOW, MAIN_MENU
from vocabulary.charts import charts
from vocabulary.figures import Percent, period_text, shown
from vocabulary.spreadsheet import workbook

THIS_MONTH = "figures:this-month"
LAST_MONTH = "figures:last-month"
THIS_YEAR = "figures:this-year"
LAST_YEAR = "figures:last-year"
CHOOSE = "figures:choose"
QUEUE = "figures:queue"
# Longer periods are for the operator's export (`ehrenamt report stats`).
LONGEST = timedelta(days=3 * 366)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_RANGE = re.compile(r"^\s*(\S+)\s*(?:-|–|—|bis|to)\s*(\S+)\s*$", re.IGNORECASE)


def _ask_period(ctx: Ctx) -> Prompt:
    return Prompt(
        _("📊 The agency's figures, with a chart and a spreadsheet. For which time?"),
        (
            (Button(THIS_MONTH, _("This month")), Button(LAST_MONTH, _("Last month"))),
            (Button(THIS_YEAR, _("This year")), Button(LAST_YEAR, _("Last year"))),
            (Button(CHOOSE, _("📅 Choose a period")),),
            (Button(QUEUE, _("🗂 Back to the queue")),),
        ),
    )


def _preset(payload: str, day: date) -> tuple[date, date] | None:
    first = day.replace(day=1)
    if payload == THIS_MONTH:
        return first, day
    if payload == LAST_MONTH:
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if payload == THIS_YEAR:
        return day.replace(month=1, day=1), day
    if payload == LAST_YEAR:
        return date(day.year - 1, 1, 1), date(day.year - 1, 12, 31)
    return None


async def _period_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == QUEUE:
        return Goto(AGENCY_QUEUE)
    if payload == CHOOSE:
        return Goto("range")
    chosen = _preset(payload, today(ctx))
    if chosen is None:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    return await _figures(ctx, *chosen)


async def _range_typed(ctx: Ctx, text: str) -> Outcome:
    found = _RANGE.match(text)
    day = today(ctx)
    start = parse_date(found.group(1), date(day.year, 1, 1)) if found else None
    end = parse_date(found.group(2), date(day.year, 1, 1)) if found else None
    if start is None or end is None or start > end:
        return Retry(_("Please type the first and the last day like 01.01.2026 - 31.03.2026."))
    if end - start > LONGEST:
        return Retry(_("Please choose at most three years."))
    return await _figures(ctx, start, min(end, day))


def _summary(figures: Figures) -> Text:
    total = figures.table("requests_by_month").row(statistics.TOTAL)
    volunteers = figures.table("volunteers_by_month").row(statistics.TOTAL)
    made, matched = total["made"], total["matched"]
    rate: Text = (
        Percent(matched / made)
        if isinstance(made, int) and isinstance(matched, int) and made >= statistics.SMALL
        else Raw("–")
    )
    return lines(
        _("📊 {period}", period=period_text(figures)),
        _(
            "Requests: {made}, matched: {matched} ({rate})",
            made=shown(made),
            matched=shown(matched),
            rate=rate,
        ),
        _("Median time to a match: {hours} hours", hours=shown(total["median_hours_to_match"])),
        _("Hours given: {hours}", hours=shown(total["hours"])),
        _(
            "New volunteers: {new}, active: {active}",
            new=shown(volunteers["new"]),
            active=shown(volunteers["active"]),
        ),
        _("Fewer than five are shown as “< 5”, so that nobody can be recognised."),
    )


async def _figures(ctx: Ctx, start: date, end: date) -> Outcome:
    assert ctx.user is not None
    where = await staff.scope_of(ctx.session, ctx.deployment, ctx.user)
    if not where.coordinator:
        return Goto(MAIN_MENU, notes=(_("This is only for the agency's coordinators."),))
    period = Period(start, end, ctx.deployment.tz)
    figures = statistics.published(
        await statistics.compute(
            ctx.session, period, municipalities=where.municipalities, now=ctx.now
        )
    )

    def render(text: Text) -> str:
        return ctx.tr.render(text, ctx.language)

    pictures = charts(
        figures, deployment=ctx.deployment, render=render, rtl=ctx.tr.is_rtl(ctx.language)
    )
    chart = "requests_per_month" if len(period.months()) > 1 else "districts"
    name = f"{start:%Y-%m-%d}_{end:%Y-%m-%d}"
    sheet = workbook(figures, deployment=ctx.deployment, render=render)
    return Goto(
        "period",
        cards=(
            Say(
                _summary(figures),
                file=OutgoingFile(f"{chart}_{name}.png", pictures[chart], "image/png"),
            ),
            Say(
                _("📎 Every table, with the definitions: open it in a spreadsheet."),
                file=OutgoingFile(f"figures_{name}.xlsx", sheet, XLSX),
            ),
        ),
    )


FLOW = Flow(
    FIGURES_FLOW,
    start="period",
    steps={
        "period": Step(
            ask=_ask_period,
            on_choice=_period_chosen,
            next=("period", "range", AGENCY_QUEUE, MAIN_MENU),
            cancel=False,
        ),
        "range": Step(
            ask=lambda ctx: Prompt(
                _("Please type the first and the last day like 01.01.2026 - 31.03.2026.")
            ),
            on_text=_range_typed,
            next=("period", MAIN_MENU),
            back="period",
        ),
    },
)
