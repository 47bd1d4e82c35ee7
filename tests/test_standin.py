"""Tests of the Telegram Bot API stand-in itself, with real frameworks over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.types import InlineKeyboardButton as AiogramButton
from aiogram.types import InlineKeyboardMarkup as AiogramMarkup
from aiohttp import ClientSession, FormData, web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.standin import BotApiStandin

TOKEN = "123456:TEST"
SECRET = "s3cret_token-1"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin(TOKEN) as api:
        yield api


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def call(
    http: ClientSession, standin: BotApiStandin, method: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.post(f"{standin.url}/bot{TOKEN}/{method}", **kwargs) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def test_python_telegram_bot_echo_and_button(standin: BotApiStandin) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = [[InlineKeyboardButton("Ja", callback_data="yes")]]
        await update.effective_message.reply_text(
            "Mitmachen?", reply_markup=InlineKeyboardMarkup(keyboard)
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Danke")
        await query.edit_message_text(f"<b>Gewählt:</b> {query.data}", parse_mode="HTML")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{standin.url}/bot")
        .base_file_url(f"{standin.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    user = standin.user(42)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            await user.send_text("hello")
            assert (await user.wait_for_message(timeout=5)).text == "hello"
            await user.send_text("/start")
            await user.wait_for_message(timeout=5)
            assert user.last_keyboard() == [["Ja"]]
            await user.press("Ja")
            edited = await user.wait_for_edit(timeout=5)
            assert edited.plain_text == "Gewählt: yes"
            assert user.last_keyboard() == []  # editMessageText without markup drops it
            assert standin.callback_queries_unanswered() == []
            assert [p["text"] for p in standin.answered_callbacks.values()] == ["Danke"]
        finally:
            await app.updater.stop()
            await app.stop()
    methods = [method for method, _ in standin.requests]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert standin.pending_updates == 0  # the final getUpdates confirmed everything
    assert [m.message_id for m in user.messages] == [2, 4]  # ids shared with the user's


async def test_aiogram_echo_and_button(standin: BotApiStandin) -> None:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.url)))
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = [[AiogramButton(text="Ja", callback_data="yes")]]
        await message.answer("Mitmachen?", reply_markup=AiogramMarkup(inline_keyboard=keyboard))

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def button(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"Gewählt: {query.data}")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    user = standin.user(7, first_name="Ali", language_code="tr")
    try:
        await user.send_text("hello")
        assert (await user.wait_for_message(timeout=5)).text == "hello"
        await user.send_text("/start")
        await user.wait_for_message(timeout=5)
        with pytest.raises(AssertionError, match="available"):
            await user.press("Nein")
        await user.press("yes")  # by callback_data
        assert (await user.wait_for_edit(timeout=5)).text == "Gewählt: yes"
        assert standin.callback_queries_unanswered() == []
    finally:
        await dp.stop_polling()
        await polling
    get_updates = standin.calls("getUpdates")
    assert set(get_updates[0]["allowed_updates"]) == {"message", "callback_query"}
    assert standin.requests[0][0] == "getMe"


async def test_webhook_delivery_and_secret(standin: BotApiStandin, http: ClientSession) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        if len(received) == 1:
            return web.Response(status=500)  # the stand-in retries
        return web.Response(status=200 if secret == SECRET else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        data = {"url": hook_url, "secret_token": SECRET, "allowed_updates": '["message"]'}
        assert (await call(http, standin, "setWebhook", data=data))[1]["result"] is True
        user = standin.user(5)
        await user.send_text("eins")
        await user.send_text("zwei")
        await standin.wait_until(lambda: len(standin.webhook_responses) == 3, timeout=5)
        assert standin.webhook_responses == [500, 200, 200]
        assert [u["message"]["text"] for _, u in received] == ["eins", "eins", "zwei"]
        assert {secret for secret, _ in received} == {SECRET}
        status, body = await call(http, standin, "getUpdates")
        assert status == 409
        assert "webhook is active" in body["description"]
        _, info = await call(http, standin, "getWebhookInfo")
        assert info["result"]["url"] == hook_url
        assert info["result"]["pending_update_count"] == 0

        update = {"message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}}
        assert await standin.post_to_webhook(update, secret="wrong") == 403
        assert received[-1][0] == "wrong"
        assert await standin.post_to_webhook(update, secret=None) == 403
        assert received[-1][0] is None
        assert await standin.post_to_webhook(update) == 200
        assert standin.webhook_responses == [500, 200, 200]  # raw posts are not recorded
    finally:
        await runner.cleanup()


async def test_error_injection_and_limits(standin: BotApiStandin, http: ClientSession) -> None:
    standin.fail_next("sendMessage", retry_after=3)
    status, body = await call(http, standin, "sendMessage", data={"chat_id": "1", "text": "a"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    standin.fail_next("sendMessage", status=403, chat_id=2)
    assert (await call(http, standin, "sendMessage", data={"chat_id": "1", "text": "a"}))[0] == 200
    status, body = await call(http, standin, "sendMessage", json={"chat_id": 2, "text": "b"})
    assert status == 403
    assert body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert (await call(http, standin, "sendMessage", json={"chat_id": 2, "text": "c"}))[0] == 200

    standin.enforce_limits(per_second=30, per_chat_per_second=1)
    results = await asyncio.gather(
        *(call(http, standin, "sendMessage", data={"chat_id": 9, "text": str(i)}) for i in range(5))
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 200, 429, 429]  # burst of 3 per chat
    assert standin.too_many_requests_count == 3  # the injected one plus two
    assert all(b["parameters"]["retry_after"] >= 1 for s, b in results if s == 429)
    assert len(standin.chat(9).messages) == 3


async def test_a_slow_send_is_delivered_even_if_the_bot_gives_up_waiting(
    standin: BotApiStandin, http: ClientSession
) -> None:
    standin.send_delay = 0.2
    started = time.monotonic()
    assert (await call(http, standin, "sendMessage", data={"chat_id": "5", "text": "a"}))[0] == 200
    assert time.monotonic() - started >= 0.2

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await call(http, standin, "sendMessage", data={"chat_id": "5", "text": "b"})
    await standin.wait_until(lambda: len(standin.chat(5).messages) == 2, timeout=2)
    assert [m.text for m in standin.chat(5).messages] == ["a", "b"]


async def test_bodies_auth_and_validation(standin: BotApiStandin, http: ClientSession) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    form = {"chat_id": "77", "text": "form", "reply_markup": json.dumps(markup)}
    status, body = await call(http, standin, "sendMessage", data=form)
    assert status == 200
    assert body["result"]["chat"] == {"id": 77, "type": "private", "first_name": "User"}
    assert body["result"]["from"]["id"] == 123456
    assert body["result"]["reply_markup"] == markup
    assert standin.requests[-1] == ("sendMessage", {**form, "chat_id": 77, "reply_markup": markup})

    status, body = await call(http, standin, "sendMessage", json={"chat_id": 77, "text": "json"})
    assert body["result"]["message_id"] == 2
    edit = {"chat_id": 77, "message_id": 2, "text": "json!"}
    assert (await call(http, standin, "editMessageText", json=edit))[1]["result"]["text"] == "json!"
    status, body = await call(http, standin, "editMessageText", json=edit)
    assert status == 400
    assert "message is not modified" in body["description"]
    assert standin.chat(77).by_id[2].edits[0]["text"] == "json!"

    upload = FormData()
    upload.add_field("chat_id", "77")
    upload.add_field("caption", "Liste")
    upload.add_field("document", b"a;b\n1;2\n", filename="liste.csv", content_type="text/csv")
    status, body = await call(http, standin, "sendDocument", data=upload)
    assert status == 200
    assert body["result"]["document"]["file_name"] == "liste.csv"
    doc = standin.documents[0]
    assert (doc.filename, doc.content, doc.caption) == ("liste.csv", b"a;b\n1;2\n", "Liste")

    assert (await call(http, standin, "getMe"))[1]["result"]["username"] == "standin_bot"
    commands = [{"command": "start", "description": "Los"}]
    scope = json.dumps({"type": "all_private_chats"})
    data = {"commands": json.dumps(commands), "scope": scope, "language_code": "de"}
    await call(http, standin, "setMyCommands", data=data)
    assert standin.commands[("all_private_chats", "de")] == commands
    status, body = await call(http, standin, "setMyCommands", json={"commands": [{"command": "X"}]})
    assert status == 400

    plain = {"chat_id": 1, "text": "1 < 2 <x>"}  # no parse_mode: taken literally
    assert (await call(http, standin, "sendMessage", json=plain))[0] == 200
    html = {"chat_id": 1, "text": "<b>ok</b> &lt;", "parse_mode": "HTML"}
    assert (await call(http, standin, "sendMessage", json=html))[0] == 200
    bad_html = {"chat_id": 1, "text": "1 < 2", "parse_mode": "HTML"}
    assert (await call(http, standin, "sendMessage", json=bad_html))[0] == 400
    bad_md = {"chat_id": 1, "text": "Ende.", "parse_mode": "MarkdownV2"}
    assert (await call(http, standin, "sendMessage", json=bad_md))[0] == 400
    too_long = {"chat_id": 1, "text": "x" * 4097}
    assert (await call(http, standin, "sendMessage", json=too_long))[0] == 400
    assert [m.text for m in standin.chat(1).messages] == ["1 < 2 <x>", "<b>ok</b> &lt;"]
    assert standin.chat(1).messages[1].plain_text == "ok <"

    async with http.post(f"{standin.url}/bot1:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    status, body = await call(http, standin, "noSuchMethod")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_long_polling(standin: BotApiStandin, http: ClientSession) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(call(http, standin, "getUpdates", data={"timeout": "5"}))
    await standin.wait_until(lambda: standin.calls("getUpdates"))
    await standin.user(3).send_text("/start now")
    _, body = await poll
    assert time.monotonic() - started < 2
    [update] = body["result"]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    await standin.user(3).share_location(52.5, 13.4)
    await standin.user(3).send_sticker()
    offset = update["update_id"] + 1
    _, body = await call(http, standin, "getUpdates", data={"offset": str(offset), "limit": "1"})
    assert [u["update_id"] for u in body["result"]] == [offset]
    assert "text" not in body["result"][0]["message"]
    _, body = await call(http, standin, "getUpdates", json={"offset": offset + 2, "timeout": 0})
    assert body["result"] == []
    assert standin.pending_updates == 0
