"""A corpus of bad input driven through every step of every flow.

Happy paths through all dialogues record where a person can be (flow, step, draft, buttons on
offer). Then each of more than 200 bad inputs is sent at each of those places: every one gets an
answer, no exception escapes, and afterwards the database holds no control or invisible
characters and no value longer than its column allows.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import String
from sqlmodel import SQLModel, select

from bot.app import App
from engine.types import Incoming, Location
from storage.models import Conversation, Organisation, OrganisationStatus, User
from tests.chat import Chat, Inbox, onboard, press_on
from tests.test_push import request_for_mother, volunteer_profile

TEXTS = [
    "x" * 5000,
    "y" * 501,
    "z" * 4001,
    "",
    " ",
    "\n\n\n",
    "\x00",
    "Erika\x00Müller",
    "\x07\x08\x1b[31mred\x1b[0m",
    "\u200b",
    "\u200b\u200c\u200d\ufeff",
    "Er\u200bika",
    "\u202eakirE",
    "abc\u202edef\u202c",
    "\u2066Büdesheim\u2069",
    "\u061c\u200e\u200f",
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "1; DELETE FROM help_requests",
    "Robert'); DROP TABLE Students;--",
    "<script>alert(1)</script>",
    "<b>bold</b> & <i>italic</i>",
    "&lt;&gt;&amp;",
    "[link](http://example.org)",
    "*bold* _italic_ `code`",
    "{agency}",
    "{0}",
    "%s %d",
    "{{}}",
    "😀",
    "👍👍👍",
    "🏳️‍🌈",
    "🇩🇪",
    "🙋",
    "0",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "3.5",
    "32.13.",
    "00.00.0000",
    "29.02.2027",
    "31.04.",
    "24.12.1999",
    "25:61",
    "24:00",
    "-5 Uhr",
    "+49 (0) 6721 / 12345",
    "abc@example.org",
    "ملاحظة",
    "مرحبا\u202eabc",
    "Привіт",
    "שלום",
    "你好",
    "Ünïcödé",
    "e\u0301",
    "\ud7ff",
    "/",
    "//",
    "/start " + "x" * 300,
    "/start ../../etc/passwd",
    "/unknown",
    "/START",
    "/menu@other_bot",
    "/cancel extra words",
    "/help " + "\u202e",
    "/language de",
    "/mydata x",
    "1",
    "999",
    "Deutsch",
    "deutsch",
    "✖ Abbrechen",
    "« Zurück",
    "Weiter",
]
PAYLOADS = [
    "",
    " ",
    "x",
    "nav:back",
    "nav:cancel",
    "nav:",
    "nav:unknown",
    "lang:xx",
    "lang:",
    "lang:de" + "x" * 100,
    "consent:yes",
    "consent:no",
    "role:admin",
    "role:volunteer",
    "municipality:nowhere",
    "pick:",
    "pick:../",
    "pick:2020-01-01",
    "pick:9999-99-99",
    "pick:buedesheim",
    "pick:morning",
    "pick:0-morning",
    "pick:7-night",
    "continue",
    "skip",
    "save",
    "edit",
    "submit",
    "publish",
    "register",
    "field:unknown",
    "field:",
    "req:1",
    "req:-1",
    "req:999999",
    "req:abc",
    "opp:1",
    "opp:999999",
    "org:new",
    "org:list",
    "menu:profile",
    "menu:ask",
    "menu:organisation",
    "profile:delete:yes",
    "requests:withdraw:yes",
    "close:yes",
    "act:",
    "act:unknown",
    "act:offer",
    "act:offer:yes",
    "act:offer:yes:",
    "act:offer:yes:abc",
    "act:offer:yes:-1",
    "act:offer:yes:999999",
    "act:offer:yes:1",
    "act:offer:no:1",
    "act:match:cancel:1",
    "act:hours:1:3",
    "act:hours:1:99",
    "act:hours:1:no",
    "act:feedback:1:good",
    "act:feedback:1:evil",
    "act:settings",
    "act:interest:1",
    "act:interest:999999",
    "\x00",
    "\u202e",
    "<script>",
    "' OR 1=1",
    "a" * 65,
    "💥" * 30,
]
# Lengths around every limit the dialogues have (names 40/60/80/100, notes 300, text 500, 4000).
TEXTS += [
    ch * n
    for n in (39, 40, 41, 59, 60, 61, 79, 80, 81, 99, 100, 101, 199, 200, 201, 299, 300, 301)
    for ch in "aä"
]
PAYLOADS += [
    f"{prefix}{junk}"
    for prefix in ("lang:", "pick:", "field:", "req:", "opp:", "act:offer:no:")
    for junk in ("0", "1.5", "%00", "\n")
]
ATTACHMENTS = ["sticker", "photo", "voice", "video", "document", "contact", "video_note", "poll"]
LOCATIONS = [(0.0, 0.0), (90.0, 180.0), (-90.0, -180.0), (49.95, 7.91), (52.52, 13.40)]

INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def corpus(user_key: str) -> list[Incoming]:
    items = [Incoming(user_key, text=t, language_code="de") for t in TEXTS]
    items += [Incoming(user_key, payload=p, language_code="de") for p in PAYLOADS]
    items += [Incoming(user_key, attachment=a, language_code="de") for a in ATTACHMENTS]
    items += [Incoming(user_key, location=Location(*c), language_code="de") for c in LOCATIONS]
    items += [
        Incoming(user_key, language_code=code, text="hallo") for code in ("", "xx", "ar-SY", "zh")
    ]
    return items


class Recorder(Chat):
    """A chat that remembers the conversation state after every turn."""

    places: list[dict[str, Any]]

    async def _send(self, incoming: Incoming) -> str:
        answer = await super()._send(incoming)
        async with self.app.sessions() as session:
            row = await session.get(Conversation, self.user_key)
            if row is not None:
                self.places.append(row.model_dump())
        return answer


async def record_every_flow(app: App) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    Recorder.places = []
    inbox = Inbox(app)
    erika = await volunteer_profile(Recorder(app, "erika", "de"), "Erika")
    await erika.press("👤 Mein Profil")
    await erika.press("✏️ Etwas ändern")
    await erika.press("Notiz")
    await erika.send("Ich helfe gern.")
    # What a new profile does not ask, changed from the summary.
    for label in ("✏️ Sprachen", "➡️ Weiter", "✏️ Einsatz", "✓ Beides", "✏️ Anfragen", "✓ ⚡ Sofort"):
        await erika.press(label)
    await erika.press("✅ Speichern")
    await erika.press("👤 Mein Profil")
    await erika.press("🗑 Profil löschen")
    await erika.press("Nein, behalten")
    sabine = await request_for_mother(Recorder(app, "sabine", "de"))
    await sabine.press("📋 Meine Anfragen")
    await sabine.press(sabine.last.labels[0])
    await sabine.press("✖ Anfrage zurückziehen")
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    anna = await onboard(Recorder(app, "anna", "de"), "seeker")
    await anna.press("🆘 Hilfe anfragen")
    await anna.press("🛒 Einkaufen")
    await anna.press("Morgen")
    await anna.send("/language")
    await anna.press("Deutsch")
    tafel = await onboard(Recorder(app, "tafel", "de"), "organisation")
    await tafel.press("🏛️ Unsere Organisation")
    await tafel.send("Bingener Tafel")
    await tafel.press(tafel.last.labels[0])
    await tafel.send("Anna Schmidt")
    await tafel.press("📨 Anmelden")
    async with app.sessions() as session, session.begin():
        for club in (await session.exec(select(Organisation))).all():
            club.status = OrganisationStatus.APPROVED
            session.add(club)
    await tafel.press("🏛️ Unsere Organisation")
    await tafel.press("➕ Neue Aufgabe")
    await tafel.send("Lesepatin")
    await tafel.press("📚 Hausaufgaben und Nachhilfe")
    await tafel.send("Vorlesen für Kinder in der Bücherei am Samstag.")
    await tafel.press("Büdesheim")
    await tafel.press("➡️ Weiter")
    await tafel.press("🔁 Jede Woche")
    await tafel.press("2")
    await tafel.press("➡️ Weiter")
    await tafel.press("➡️ Weiter")
    await tafel.press("📢 Veröffentlichen")
    await tafel.press("📋 Unsere Aufgaben")
    await tafel.press(tafel.last.labels[0])
    newcomer = Recorder(app, "newcomer", "de")
    await newcomer.send("/start")
    await newcomer.press("Deutsch")
    places = [(place["key"], place) for place in Recorder.places]
    keys = sorted({key for key, _ in places})
    return places, keys


async def restore(app: App, place: dict[str, Any]) -> None:
    async with app.sessions() as session, session.begin():
        row = await session.get(Conversation, place["key"])
        state = copy.deepcopy(place)
        if row is None:
            session.add(Conversation(**state))
            return
        for field, value in state.items():
            setattr(row, field, value)
        session.add(row)


def forbidden(value: str) -> bool:
    return any(unicodedata.category(ch) in INVISIBLE and ch != "\n" for ch in value)


async def stored_strings(app: App) -> list[tuple[str, str, str, int | None]]:
    """Every string stored anywhere: (table, column, value, the column's length limit)."""
    found = []
    async with app.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await connection.execute(table.select())).mappings().all()
            for row in rows:
                for column in table.columns:
                    value = row[column.name]
                    limit = column.type.length if isinstance(column.type, String) else None
                    if isinstance(value, str):
                        found.append((table.name, column.name, value, limit))
                    elif isinstance(value, dict | list):
                        found.extend((table.name, column.name, v, None) for v in _strings_in(value))
    return found


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings_in(v)]
    return []


