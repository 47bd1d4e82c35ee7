"""Newsletters and campaigns: written once with versions per language, reaching exactly the chosen
audience in each reader's language, never in quiet hours, counted for their author; news stopped
with one tap on the message, or chosen in the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.app import App
from bot.config import Settings
from exchange import people
from storage.models import NewsKind, NewsOptOut
from tests.chat import Chat, Inbox, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_agency import coordinator, queue_button
from tests.test_documents import shelf
from tests.test_push import volunteer_profile

ENGLISH = "Our volunteer evening is on Friday at 6 pm in the Stift. Everyone is welcome!"
GERMAN = "Unser Ehrenamtsabend ist am Freitag um 18 Uhr im Stift. Alle sind willkommen!"
ARABIC = "أمسية المتطوعين يوم الجمعة الساعة السادسة في شتيفت. الجميع مرحب بهم!"


async def speaks(person: Chat, language: str) -> Chat:
    await person.send("/language")
    await person.press(language)
    return person


async def write_newsletter(
    anna: Chat, *, districts: tuple[str, ...] = ("Büdesheim",), document: str = "Skip"
) -> str:
    await anna.send("/menu")
    await anna.press(queue_button(anna))
    await anna.press("📣 Write to many people")
    await anna.press("📰 Newsletter")
    await anna.press("Volunteers")
    await anna.press("➡️ Continue")
    for district in districts:
        await anna.press(district)
    await anna.press("➡️ Continue")
    await anna.press("➡️ Continue")  # every language
    await anna.send(ENGLISH)
    await anna.press("Skip")  # no photo
    await anna.press(document)
    await anna.press("➕ Deutsch")
    await anna.send(GERMAN)
    await anna.press("➕ العربية")
    await anna.send(ARABIC)
    await anna.press("➡️ Continue")
    return await anna.press("Now")


async def test_a_newsletter_in_three_languages_reaches_exactly_its_audience_after_quiet_hours(
    app: App, chat: Callable[..., Chat], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    clock.now = clock.now.replace(hour=20, minute=30)  # 21:30 in Bingen: quiet hours
    erika = await volunteer_profile(chat("erika"), "Erika")
    karl = await speaks(await volunteer_profile(chat("karl"), "Karl"), "English")
    amira = await speaks(await volunteer_profile(chat("amira"), "Amira"), "العربية")
    tolga = await speaks(await volunteer_profile(chat("tolga"), "Tolga"), "Türkçe")
    otto = await volunteer_profile(chat("otto"), "Otto", district="Kempten")
    helga = await onboard(chat("helga"), "seeker")
    gone = await volunteer_profile(chat("gone"), "Gone")
    anna = await coordinator(app, chat("anna", "en"))

    upload = tmp_path / "Leitfaden.pdf"
    upload.write_bytes(b"%PDF-1.4 a guide for volunteers")
    await shelf(
        settings,
        clock,
        "add",
        str(upload),
        "--category",
        "guides",
        "--title",
        "de=Leitfaden für Ehrenamtliche",
        "--title",
        "en=Guide for volunteers",
    )
    answer = await write_newsletter(anna, document="📄 Guide for volunteers")
    assert "📄 With a document" in answer
    assert "👥 It reaches 5 people today." in answer  # the volunteers of Büdesheim
    assert ENGLISH in answer
    assert "Versions: English, Deutsch, العربية" in answer
    answer = await anna.press("📣 Send")
    assert "✅ Planned. It goes out now" in answer

    async with app.sessions() as session, session.begin():
        await people.mark_unreachable(session, gone.user_key, clock.now)  # left the bot meanwhile
    inbox = Inbox(app)
    await inbox.run()
    assert all(inbox.of(person) == [] for person in (erika, karl, amira, tolga))  # quiet hours

    clock.now += timedelta(hours=11)  # 08:30 the next morning
    await inbox.run()
    [german] = inbox.of(erika)
    assert german.text.startswith("📰 Newsletter") and GERMAN in german.text
    [english] = inbox.of(karl)
    assert ENGLISH in english.text
    # The document is a tap away, not sent to everyone at once.
    assert german.labels[0] == "📄 Leitfaden für Ehrenamtliche"
    await press_on(erika, german, "📄 Leitfaden für Ehrenamtliche")
    assert erika.history[-2].file is not None
    assert erika.history[-2].file.content == b"%PDF-1.4 a guide for volunteers"
    [arabic] = inbox.of(amira)
    assert ARABIC in arabic.text
    [turkish] = inbox.of(tolga)  # no Turkish version: the default one, its language marked
    assert ENGLISH in turkish.text and "İngilizce" in turkish.text
    assert inbox.of(otto) == [] and inbox.of(helga) == [] and inbox.of(gone) == []

    await inbox.run()  # all sent: the author learns the count
    [report] = [m for m in inbox.of(anna) if "Your message went out" in m.text]
    assert "4 people reached, 1 could not be reached" in report.text

    # One tap on the message stops newsletters; the next one passes her by.
    answer = await press_on(erika, german, "🔕 Keine Newsletter mehr")
    assert "🔕 Erledigt: keine 📰 Newsletter mehr." in answer
    await write_newsletter(anna)
    await anna.press("📣 Send")
    await inbox.run()
    assert len(inbox.of(erika)) == 1
    assert len(inbox.of(karl)) == 2
    async with app.sessions() as session:
        stopped = (await session.exec(select(NewsOptOut))).all()
    assert [(s.kind) for s in stopped] == [NewsKind.NEWSLETTERS]


async def test_news_are_chosen_in_the_settings_and_a_forged_stop_changes_nothing(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = await onboard(chat("karl", "en"), "volunteer", "en")
    answer = await karl.press("🔔 News")
    assert "✅ 📣 Campaigns" in karl.last.labels
    answer = await karl.press("✅ 📣 Campaigns")
    assert "🔕 📣 Campaigns" in karl.last.labels
    answer = await karl.press_payload("act:news:stop:nonsense")
    assert "This button is no longer valid." in answer
    await karl.send("/menu")
    await karl.press("🔔 News")
    assert karl.last.labels[:3] == ["✅ 📅 New events", "🔕 📣 Campaigns", "✅ 📰 Newsletters"]
    answer = await karl.press("🔕 📣 Campaigns")
    assert "✅ 📣 Campaigns" in karl.last.labels


async def test_only_coordinators_write_newsletters(app: App, chat: Callable[..., Chat]) -> None:
    karl = await onboard(chat("karl", "en"), "volunteer", "en")
    answer = await karl.press_payload("agency:newsletter")
    assert "This button is no longer valid." in answer
    async with app.sessions() as session:
        assert (await session.exec(select(NewsOptOut))).all() == []
