"""The Börse for volunteers: open requests and positions that fit them, browsed and taken in the
chat; a position reaches a volunteer who joins after it was posted."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select

from bot.app import App
from storage.models import HelpRequest, Interest, RequestStatus
from tests.chat import Chat, Inbox, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_after_match import ask_for_myself, card_of
from tests.test_organisation import TITLE, approved, post
from tests.test_push import request_for_mother, volunteer_profile


async def test_open_requests_that_fit_are_listed_nearest_first_and_taken_in_a_tap(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    await request_for_mother(chat("sabine"), district="Kempten", name="Erna")
    await ask_for_myself(chat("helga"))
    await ask_for_myself(chat("olga"), kind="☕ Besuche und Gespräche", name="Olga")

    answer = await erika.press("🔎 Offene Anfragen")
    assert "🔎 2 offene Anfragen passen zu Ihnen:" in answer
    assert answer.index("in Büdesheim") < answer.index("in Kempten")  # her district first
    assert "Besuche" not in answer  # not a kind of help she offers
    assert "Hauptstraße" not in answer  # addresses only after accepting
    assert erika.last.labels[:2] == ["✅ 1: Ich kann helfen", "✅ 2: Ich kann helfen"]

    answer = await erika.press("✅ 1: Ich kann helfen")
    assert "🤝 Danke! Sie helfen Helga." in answer
    assert "✉️ Nachricht an Helga" in card_of(erika, "Sie helfen Helga").labels
    # The list again: without it, and without Erna's, which is on Tuesday morning too.
    assert "🔎 Im Moment passt keine offene Anfrage zu Ihnen." in erika.last.text
    async with app.sessions() as session:
        ordered = select(HelpRequest).order_by(col(HelpRequest.id))
        _ernas, helgas, _olgas = (await session.exec(ordered)).all()
    assert helgas.status == RequestStatus.MATCHED

    # A forged or spent button changes nothing.
    answer = await erika.press_payload(f"take:{helgas.id}")
    assert "Diese Taste gilt nicht mehr" in answer
    answer = await erika.press("↩️ Zurück")
    assert "🏠 Hauptmenü" in answer

    # Planning offers her nothing she took or that overlaps it.
    inbox = Inbox(app)
    await inbox.run()
    assert inbox.of(erika) == []


async def test_the_list_narrows_to_a_kind_or_a_district_in_one_tap_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = chat("karl", "en")
    await onboard(karl, "volunteer", "en")
    await karl.press("👤 My volunteer profile")
    await karl.send("Karl")
    await karl.press("18 or older")
    await karl.press("🛒 Shopping")
    await karl.press("☕ Visits and conversation")
    await karl.press("➡️ Continue")
    await karl.press("Büdesheim")
    await karl.press("Kempten")
    await karl.press("➡️ Continue")
    await karl.press("Tue morning")
    await karl.press("➡️ Continue")
    for label in ("✏️ Languages", "✓ English", "German", "➡️ Continue"):  # his, English, first
        await karl.press(label)
    await karl.press("✅ Save")
    await request_for_mother(chat("sabine"), district="Kempten", name="Erna")
    await ask_for_myself(chat("olga"), kind="☕ Besuche und Gespräche", name="Olga")

    answer = await karl.press("🔎 Open requests")
    assert "🔎 2 open requests fit you:" in answer
    answer = await karl.press("🔀 all kinds of help")
    assert "🔎 1 open request fits you:" in answer and "🛒 Shopping in Kempten" in answer
    answer = await karl.press("🔀 🛒 Shopping")
    assert "☕ Visits and conversation in Büdesheim" in answer
    await karl.press("🔀 ☕ Visits and conversation")  # back to all kinds
    answer = await karl.press("🔀 all districts")
    assert "🔎 1 open request fits you:" in answer and "in Büdesheim" in answer
    answer = await karl.press("🔀 Büdesheim")
    assert "in Kempten" in answer and "in Büdesheim" not in answer


async def test_a_position_reaches_a_volunteer_who_joins_later_and_the_organisation_answers(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = chat("anna", "en")
    await approved(app, anna)
    await post(anna)
    inbox = Inbox(app)
    await inbox.run()  # announced to nobody: no volunteer yet

    karl = await volunteer_profile(chat("karl"), "Karl", kind="☕ Besuche und Gespräche")
    answer = await karl.press("📌 Stellen und Projekte")
    assert "📌 1 Stelle oder Projekt passt zu Ihnen:" in answer
    assert TITLE in answer
    answer = await karl.press("🙋 1: Ich habe Interesse")
    assert "Man kann Ihnen hier über den Bot schreiben." in answer
    async with app.sessions() as session:
        assert len((await session.exec(select(Interest))).all()) == 1

    clock.now = clock.now.replace(hour=17)  # Monday 18:00: the weekly digest
    await inbox.run()
    assert any(TITLE in m.text and "📢" in m.text for m in inbox.of(karl))
    [interest] = [m for m in inbox.of(anna) if "is interested" in m.text]
    assert "You can write to them here through the bot." in interest.text
    answer = await press_on(anna, interest, "✉️ Message to Karl")
    assert "💬 Conversation with Karl (Reading buddy for our library)." in answer
    await anna.send("Hello Karl, could you come on Saturday at ten?")
    await inbox.run()
    relayed = inbox.of(karl)[-1]
    assert "✉️ Leseclub Büdesheim schreibt:" in relayed.text
    assert "(geschrieben auf Englisch)" in relayed.text  # the other side's language marked
