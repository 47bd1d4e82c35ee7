"""GDPR rights in the chat, least exposure, limits and blocking."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import App, running_app
from bot.cli import block_user
from bot.config import Settings
from engine.flood import MESSAGES_PER_MINUTE
from engine.types import Incoming
from storage.models import (
    Conversation,
    HelpRequest,
    Match,
    MatchState,
    Organisation,
    OrganisationStatus,
    RequestStatus,
    User,
    VolunteerProfile,
)
from tests.chat import Chat, Inbox, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_push import request_for_mother, volunteer_profile

PERSONAL = ("Helga", "Hauptstraße 5", "06721 12345", "die Taschen sind zu schwer")


async def test_mydata_sends_exactly_the_persons_own_data(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    await sabine.send("/mydata")
    assert sabine.last_turn is not None
    sent = sabine.last_turn.replies[0]
    assert sent.file is not None and sent.file.filename == "my-data.json"
    data = json.loads(sent.file.content)
    assert data["user"]["key"] == "test:sabine"
    [request] = data["help_requests"]
    assert (request["person_name"], request["address"], request["person_phone"]) == (
        "Helga",
        "Hauptstraße 5",
        "06721 12345",
    )
    assert "volunteer_profile" not in data
    assert "Erika" not in sent.file.content.decode()
    assert "🏠 Hauptmenü" in sabine.last.text  # and the menu again

    await erika.send("/mydata")
    assert erika.last_turn is not None
    file = erika.last_turn.replies[0].file
    assert file is not None
    mine = json.loads(file.content)
    assert mine["volunteer_profile"]["first_name"] == "Erika"
    assert {row["category"] for row in mine["volunteer_categories"]} == {"shopping"}
    assert "Helga" not in file.content.decode()


async def test_mydata_before_consent_holds_only_the_conversation(chat: Callable[..., Chat]) -> None:
    newcomer = chat("newcomer")
    await newcomer.send("/start")
    await newcomer.send("/mydata")
    assert newcomer.last_turn is not None
    file = newcomer.last_turn.replies[0].file
    assert file is not None
    assert set(json.loads(file.content)) == {"conversation"}


async def test_delete_erases_names_phones_and_addresses_from_the_database_file(
    app: App, chat: Callable[..., Chat], database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the byte search reads the SQLite file")
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    await sabine.send("/delete")
    answer = await sabine.press(sabine.last.labels[0])  # yes, delete everything
    assert "/start" in answer

    await inbox.run()
    assert "zurückgezogen" in inbox.of(erika)[-1].text  # the volunteer learns she need not go
    await app.engine.dispose()
    path = Path(database_url.split("///", 1)[1])
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
    for value in (*PERSONAL, "test:sabine"):
        assert value.encode() not in raw, value
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
        match = (await session.exec(select(Match))).one()
    # What statistics need stays, anonymous.
    assert (request.category, request.district, request.status) == (
        "shopping",
        "buedesheim",
        RequestStatus.CANCELLED,
    )
    assert match.state == MatchState.CANCELLED


async def test_deleting_a_volunteer_sends_their_help_back_into_matching(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    await erika.send("/delete")
    await erika.press(erika.last.labels[0])
    await inbox.run()
    assert inbox.of(sabine)[-1].text  # told that the volunteer cannot come
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
        profile = (await session.exec(select(VolunteerProfile))).one()
    assert request.status == RequestStatus.OPEN
    assert (profile.first_name, profile.note, profile.paused) == ("", None, True)


async def test_delete_can_be_declined(app: App, chat: Callable[..., Chat]) -> None:
    sabine = await request_for_mother(chat("sabine"))
    await sabine.send("/delete")
    await sabine.press(sabine.last.labels[1])
    async with app.sessions() as session:
        assert (await session.exec(select(User).where(User.key == "test:sabine"))).one()


async def test_a_new_privacy_notice_asks_for_consent_again(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    async with running_app(settings, clock=clock) as app:
        await onboard(Chat(app, "erika", "de"), "volunteer")
    changed = settings.deployment_file.read_text(encoding="utf-8").replace(
        'privacy_version = "2026-11"', 'privacy_version = "2027-01"'
    )
    (tmp_path / "town.toml").write_text(changed, encoding="utf-8")
    newer = settings.model_copy(update={"deployment_file": tmp_path / "town.toml"})
    async with running_app(newer, clock=clock) as app:
        erika = Chat(app, "erika", "de")
        answer = await erika.send("/menu")
        assert "🏠" in answer
        answer = await erika.send("hallo")
        assert "Sind Sie einverstanden?" in answer
        answer = await erika.press("✅ Ich stimme zu")
        assert "🏠 Hauptmenü" in answer
        async with app.sessions() as session:
            user = (await session.exec(select(User))).one()
        assert user.consent_version == "2027-01"


async def test_the_full_privacy_notice_is_one_tap_away(chat: Callable[..., Chat]) -> None:
    erika = chat("erika")
    await erika.send("/start")
    await erika.press("Deutsch")
    answer = await erika.press(erika.last.labels[2])
    assert "Art. 15 und 20 DSGVO" in answer
    assert "Sind Sie einverstanden?" in answer


async def test_finished_requests_lose_their_personal_details_after_the_retention_period(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    sabine = await request_for_mother(chat("sabine"))
    await sabine.press("📋 Meine Anfragen")
    await sabine.press(sabine.last.labels[0])
    await sabine.press("✖ Anfrage zurückziehen")
    await sabine.press("Ja, zurückziehen")
    inbox = Inbox(app)
    clock.advance(timedelta(days=89))
    await inbox.run()
    async with app.sessions() as session:
        assert (await session.exec(select(HelpRequest))).one().person_name == "Helga"
    clock.advance(timedelta(days=2))
    await inbox.run()
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert (request.person_name, request.person_phone, request.address, request.description) == (
        None,
        None,
        None,
        "",
    )
    assert (request.category, request.status) == ("shopping", RequestStatus.CANCELLED)


async def test_a_dialogue_without_consent_is_forgotten_after_48_hours(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    passerby = chat("passerby")
    await passerby.send("/start buedesheim")  # from a poster's deep link
    await passerby.press("Deutsch")  # and no answer to the consent question
    erika = await onboard(chat("erika"), "volunteer")

    async def conversation(person: Chat) -> Conversation | None:
        async with app.sessions() as session:
            return await session.get(Conversation, person.user_key)

    stored = await conversation(passerby)
    assert stored is not None and stored.data == {"start_code": "buedesheim"}
    inbox = Inbox(app)
    clock.advance(timedelta(hours=47))
    await inbox.run()
    assert await conversation(passerby) is not None
    clock.advance(timedelta(hours=2))
    await inbox.run()
    assert await conversation(passerby) is None
    assert await conversation(erika) is not None  # who consented keeps their dialogue
    # Coming back starts afresh, with the language question.
    assert "In welcher Sprache" in await passerby.send("/start")


async def test_too_many_messages_in_a_minute_are_slowed_down(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    app.core.flood.per_minute = MESSAGES_PER_MINUTE  # the default (the test settings raise it)
    erika = chat("erika")
    for _ in range(MESSAGES_PER_MINUTE):
        await erika.send("/help")
    answer = await erika.send("/help")
    assert "Bitte warten Sie eine Minute." in answer
    # Asked once; the rest of the minute gets no answer, so nobody can spend the sending budget.
    for _ in range(3):
        turn = await app.core.handle(Incoming(erika.user_key, text="/help", language_code="de"))
        assert turn.replies == []
    clock.advance(timedelta(seconds=61))
    assert "/menu" in await erika.send("/help")


async def test_a_sixth_request_in_a_day_is_refused(app: App, chat: Callable[..., Chat]) -> None:
    sabine = await request_for_mother(chat("sabine"))
    for _ in range(4):
        await sabine.press("📋 Meine Anfragen")
        await sabine.press(sabine.last.labels[0])
        await sabine.press("🔁 Diese Hilfe noch einmal anfragen")
        await sabine.press("Übermorgen")
        await sabine.press("vormittags")
        await sabine.press("📨 Anfrage senden")
    await sabine.press("📋 Meine Anfragen")
    await sabine.press(sabine.last.labels[0])
    await sabine.press("🔁 Diese Hilfe noch einmal anfragen")
    await sabine.press("Übermorgen")
    await sabine.press("vormittags")
    answer = await sabine.press("📨 Anfrage senden")
    assert "5" in answer and "📨 Gesendet." not in answer
    async with app.sessions() as session:
        assert len((await session.exec(select(HelpRequest))).all()) == 5


async def test_a_blocked_volunteer_loses_pending_offers_and_keeps_only_their_rights(
    app: App, chat: Callable[..., Chat], settings: Settings
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await block_user(settings, "test:erika")
    async with app.sessions() as session:
        match = (await session.exec(select(Match))).one()
    assert match.state == MatchState.WITHDRAWN
    answer = await erika.send("/menu")
    assert app.deployment.agency.contact in answer
    answer = await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    assert app.deployment.agency.contact in answer
    await erika.send("/mydata")
    assert erika.last_turn is not None and erika.last_turn.replies[0].file is not None


async def test_nobody_can_approve_an_organisation_from_the_chat(
    app: App, chat: Callable[..., Chat]
) -> None:
    tafel = await onboard(chat("tafel"), "organisation")
    await tafel.press("🏛️ Unsere Organisation")
    await tafel.send("Bingener Tafel")
    await tafel.press(tafel.last.labels[0])
    await tafel.send("Anna Schmidt")
    await tafel.press("📨 Anmelden")
    async with app.sessions() as session:
        club = (await session.exec(select(Organisation))).one()
    mallory = await onboard(chat("mallory"), "volunteer")
    for forged in (f"act:approve:{club.id}", f"approve:{club.id}", f"org:approve:{club.id}"):
        answer = await mallory.press_payload(forged)
        assert "Diese Taste gilt nicht mehr" in answer
        answer = await tafel.press_payload(forged)  # not even the organisation itself
        assert "Diese Taste gilt nicht mehr" in answer
    async with app.sessions() as session:
        assert (await session.exec(select(Organisation))).one().status == OrganisationStatus.PENDING


async def test_a_blocked_person_can_still_erase_everything(
    app: App, chat: Callable[..., Chat], settings: Settings
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    await block_user(settings, "test:erika")
    await erika.send("/delete")
    answer = await erika.press("🗑 Ja, alles löschen")
    assert "gelöscht" in answer
    async with app.sessions() as session:
        keys = [user.key for user in (await session.exec(select(User))).all()]
    assert "test:erika" not in keys


async def test_blocking_an_asker_withdraws_their_open_requests(
    app: App, chat: Callable[..., Chat], settings: Settings
) -> None:
    await volunteer_profile(chat("erika"), "Erika")
    await request_for_mother(chat("sabine"))
    await block_user(settings, "test:sabine")
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.status == RequestStatus.CANCELLED
    report = await Inbox(app).run()
    assert report.plan.offers == 0  # nobody is asked to help a blocked person


async def test_mydata_holds_the_matches_of_ones_requests_and_the_reports(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    async with app.sessions() as session:
        match = (await session.exec(select(Match))).one()
    await sabine.press_payload(f"act:feedback:{match.id}:problem")

    def exported(person: Chat) -> dict[str, Any]:
        assert person.last_turn is not None and person.last_turn.replies[0].file is not None
        return dict(json.loads(person.last_turn.replies[0].file.content))

    await sabine.send("/mydata")
    asked = exported(sabine)
    [helped] = asked["matches_of_my_requests"]
    assert (helped["volunteer_first_name"], helped["state"]) == ("Erika", MatchState.ACCEPTED)
    assert helped["safety_word"] == match.safety_word and helped["seeker_feedback"] == "problem"
    assert len(asked["reports_filed"]) == 1 and asked["reports_about_me"] == []

    await erika.send("/mydata")
    helper = exported(erika)
    assert len(helper["reports_about_me"]) == 1 and helper["reports_filed"] == []


async def test_privacy_shows_the_full_notice_at_any_time_in_the_readers_language(
    chat: Callable[..., Chat],
) -> None:
    newcomer = chat("newcomer")
    answer = await newcomer.send("/privacy")  # before consent too
    assert "Datenschutzhinweis der Ehrenamtsbörse Bingen" in answer
    erika = await onboard(chat("erika"), "volunteer")
    answer = await erika.send("/privacy")
    assert "Datenschutzhinweis der Ehrenamtsbörse Bingen" in answer
    assert "Ihre Rechte: /mydata" in answer
    sam = await onboard(chat("sam", "en"), "seeker", "en")
    answer = await sam.send("/privacy")
    assert "Privacy notice of the Ehrenamtsbörse Bingen" in answer
    assert sam.last.labels  # and the open question again
