"""Personal fields at rest: sealed with a key per person, unreadable once the person is erased,
on SQLite and on PostgreSQL, in the data files and the write-ahead log alike."""

from __future__ import annotations

import base64
import os
import random
import sqlite3
import string
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import select

from bot.app import App, running_app
from bot.config import Settings
from engine.types import Incoming, Turn
from storage import create_engine
from storage.models import Conversation, HelpRequest, Organisation, PersonKey, VolunteerProfile
from storage.replies import Outgoing
from storage.sealing import KeyUnavailable, keyring_of
from storage.types import PREFIX
from tests.chat import Chat, onboard
from tests.conftest import FrozenClock
from tests.test_organisation import register
from tests.test_push import Inbox, press_on, request_for_mother, volunteer_profile


def made_up(letters: int = 8) -> str:
    """A word no earlier run left anywhere on this machine's disks."""
    return "".join(random.choice(string.ascii_lowercase) for _ in range(letters))


class Person:
    """A daughter asking for her mother, with details unique to this run."""

    def __init__(self) -> None:
        self.name = "Helga" + made_up()
        self.address = f"{made_up().title()}straße 5"
        self.phone = "06721 " + "".join(random.choice(string.digits) for _ in range(7))
        self.description = f"Wocheneinkauf {made_up()}, die Taschen sind zu schwer."

    @property
    def details(self) -> tuple[str, ...]:
        return (self.name, self.address, self.phone, self.description)


async def raw(app: App, query: str) -> list[tuple[object, ...]]:
    """Rows as the database holds them, read past the column types."""
    async with app.engine.connect() as connection:
        return [tuple(row) for row in (await connection.exec_driver_sql(query)).all()]


async def test_names_phones_addresses_texts_and_drafts_are_sealed_at_rest(
    app: App, chat: Callable[..., Chat]
) -> None:
    helga = Person()
    await volunteer_profile(chat("erika"), "Erika")
    await request_for_mother(
        chat("sabine"),
        name=helga.name,
        address=helga.address,
        phone=helga.phone,
        description=helga.description,
    )
    drafting = await onboard(chat("karl"), "relative")
    await drafting.press("👪 Hilfe für jemanden anfragen")
    await drafting.send("Hildegard")  # a draft, not yet sent

    stored = await raw(
        app, "SELECT person_name, person_phone, address, description FROM help_requests"
    )
    assert all(str(value).startswith(PREFIX) for row in stored for value in row)
    profiles = await raw(app, "SELECT first_name FROM volunteer_profiles")
    assert all(str(name).startswith(PREFIX) for (name,) in profiles)
    drafts = await raw(app, "SELECT data FROM conversations WHERE key = 'test:karl'")
    assert drafts and PREFIX in str(drafts[0][0]) and "Hildegard" not in str(drafts[0][0])

    async with app.sessions() as session:  # read through the model, as the bot does
        request = (await session.exec(select(HelpRequest))).one()
        profile = (await session.exec(select(VolunteerProfile))).one()
    assert (request.person_name, request.address, request.person_phone) == helga.details[:3]
    assert request.description == helga.description
    assert profile.first_name == "Erika"
    async with app.sessions() as session:
        draft = await session.get(Conversation, "test:karl")
    assert draft is not None and "Hildegard" in str(draft.data)


async def test_an_organisations_contact_is_sealed(app: App, chat: Callable[..., Chat]) -> None:
    anna = await onboard(chat("anna", language_code="en"), "organisation", "en")
    await register(anna, "Tafel Bingen")
    [(contact,)] = await raw(app, "SELECT contact_name FROM organisations")
    assert str(contact).startswith(PREFIX)
    async with app.sessions() as session:
        assert (await session.exec(select(Organisation))).one().contact_name == "Anna Schmidt"


async def test_what_an_erased_person_left_behind_cannot_be_opened_by_anyone(
    app: App, chat: Callable[..., Chat], settings: Settings, clock: FrozenClock
) -> None:
    helga = Person()
    sabine = await request_for_mother(chat("sabine"), name=helga.name)
    [(sealed_name,)] = await raw(app, "SELECT person_name FROM help_requests")
    await sabine.send("/delete")
    await sabine.press(sabine.last.labels[0])

    async with app.sessions() as session:
        with pytest.raises(KeyUnavailable):
            keyring_of(session).open(str(sealed_name))
    async with running_app(settings, clock=clock) as later, later.sessions() as session:
        # another process, or this one restarted: it never learns the key
        await session.exec(select(HelpRequest))
        with pytest.raises(KeyUnavailable):
            keyring_of(session).open(str(sealed_name))
        assert (
            await session.exec(select(PersonKey).where(PersonKey.owner == "test:sabine"))
        ).all() == []


