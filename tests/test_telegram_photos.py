"""Photos pass through as voice messages do: a photo someone sends reaches the step that takes it
by Telegram's id of its largest size, and a reply forwards a photo (or a voice message) by its id,
with its text as the caption and its buttons below it. Over real HTTP against the stand-in, with
both frameworks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.app import App
from bot.channels.telegram.channel import Pressed, TelegramChannel, incoming_message
from bot.channels.telegram.runner import AiogramFront, Front, PtbFront
from bot.channels.telegram.sender import Sender
from engine.core import DialogueCore
from engine.i18n import Raw, Translator
from engine.steps import Ctx, Dialogues, Entrances, Flow, Outcome, Prompt, Say, Step, Target
from engine.types import Button, Incoming, Reply, Turn
from storage import mentions
from storage.outbox import Addressee
from storage.replies import Pending
from tests.chat import Chat
from tests.standin import BotApiStandin

FRAMEWORKS = ["ptb", "aiogram"]
ERIKA = 4242
PHOTO = "AgACAgIAAxkBAAIBphoto"
VOICE = "AwACAgIAAxkBAAIBvoice"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INLINE = {
    "inline_keyboard": [
        [{"text": "Ja", "callback_data": "act:yes"}, {"text": "Nein", "callback_data": "act:no"}]
    ]
}


class Recording(TelegramChannel):
    """The channel over a real framework, keeping what arrives instead of handling it."""

    def __init__(self, sender: Sender, recorded: list[dict[str, Any]]) -> None:
        core = SimpleNamespace(sessions=None, clock=lambda: NOW)
        super().__init__(core, Translator(), sender)  # type: ignore[arg-type]
        self.received: list[tuple[int, Incoming, Pressed | None]] = []
        self.recorded = recorded

    async def on_update(
        self, chat_id: int, incoming: Incoming, pressed: Pressed | None = None
    ) -> None:
        self.received.append((chat_id, incoming, pressed))


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The messages the channel remembers as showing someone's details (`mentions.record`)."""
    kept: list[dict[str, Any]] = []

    async def record(
        sessions: Any, people: Any, key: str, redaction: dict[str, Any], now: datetime
    ) -> None:
        kept.append({"people": tuple(people), "key": key, "redaction": redaction})

    monkeypatch.setattr(mentions, "record", record)
    return kept


