"""📊 Figures in the chat: a coordinator picks a period and gets the summary, a chart and the
spreadsheet, with small numbers hidden; a wrong period gets a clear answer."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.app import App
from exchange import statistics
from exchange.statistics import Period
from synthetic import history
from tests.chat import Chat, Inbox, onboard
from tests.conftest import FrozenClock
from tests.test_agency import coordinator, queue_button
from tests.test_push import request_for_mother, volunteer_profile
from tests.test_recognition import helped


async def test_a_coordinator_gets_the_figures_as_a_chart_and_a_spreadsheet(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    await history.fill(app.engine, 120, 150, 20, now=clock.now)
    anna = await coordinator(app, chat("anna", "en"))
    await anna.press(queue_button(anna))
    answer = await anna.press("📊 Figures")
    assert "For which time?" in answer
    answer = await anna.press("This year")
    assert anna.last_turn is not None
    files = [r for r in anna.last_turn.replies if r.file is not None]
    assert [f.file.filename.rsplit(".", 1)[1] for f in files if f.file] == ["png", "xlsx"]
    chart, sheet = (f.file for f in files if f.file)
    assert chart.content.startswith(b"\x89PNG")
    assert "Requests: " in answer and "“< 5”" in answer
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames[0] == "About" and book.sheetnames[-1] == "Definitions"
    assert "Requests by month" in book.sheetnames
    values = [cell.value for row in book["Requests by language"].iter_rows() for cell in row]
    assert "< 5" in values  # a small town's rarer languages
    assert not any(isinstance(v, int) and 0 < v < statistics.SMALL for v in values)
    assert "For which time?" in answer  # and it asks again, for another period

    answer = await anna.press("📅 Choose a period")
    answer = await anna.send("sometime last spring")
    assert "Please type the first and the last day like 01.01.2026 - 31.03.2026." in answer
    answer = await anna.send("31.10.2026 - 01.06.2026")
    assert "Please type the first and the last day" in answer
    answer = await anna.send("01.06.2026 - 31.10.2026")
    assert "📊 1 June 2026 to 31 October 2026" in answer
    assert anna.last_turn is not None
    assert len([r for r in anna.last_turn.replies if r.file is not None]) == 2
    answer = await anna.press("🗂 Back to the queue")
    assert "Agency queue" in answer


async def test_the_figures_are_only_for_coordinators(app: App, chat: Callable[..., Chat]) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    await anna.press(queue_button(anna))
    assert "📊 Figures" in anna.last.labels
    karl = await onboard(chat("karl", "en"), "volunteer", "en")
    answer = await karl.send("/menu")
    assert not any("Agency queue" in label for label in karl.last.labels)
    assert "📊" not in answer


async def test_the_time_to_a_match_ends_when_the_volunteer_accepts_not_when_hours_come(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    inbox = Inbox(app)
    sabine = await request_for_mother(chat("sabine"))
    clock.advance(timedelta(hours=3))  # Erika answers three hours after the request
    await helped(erika, inbox, clock, "✅ 2 Stunden", good=sabine)  # hours reported a day later
    period = Period(date(2026, 11, 1), date(2026, 11, 30), ZoneInfo("Europe/Berlin"))
    async with app.sessions() as session:
        figures = await statistics.compute(session, period, now=clock.now)
    total = figures.table("requests_by_month").row(statistics.TOTAL)
    assert (total["made"], total["matched"], total["within_24h"]) == (1, 1, 1)
    assert total["median_hours_to_match"] == 3.0
    assert (total["helps"], total["hours"], total["feedback_good"]) == (1, 2, 1)
    volunteers = figures.table("volunteers_by_month").row("2026-11")
    assert volunteers == {"new": 1, "active": 1}
