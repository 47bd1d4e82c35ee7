"""Recognition: the hours a volunteer reported, confirmed by the asker's feedback or a
coordinator, shown on the profile by kind of help, with the trainings attended."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from bot.app import App
from storage.models import AuditEvent, Match
from tests.chat import Chat, Inbox, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_after_match import ask_for_myself
from tests.test_agency import coordinator, queue_button
from tests.test_events import create_event
from tests.test_push import request_for_mother, volunteer_profile
from tests.test_staff import admin


async def helped(
    erika: Chat, inbox: Inbox, clock: FrozenClock, hours: str, *, good: Chat | None
) -> None:
    """Erika accepts the newest offer; the day after, she reports `hours`, and the asker `good`
    (if given) says all went well."""
    await inbox.run()
    offer = [m for m in inbox.of(erika) if "Können Sie helfen?" in m.text][-1]
    await press_on(erika, offer, "✅ Ich kann helfen")
    clock.now = clock.now.replace(day=24, hour=12)  # Tuesday noon: the help took place
    await inbox.run()
    question = [m for m in inbox.of(erika) if "Hat die Hilfe stattgefunden?" in m.text][-1]
    await press_on(erika, question, hours)
    if good is not None:
        await press_on(good, inbox.of(good)[-1], "👍 Ja, danke")


async def test_hours_count_as_confirmed_by_the_askers_feedback_or_a_coordinator(
    app: App,
    chat: Callable[..., Chat],
    clock: FrozenClock,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    answer = await erika.press("👤 Mein Profil")
    assert "⏱ Noch keine Stunden." in answer

    inbox = Inbox(app)
    sabine = await request_for_mother(chat("sabine"))
    await helped(erika, inbox, clock, "✅ 2 Stunden", good=sabine)
    await ask_for_myself(chat("helga"), day="Di., 1. Dez.")
    clock.now = clock.now.replace(day=30, hour=9)
    await inbox.run()
    offer = [m for m in inbox.of(erika) if "Können Sie helfen?" in m.text][-1]
    await press_on(erika, offer, "✅ Ich kann helfen")
    clock.now = clock.now.replace(month=12, day=1, hour=12)
    await inbox.run()
    question = [m for m in inbox.of(erika) if "Hat die Hilfe stattgefunden?" in m.text][-1]
    await press_on(erika, question, "✅ 3 Stunden")  # Helga says nothing afterwards

    await erika.send("/menu")
    answer = await erika.press("👤 Mein Profil")
    assert "⏱ Ihre Stunden: 5 in diesem Jahr (2 bestätigt), 5 insgesamt." in answer
    assert "🛒 Einkaufen: 5 Std., 2 Einsätze" in answer

    async with app.sessions() as session:
        unconfirmed = (
            await session.exec(select(Match).where(col(Match.seeker_feedback).is_(None)))
        ).one()
    code, out = await admin(capsys, database_url, "confirm-hours", str(unconfirmed.id))
    assert (code, out) == (0, "Confirmed: 3 hours.\n")
    code, out = await admin(capsys, database_url, "confirm-hours", str(unconfirmed.id))
    assert "Nothing to confirm" in out  # once is enough
    async with app.sessions() as session:
        audited = (await session.exec(select(AuditEvent.action))).all()
    assert audited.count("confirm hours") == 1

    await erika.send("/menu")
    answer = await erika.press("👤 Mein Profil")
    assert "⏱ Ihre Stunden: 5 in diesem Jahr (5 bestätigt), 5 insgesamt." in answer

    # A new year: this year's hours start again; the total stays.
    clock.now = clock.now.replace(year=2027, month=1, day=4) + timedelta(hours=2)
    await erika.send("/menu")
    answer = await erika.press("👤 Mein Profil")
    assert "⏱ Ihre Stunden: 0 in diesem Jahr (0 bestätigt), 5 insgesamt." in answer


async def test_the_profile_shows_no_hours_yet_and_the_trainings_attended_in_english(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    karl = chat("karl", "en")
    await onboard(karl, "volunteer", "en")
    await karl.press("👤 My volunteer profile")
    await karl.send("Karl")
    for label in (
        "18 or older",
        "🛒 Shopping",
        "➡️ Continue",
        "Büdesheim",
        "➡️ Continue",
        "Tue morning",
        "➡️ Continue",  # the rest has defaults: on to the summary
    ):
        await karl.press(label)
    answer = await karl.press("✅ Save")
    await karl.send("/menu")
    answer = await karl.press("👤 My volunteer profile")
    assert "⏱ No hours yet. After each help you tell us how long it took." in answer

    anna = await coordinator(app, chat("anna", "en"))
    await create_event(anna, kind="🎓 Training", audience="Volunteers", seats="10")
    await karl.send("/menu")
    await karl.press("📅 Events")
    await karl.press("Wed 25 Nov, 15:00 · Café in the Stift")
    await karl.press("✅ Sign up")
    await anna.send("/menu")
    await anna.press("📅 Events")
    await anna.press("Wed 25 Nov, 15:00 · Café in the Stift")
    await anna.press("✔️ Who came")
    await anna.press("Karl")
    await anna.press("✅ Done")
    await karl.send("/menu")
    answer = await karl.press("👤 My volunteer profile")
    assert "🎓 Trainings attended: 1" in answer

    # A certificate counts the trainings of its year only.
    clock.now = clock.now.replace(day=26)  # the day after the training
    await karl.send("/menu")
    await karl.press("👤 My volunteer profile")
    for year, trainings in (("2026", "1"), ("2025", "0")):
        await karl.press("🏅 Certificate of my hours")
        await karl.press(year)
        await karl.press("Only German")
        await karl.send("Karl Kramer")
        assert karl.last_turn is not None
        [pdf] = [r.file for r in karl.last_turn.replies if r.file is not None]
        [page] = [page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages]
        assert f"Besuchte Schulungen: {trainings}" in page
        await karl.press("No, thank you")


async def test_the_certificate_holds_the_confirmed_hours_no_one_helped_and_a_code_that_checks(
    app: App,
    chat: Callable[..., Chat],
    clock: FrozenClock,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    inbox = Inbox(app)
    sabine = await request_for_mother(chat("sabine"))
    await helped(erika, inbox, clock, "✅ 2 Stunden", good=sabine)

    await erika.send("/menu")
    await erika.press("👤 Mein Profil")
    answer = await erika.press("🏅 Nachweis meiner Stunden")
    assert "Für welches Jahr?" in answer
    answer = await erika.press("2026")
    assert "vollständiger Name" in answer
    answer = await erika.send("Erika Mustermann-Çelik")
    assert erika.last_turn is not None
    [pdf] = [r.file for r in erika.last_turn.replies if r.file is not None]
    assert pdf.filename == "Ehrenamtsnachweis-2026.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ehrenamtsnachweis" in text
    assert "Erika Mustermann-Çelik" in text
    assert "Ehrenamtsbörse Bingen" in text
    assert "Einkaufen" in text and "Stunden in 2026: 2" in text
    assert "Helga" not in text and "Sabine" not in text and "Hauptstraße" not in text
    code = text.split("Prüfcode: ")[1][:10]
    assert f"Der Prüfcode ist {code}" in answer
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1  # German only, for a German reader
    answer = await erika.press("Nein, danke")
    assert "🏅 Nachweis meiner Stunden" in erika.last.labels  # the profile card again

    code_out = await admin(capsys, database_url, "verify-certificate", code)
    assert code_out[0] == 0 and "Valid: issued on 2026-11-24" in code_out[1]
    assert "2 confirmed hours" in code_out[1] and "shopping: 2 hours, 1 assignments" in code_out[1]
    assert "Mustermann" not in code_out[1]  # the name is not kept
    code_out = await admin(capsys, database_url, "verify-certificate", "ABCDEFGHJK")
    assert "not one of ours" in code_out[1]


async def test_a_coordinator_confirms_the_open_hours_and_signs_the_certificate_in_the_chat(
    app: App,
    chat: Callable[..., Chat],
    clock: FrozenClock,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A volunteer who reads English gets a German page and an English one, asks the agency to
    sign; the coordinator confirms the hours nobody confirmed and issues the signed certificate."""
    anna = await coordinator(app, chat("anna", "en"))
    erika = await volunteer_profile(chat("erika"), "Erika")
    inbox = Inbox(app)
    await request_for_mother(chat("sabine"))
    await helped(erika, inbox, clock, "✅ 3 Stunden", good=None)  # the asker says nothing
    await erika.send("/language")
    await erika.press("English")

    await erika.send("/menu")
    await erika.press("👤 My volunteer profile")
    await erika.press("🏅 Certificate of my hours")
    await erika.press("2026")
    answer = await erika.press("German and English")
    answer = await erika.send("Erika Mustermann")
    assert "0 confirmed hours" in answer
    assert erika.last_turn is not None
    [pdf] = [r.file for r in erika.last_turn.replies if r.file is not None]
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages]
    assert len(pages) == 2
    assert "Ehrenamtsnachweis" in pages[0] and "Volunteer certificate" in pages[1]
    answer = await erika.press("✍️ Yes, please")
    assert "A coordinator checks your hours" in answer

    await anna.send("/menu")
    await anna.press(queue_button(anna))
    answer = await anna.press(
        next(label for label in anna.last.labels if "Certificate to sign" in label)
    )
    assert "⏱ 3 hours this year, 0 of them confirmed." in answer
    assert "1 help is not confirmed yet." in answer
    answer = await anna.press("✅ Confirm the open hours")
    assert "✅ Confirmed: 3 hours." in answer
    assert "⏱ 3 hours this year, 3 of them confirmed." in answer
    assert "✅ Confirm the open hours" not in anna.last.labels
    answer = await anna.press("✍️ Issue and sign the certificate")
    assert "full name" in answer
    answer = await anna.send("Erika Mustermann")
    assert "🏅 Signed certificate for Erika Mustermann: 3 confirmed hours" in answer
    assert anna.last_turn is not None
    [signed] = [r.file for r in anna.last_turn.replies if r.file is not None]
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(signed.content)).pages]
    assert "Stunden in 2026: 3" in pages[0]
    assert "unterschrieben" in pages[0] and "signed off" in pages[1]
    code = pages[0].split("Prüfcode: ")[1][:10]
    assert "Certificate to sign" not in " ".join(anna.last.labels)  # the case is closed

    await inbox.run()
    told = [m for m in inbox.of(erika) if "signed your certificate" in m.text]
    assert len(told) == 1 and code in told[0].text
    code_out = await admin(capsys, database_url, "verify-certificate", code)
    assert "3 confirmed hours" in code_out[1] and "signed off by a coordinator" in code_out[1]
    async with app.sessions() as session:
        audited = (await session.exec(select(AuditEvent.action))).all()
    assert audited.count("confirm hours") == 1