async def test_every_bad_input_at_every_step_gets_an_answer_and_stores_nothing_bad(
    app: App, chat: Callable[..., Chat]
) -> None:
    places, keys = await record_every_flow(app)
    steps = {(place["flow"], place["step"]) for _key, place in places}
    assert len(corpus("x")) >= 200
    assert {
        "onboarding",
        "volunteer",
        "profile",
        "request",
        "requests",
        "menu",
        "organisation",
        "opportunity",
        "opportunities",
        "language",
    } <= {flow for flow, _step in steps}

    seen: set[tuple[str, str]] = set()
    for key, place in places:
        where = (place["flow"], place["step"])
        if where in seen:
            continue
        seen.add(where)
        for incoming in corpus(key):
            await restore(app, place)
            turn = await app.core.handle(incoming)
            assert turn.replies, f"no answer at {where} to {incoming!r}"
            for reply in turn.replies:
                assert app.translator.render(reply.text, reply.language).strip()

    for table, column, value, limit in await stored_strings(app):
        assert not forbidden(value), f"{table}.{column} holds {value!r}"
        assert limit is None or len(value) <= limit, f"{table}.{column} holds {len(value)} chars"
    async with app.sessions() as session:
        assert (
            len((await session.exec(select(User))).all()) == len(keys) - 1
        )  # newcomer: no consent
