"""Community life over Telegram, on both frameworks: a seeker finds an event and takes a seat,
fetches a document of the shelf as a file, receives the calendar file and a newsletter with its
photo, and stops newsletters with a tap on it; a coordinator sends a file for the shelf, and gets
the agency's figures as a chart and a spreadsheet."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from exchange import newsletters
from exchange.newsletters import Audience
from push.jobs import tick
from storage.models import NewsKind, User
from synthetic import history
from tests.chat import Chat, onboard
from tests.conftest import FrozenClock
from tests.standin import BotApiStandin
from tests.test_agency import grant
from tests.test_documents import shelf
from tests.test_events import create_event
from tests.test_telegram_relay import settings_for

HELGA = 4201
GUIDE = b"%PDF-1.4 a guide for people who look for help"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_an_event_a_document_and_a_newsletter_over_telegram(
    framework: str,
    standin: BotApiStandin,
    database_url: str,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    settings = settings_for(standin, database_url, framework).model_copy(
        update={"storage_dir": tmp_path / "files"}
    )
    upload = tmp_path / "Ratgeber.pdf"
    upload.write_bytes(GUIDE)
    async with running_app(settings, clock=clock) as app:
        anna = await onboard(Chat(app, "anna", "en"), "volunteer", "en")
        await grant(app, anna)
        await anna.send("/menu")
        await create_event(anna, seats="10", audience="Everyone")
        await shelf(
            settings,
            clock,
            "add",
            str(upload),
            "--category",
            "guides",
            "--title",
            "de=Ratgeber für Hilfesuchende",
            "--title",
            "en=Guide",
        )
        await onboard(Chat(app, "helga", "de", key=f"telegram:{HELGA}"), "seeker")
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        helga = standin.user(HELGA, "Helga")
        try:
            await helga.send_text("/menu")
            await helga.wait_for_message(lambda m: "🏠 Hauptmenü" in (m.text or ""))
            await helga.press("📅 Veranstaltungen")
            await helga.wait_for_message(lambda m: "1 Veranstaltung für Sie" in (m.text or ""))
            await helga.press("Mi., 25. Nov., 15:00 · Café in the Stift")
            await helga.wait_for_message(lambda m: "🪑 10 Plätze frei" in (m.text or ""))
            await helga.press("✅ Anmelden")
            await helga.wait_for_message(lambda m: "Welchen Vornamen" in (m.text or ""))
            await helga.send_text("Helga")
            await helga.wait_for_message(lambda m: "✅ Sie haben einen Platz." in (m.text or ""))

            await helga.send_text("/menu")
            await helga.wait_for_message(lambda m: "🏠 Hauptmenü" in (m.text or ""))
            await helga.press("📂 Unterlagen")
            await helga.wait_for_message(lambda m: "📂" in (m.text or ""))
            await helga.press(helga.chat.messages[-1].buttons()[0][0]["callback_data"])
            await helga.wait_for_message(lambda m: "Tippen Sie auf ein Dokument" in (m.text or ""))
            await helga.press("📄 Ratgeber für Hilfesuchende")
            await helga.wait_for_message(lambda m: m.document is not None)
            [guide] = [d for d in helga.chat.documents if d.filename == "Ratgeber.pdf"]
            assert guide.content == GUIDE

            async with app.sessions() as session, session.begin():
                author = (await session.exec(select(User).where(User.key == anna.user_key))).one()
                await newsletters.create(
                    session,
                    author=author,
                    kind=NewsKind.NEWSLETTERS,
                    audience=Audience("bingen"),
                    texts={"de": "Herzliche Einladung zum Adventscafé!", "en": "Come along!"},
                    default_language="en",
                    photo="AgACAgIAAxkBAAIBadvent",
                    send_at=clock.now,
                    now=clock.now,
                )
            clock.advance(timedelta(minutes=1))
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            calendar = await helga.wait_for_message(
                lambda m: m.document is not None and "Kalender" in (m.caption or "")
            )
            [ics] = [d for d in helga.chat.documents if (d.filename or "").endswith(".ics")]
            assert ics.content is not None and calendar is not None
            [event] = Calendar.from_ical(ics.content).walk("VEVENT")
            assert "Café in the Stift" in str(event["summary"])
            news = await helga.wait_for_message(lambda m: m.photo is not None)
            assert "Herzliche Einladung zum Adventscafé!" in (news.caption or "")
            await helga.press("🔕 Keine Newsletter mehr", on=news)
            await helga.wait_for_message(lambda m: "🔕 Erledigt" in (m.text or ""))
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())
        finally:
            await bot.stop()
        async with app.sessions() as session:
            reader = (await session.exec(select(User).where(User.key == f"telegram:{HELGA}"))).one()
            assert reader.id is not None
            assert not await newsletters.wants(session, reader.id, NewsKind.NEWSLETTERS)


KOORDINATION = 4202
FORM = b"%PDF-1.4 a form sent in the chat"


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_coordinator_sends_a_file_for_the_shelf_over_telegram(
    framework: str,
    standin: BotApiStandin,
    database_url: str,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    files = tmp_path / "files"
    settings = settings_for(standin, database_url, framework).model_copy(
        update={"storage_dir": files}
    )
    async with running_app(settings, clock=clock) as app:
        koordination = Chat(app, "koordination", "de", key=f"telegram:{KOORDINATION}")
        await onboard(koordination, "volunteer")
        await grant(app, koordination)
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        user = standin.user(KOORDINATION, "Karin")
        try:
            await user.send_text("/menu")
            await user.wait_for_message(lambda m: "🏠 Hauptmenü" in (m.text or ""))
            await user.press("📂 Unterlagen")
            await user.wait_for_message(lambda m: "📂" in (m.text or ""))
            await user.press("➕ Dokument hinzufügen oder ersetzen")
            await user.wait_for_message(lambda m: "📎" in (m.text or ""))
            await user.send_document(FORM, "Antrag.pdf")
            await user.wait_for_message(lambda m: "neues Dokument" in (m.text or ""))
            await user.press("🆕 Ein neues Dokument")
            await user.wait_for_message(lambda m: "Thema" in (m.text or ""))
            await user.press("📝 Formulare")
            await user.wait_for_message(lambda m: "Wie heißt es" in (m.text or ""))
            await user.send_text("Antrag auf Aufwandsentschädigung")
            await user.wait_for_message(lambda m: "Bis wann" in (m.text or ""))
            await user.press("♾ Kein Enddatum")
            await user.wait_for_message(lambda m: "Antrag.pdf" in (m.text or ""))
            await user.press("✅ In die Unterlagen stellen")
            await user.wait_for_message(lambda m: "📥 Erhalten." in (m.text or ""))

            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            await user.wait_for_message(lambda m: "(Version 1)" in (m.text or ""))
            assert standin.downloads == ["BQACup1"]  # fetched once, through getFile
            assert [path.read_bytes() for path in files.iterdir()] == [FORM]
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())
        finally:
            await bot.stop()


KARIN = 4203


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_coordinator_gets_the_figures_as_a_chart_and_a_spreadsheet_over_telegram(
    framework: str, standin: BotApiStandin, database_url: str, clock: FrozenClock
) -> None:
    async with running_app(settings_for(standin, database_url, framework), clock=clock) as app:
        await history.fill(app.engine, 80, 100, 12, now=clock.now)
        karin = Chat(app, "karin", "de", key=f"telegram:{KARIN}")
        await onboard(karin, "volunteer")
        await grant(app, karin)
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        user = standin.user(KARIN, "Karin")
        try:
            await user.send_text("/menu")
            menu = await user.wait_for_message(lambda m: "🏠 Hauptmenü" in (m.text or ""))
            [queue] = [
                b["text"] for row in menu.buttons() for b in row if b["text"].startswith("🗂")
            ]
            await user.press(queue)
            await user.wait_for_message(lambda m: "📊 Zahlen" in str(m.buttons()))
            await user.press("📊 Zahlen")
            await user.wait_for_message(lambda m: "Für welche Zeit?" in (m.text or ""))
            await user.press("Dieses Jahr")
            await user.wait_for_message(lambda m: "Für welche Zeit?" in (m.text or ""))
            chart, sheet = user.chat.documents[-2:]
            assert (chart.filename or "").endswith(".png") and chart.content is not None
            assert chart.content.startswith(b"\x89PNG")
            assert "Anfragen: " in (chart.caption or "")
            assert (sheet.filename or "").endswith(".xlsx") and sheet.content is not None
            book = load_workbook(io.BytesIO(sheet.content))
            assert "Anfragen nach Monat" in book.sheetnames
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())
        finally:
            await bot.stop()