@asynccontextmanager
async def connected(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> AsyncIterator[tuple[Front, Recording]]:
    front: Front = (
        AiogramFront(standin.token, standin.url)
        if framework == "aiogram"
        else PtbFront(standin.token, standin.url)
    )

    async def unreachable(chat_id: int) -> None:
        raise AssertionError(f"chat {chat_id} marked unreachable")

    channel = Recording(Sender(front.transport, on_unreachable=unreachable), recorded)
    front.attach(channel)
    await front.start()
    try:
        yield front, channel
    finally:
        await front.stop()


async def take_updates(front: Front) -> None:
    """Read what the people sent and hand it to the channel, as the poller does."""
    for update in await front.transport.get_updates(None, 0):
        await front.process(update)


def pending(body: dict[str, Any], about: tuple[int, ...] = ()) -> Pending:
    return Pending(1, f"telegram:{ERIKA}", body, None, NOW, about)


def photo_reply(**fields: Any) -> Reply:
    buttons = ((Button("act:yes", Raw("Ja")), Button("act:no", Raw("Nein"))),)
    return Reply(Raw("Das Foto von Erika"), "de", buttons=buttons, **fields)


# --- incoming ------------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_photo_arrives_as_the_id_of_its_largest_size_and_its_caption_is_not_read(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected(framework, standin, recorded) as (front, channel):
        await erika.send_photo(PHOTO, caption="Mein Garten")
        await erika.send_voice(VOICE)
        await erika.send_sticker()
        await take_updates(front)
    (chat_id, photo, _), (_, voice, _), (_, sticker, _) = channel.received
    assert chat_id == ERIKA
    assert (photo.photo, photo.text, photo.attachment) == (PHOTO, None, None)
    assert (voice.voice, voice.photo, voice.attachment) == (VOICE, None, None)
    assert (sticker.photo, sticker.attachment) == (None, "other")


def test_a_message_with_a_photo_is_no_other_attachment() -> None:
    shown = incoming_message(
        1, text=None, location=None, language_code="de", update_id=9, photo=PHOTO
    )
    assert (shown.photo, shown.attachment) == (PHOTO, None)


# --- outgoing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_photo_reply_is_sent_with_its_caption_and_buttons_from_the_reply_outbox(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected(framework, standin, recorded) as (_front, channel):
        (outgoing,) = channel.render(ERIKA, Turn([photo_reply(photo=PHOTO)]), None)
        assert outgoing.body["call"] == "photo"
        assert await channel.perform(pending(outgoing.body))
        sent = await erika.wait_for_message()
    assert sent.photo is not None and sent.photo[-1]["file_id"] == PHOTO
    assert sent.caption == "Das Foto von Erika"
    assert sent.reply_markup == INLINE
    assert erika.last_keyboard() == [["Ja", "Nein"]]
    (call,) = standin.calls("sendPhoto")
    assert (call["chat_id"], call["photo"]) == (ERIKA, PHOTO)


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_pushed_photo_is_sent_with_its_caption_and_buttons(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected(framework, standin, recorded) as (_front, channel):
        addressee = Addressee(7, f"telegram:{ERIKA}", "de", None)
        assert await channel.push(addressee, photo_reply(photo=PHOTO))
        sent = await erika.wait_for_message()
    assert sent.photo is not None and sent.photo[-1]["file_id"] == PHOTO
    assert sent.caption == "Das Foto von Erika"
    assert sent.reply_markup == INLINE


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_voice_reply_carries_its_inline_keyboard_from_the_outbox_and_as_a_push(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected(framework, standin, recorded) as (_front, channel):
        (outgoing,) = channel.render(ERIKA, Turn([photo_reply(voice=VOICE)]), None)
        assert await channel.perform(pending(outgoing.body))
        replied = await erika.wait_for_message()
        addressee = Addressee(7, f"telegram:{ERIKA}", "de", None)
        assert await channel.push(addressee, photo_reply(voice=VOICE))
        pushed = await erika.wait_for_message()
    for sent in (replied, pushed):
        assert sent.voice is not None and sent.voice["file_id"] == VOICE
        assert sent.caption == "Das Foto von Erika"
        assert sent.reply_markup == INLINE


async def test_a_voice_reply_stored_before_voice_replies_had_buttons_is_still_sent(
    standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected("ptb", standin, recorded) as (_front, channel):
        body = {"call": "voice", "chat": ERIKA, "voice": VOICE, "caption": "🎤"}
        assert await channel.perform(pending(body))
        sent = await erika.wait_for_message()
    assert sent.voice is not None and sent.reply_markup is None


# --- buttons on a photo, and people's details in its caption ---------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_press_on_a_photo_marks_the_choice_in_its_caption(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected(framework, standin, recorded) as (front, channel):
        addressee = Addressee(7, f"telegram:{ERIKA}", "de", None)
        assert await channel.push(addressee, photo_reply(photo=PHOTO))
        sent = await erika.wait_for_message()
        await erika.press("Ja")
        await take_updates(front)
        [(_, incoming, pressed)] = channel.received
        assert incoming.payload == "act:yes"
        assert pressed is not None
        assert pressed == Pressed(pressed.callback_id, sent.message_id, "Das Foto von Erika", True)
        turn = Turn([Reply(Raw("Danke!"), "de")], chosen=Raw("Ja"), language="de")
        for outgoing in channel.render(ERIKA, turn, pressed):
            assert await channel.perform(pending(outgoing.body))
        edited = await erika.wait_for_edit()
    assert edited is sent
    assert edited.caption == "Das Foto von Erika\n\n✓ Ja"
    assert edited.buttons() == []
    assert edited.photo is not None and edited.photo[-1]["file_id"] == PHOTO


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_photo_showing_someones_details_is_remembered_to_edit_its_caption(
    framework: str, standin: BotApiStandin, recorded: list[dict[str, Any]]
) -> None:
    erika = standin.user(ERIKA)
    async with connected(framework, standin, recorded) as (_front, channel):
        (outgoing,) = channel.render(ERIKA, Turn([photo_reply(photo=PHOTO, about=(3,))]), None)
        assert await channel.perform(pending(outgoing.body, about=(3,)))
        sent = await erika.wait_for_message()
        [mention] = recorded
        assert mention["people"] == (3,)
        redaction = mention["redaction"]
        assert (redaction["call"], redaction["message"]) == ("caption", sent.message_id)
        assert await channel.perform(pending(redaction))
        edited = await erika.wait_for_edit()
    assert edited.caption is not None and edited.caption.startswith("🔒")
    assert edited.buttons() == []


# --- the dialogue core ---------------------------------------------------------------------------


HOME = Target("home", "main")


async def test_a_step_takes_a_photo_and_a_question_forwards_one(app: App) -> None:
    def ask(ctx: Ctx) -> Prompt:
        return Prompt(Raw("Send a photo"), photo=ctx.data.get("photo"))

    def shown(ctx: Ctx, photo: str) -> Outcome:
        ctx.data["photo"] = photo
        return Say(Raw(f"Got {photo}"))

    home = Flow("home", "main", {"main": Step(ask=ask, on_photo=shown), "other": Step(ask=ask)})
    entrances = Entrances(welcome=HOME, consent=HOME, home=HOME, language=HOME, erase=HOME)
    engine = DialogueCore(
        sessions=app.sessions,
        deployment=app.deployment,
        translator=app.translator,
        dialogues=Dialogues([home], {}, entrances),
        clock=app.core.clock,
    )
    erika = Chat(replace(app, core=engine), "erika", "en")
    await erika.send("hello")
    answer = await erika.send_photo(PHOTO)
    assert f"Got {PHOTO}" in answer
    forwarded, question = erika.history[-2:]
    assert (forwarded.photo, forwarded.text, forwarded.buttons) == (PHOTO, "", [])
    assert question.photo is None and "Send a photo" in question.text


async def test_a_photo_where_a_step_takes_none_is_answered_truthfully(
    chat: Callable[..., Chat],
) -> None:
    erika = chat("erika", "en")
    await erika.send("/start")
    answer = await erika.send_photo(PHOTO)
    assert "I can only read text messages and button presses here." in answer