async def test_a_person_who_comes_back_after_erasure_gets_a_new_key(
    app: App, chat: Callable[..., Chat]
) -> None:
    sabine = await request_for_mother(chat("sabine"))
    await sabine.send("/delete")
    await sabine.press(sabine.last.labels[0])
    again = await request_for_mother(chat("sabine"), name="Hilde")
    assert again.last.text
    async with app.sessions() as session:
        requests = (await session.exec(select(HelpRequest).order_by(HelpRequest.id))).all()
    assert [r.person_name for r in requests] == [None, "Hilde"]


# --- the bytes on disk --------------------------------------------------------------------------


def files_under(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        yield from (path for path in folder.rglob("*") if path.is_file())


async def database_files(app: App, database_url: str) -> list[Path]:
    """The files that hold the database: the SQLite file and its log, or PostgreSQL's data
    files of this database and the cluster's write-ahead log (after a checkpoint)."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        await app.engine.dispose()
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return list(path.parent.glob(f"{path.name}*"))
    async with app.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("CHECKPOINT"))
        root = Path((await autocommit.execute(text("SHOW data_directory"))).scalar_one())
        oid = (
            await autocommit.execute(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            )
        ).scalar_one()
    if not os.access(root, os.R_OK):
        pytest.fail(f"the byte search needs to read PostgreSQL's files in {root}")
    return list(files_under(root / "base" / str(oid), root / "pg_wal"))


@pytest.fixture
def settings_with_data_key(settings: Settings) -> Settings:
    key = base64.b64encode(os.urandom(32)).decode()
    return settings.model_copy(update={"data_key": SecretStr(key)})


async def test_after_an_erasure_no_personal_detail_or_usable_key_is_left_on_disk(
    settings_with_data_key: Settings, clock: FrozenClock, database_url: str
) -> None:
    helga = Person()
    settings = settings_with_data_key
    async with running_app(settings, clock=clock) as app:
        chats = lambda who: Chat(app, who, "de")  # noqa: E731
        erika = await volunteer_profile(chats("erika"), "Erika")
        sabine = await request_for_mother(
            chats("sabine"),
            name=helga.name,
            address=helga.address,
            phone=helga.phone,
            description=helga.description,
        )
        inbox = Inbox(app)
        await inbox.run()
        await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
        [(wrapped, kid)] = await raw(
            app, "SELECT key, kid FROM person_keys WHERE owner = 'test:sabine'"
        )
        assert settings.data_key_bytes is not None
        wrapped = bytes(wrapped)  # type: ignore[arg-type]
        key = AESGCM(settings.data_key_bytes).decrypt(wrapped[:12], wrapped[12:], str(kid).encode())

        await sabine.send("/delete")
        await sabine.press(sabine.last.labels[0])
        await inbox.run()  # the scheduled work compacts the key table after an erasure

        for path in await database_files(app, database_url):
            content = path.read_bytes()
            for detail in helga.details:
                assert detail.encode() not in content, (detail, path)
            assert key not in content, ("the key itself", path)
        if database_url.startswith("sqlite"):  # SQLite also leaves no trace of who it was
            for path in await database_files(app, database_url):
                assert b"test:sabine" not in path.read_bytes(), path


async def test_keys_are_unusable_without_the_data_key(
    settings_with_data_key: Settings, clock: FrozenClock, database_url: str
) -> None:
    async with running_app(settings_with_data_key, clock=clock) as app:
        await request_for_mother(Chat(app, "sabine", "de"))
    engine = create_engine(database_url)  # without the data key
    try:
        async with engine.connect() as connection:
            with pytest.raises(KeyUnavailable, match="DATA_KEY"):
                (await connection.execute(select(HelpRequest.person_name))).all()
    finally:
        await engine.dispose()
    async with running_app(settings_with_data_key, clock=clock) as app, app.sessions() as session:
        assert (await session.exec(select(HelpRequest))).one().person_name == "Helga"


async def test_a_reply_waiting_to_be_sent_is_sealed_for_its_reader(app: App) -> None:
    def render(turn: Turn) -> list[Outgoing]:
        return [Outgoing({"text": "Hauptstraße 5"}, b"Hauptstrasse 5") for _ in turn.replies]

    await app.core.handle(Incoming("test:erika", text="/start", language_code="de"), render)
    [(body, file)] = await raw(app, "SELECT body, file FROM pending_replies")
    assert "Hauptstraße" not in str(body) and b"Hauptstra" not in bytes(file)  # type: ignore[arg-type]
