"""A local stand-in of the Telegram Bot API (aiohttp) for end-to-end tests and benchmarks.

Bots talk to ``{url}/bot{token}/{method}`` over real HTTP; tests play users with
:meth:`BotApiStandin.user` and inspect what the bot sent. Deliberate simplifications:

* all chats are private (negative chat ids become supergroups), every chat id is valid;
* webhooks may be plain ``http://``; updates go out one at a time, in order; a delivery that
  fails ``webhook_attempts`` times is dropped and kept in ``webhook_failed_updates``;
* ``parse_mode="HTML"`` is checked for unknown/unbalanced tags and ``MarkdownV2`` for the
  unescaped reserved characters ``# + - = { } . !``, both answering 400 like Telegram;
* ``enforce_limits`` uses token buckets: globally ``per_second`` with a burst of one second,
  per chat ``per_chat_per_second`` with a burst of ``burst`` (default 3) messages; only
  ``send*``/``copyMessage``/``forwardMessage`` count, edits are free; a message sent with
  ``allow_paid_broadcast`` counts against ``paid_per_second`` (1,000) instead of the global bucket;
* ``send_delay`` seconds pass before those same methods are handled, as on a slow day of
  Telegram's; a bot that goes away meanwhile does not stop the message (Telegram has it already).
"""

from __future__ import annotations

import asyncio
import html
import inspect
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = [
    "ApiError",
    "BotApiStandin",
    "BotMessage",
    "ChatRecord",
    "SentDocument",
    "StandinUser",
    "UploadedFile",
]

JSON = dict[str, Any]
MethodHandler = Callable[[JSON], Any]


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


OBJECT_FIELDS = _names(
    "reply_markup allowed_updates commands scope link_preview_options reply_parameters entities "
    "caption_entities media results options permissions menu_button rights reaction "
    "message_ids button"
)
INT_FIELDS = _names(
    "chat_id message_id offset limit timeout user_id from_chat_id message_thread_id cache_time "
    "max_connections duration width height"
)
BOOL_FIELDS = _names(
    "drop_pending_updates show_alert disable_notification protect_content "
    "disable_web_page_preview allow_sending_without_reply allow_paid_broadcast "
    "disable_content_type_detection only_if_banned"
)
NOOP_METHODS = _names(
    "setmydescription setmyshortdescription setmyname setchatmenubutton "
    "setmydefaultadministratorrights pinchatmessage unpinchatmessage leavechat"
)
RATE_LIMITED = _names(
    "sendmessage senddocument sendphoto sendvideo sendaudio sendvoice sendsticker "
    "sendlocation sendvenue sendcontact sendmediagroup sendpoll copymessage forwardmessage"
)
HTML_TAGS = _names(
    "b strong i em u ins s strike del span tg-spoiler a tg-emoji code pre blockquote"
)
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
_MD_SKIP_RE = re.compile(r"```.*?```|`[^`]*`|\]\((?:\\.|[^)\\])*\)|\\.", re.S)
_MD_RESERVED_RE = re.compile(r"[#+\-={}.!]")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_REGISTERED: Any = object()  # sentinel: use the secret registered with setWebhook


class ApiError(Exception):
    """Raised by method handlers; becomes a Telegram-style error answer."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content: bytes
    content_type: str | None = None


@dataclass(slots=True)
class SentDocument:
    chat_id: int
    message_id: int
    filename: str | None
    content: bytes | None  # None when sent by file_id/URL
    file_ref: str | None = None
    caption: str | None = None


@dataclass(slots=True, eq=False)
class BotMessage:
    """A message the bot sent; edits are applied in place and listed in ``edits``."""

    chat_id: int
    message_id: int
    date: int
    text: str | None
    reply_markup: JSON | None = None
    parse_mode: str | None = None
    caption: str | None = None
    document: JSON | None = None
    voice: JSON | None = None
    photo: list[JSON] | None = None  # the sizes, the largest last
    venue: JSON | None = None  # a place: location, title, address
    deleted: bool = False
    edit_date: int | None = None
    edits: list[JSON] = field(default_factory=list)

    @property
    def plain_text(self) -> str | None:
        """The text as a user sees it (HTML tags stripped and unescaped)."""
        if self.text is None or self.parse_mode is None or self.parse_mode.upper() != "HTML":
            return self.text
        return html.unescape(_TAG_RE.sub("", self.text))

    def buttons(self) -> list[list[JSON]]:
        """Rows of the inline keyboard (empty if none)."""
        return list((self.reply_markup or {}).get("inline_keyboard") or [])


@dataclass(slots=True, eq=False)
class ChatRecord:
    """Everything the bot did in one chat."""

    chat_id: int
    messages: list[BotMessage] = field(default_factory=list)
    by_id: dict[int, BotMessage] = field(default_factory=dict)
    edit_log: list[BotMessage] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    documents: list[SentDocument] = field(default_factory=list)
    next_message_id: int = 1
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def take_message_id(self) -> int:
        self.next_message_id += 1
        return self.next_message_id - 1

    def notify(self) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()


@dataclass(slots=True)
class _FailRule:
    method: str
    status: int
    retry_after: int
    chat_id: int | None
    times: int
    description: str | None


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, 0.0

    def wait_time(self, now: float) -> float:
        """Seconds until a token is available (0 if one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key in OBJECT_FIELDS and value[:1] in ("{", "[", '"'):
            return json.loads(value)
        if key in INT_FIELDS and value.lstrip("-").isdigit():
            return int(value)
        if key in BOOL_FIELDS:
            return value.lower() in ("true", "1")
    return value


def _check_html(text: str) -> None:
    stack: list[str] = []
    pos = text.find("<")
    while pos != -1:
        match = _TAG_RE.match(text, pos)
        offset = len(text[:pos].encode())
        if match is None:
            raise _bad(f"can't parse entities: Unsupported start tag at byte offset {offset}")
        closing, name = match.group(1), match.group(2).lower()
        if name not in HTML_TAGS:
            raise _bad(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
            )
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise _bad(f"can't parse entities: Unmatched end tag at byte offset {offset}")
        pos = text.find("<", match.end())
    if stack:
        raise _bad(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )


def _check_markdown_v2(text: str) -> None:
    match = _MD_RESERVED_RE.search(_MD_SKIP_RE.sub("", text))
    if match:
        raise _bad(
            f"can't parse entities: Character '{match.group()}' is reserved and must be escaped "
            "with the preceding '\\'"
        )


def _check_markup(markup: Any) -> None:
    rows = markup.get("inline_keyboard") or [] if isinstance(markup, dict) else []
    for row in rows:
        for button in row:
            if len(str(button.get("callback_data", "")).encode()) > 64:
                raise _bad("BUTTON_DATA_INVALID")


class StandinUser:
    """A Telegram user in a private chat with the bot, played by the test."""

    def __init__(
        self, standin: BotApiStandin, user_id: int, first_name: str, language_code: str | None
    ) -> None:
        self.standin, self.user_id = standin, user_id
        self.first_name, self.language_code = first_name, language_code
        self.username: str | None = None
        self._cursor = 0
        self._edit_cursor = 0

    @property
    def chat(self) -> ChatRecord:
        return self.standin.chat(self.user_id)

    @property
    def messages(self) -> list[BotMessage]:
        """All messages the bot sent to this user's chat."""
        return self.chat.messages

    def as_user(self) -> JSON:
        user: JSON = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> JSON:
        return {
            "message_id": self.chat.take_message_id(),
            "from": self.as_user(),
            "chat": self.standin.chat_object(self.user_id),
            "date": int(time.time()),
            **content,
        }

    async def send(self, **content: Any) -> JSON:
        """Send a message with arbitrary content fields (``contact=...``, ``document=...``)."""
        return self.standin.push_update({"message": self._message(**content)})

    async def send_text(self, text: str) -> JSON:
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.send(**content)

    async def send_document(
        self, content: bytes, filename: str, mime_type: str = "application/pdf"
    ) -> JSON:
        """A file, as Telegram delivers it: described by its id; the bot fetches the bytes with
        getFile and a download from the stand-in's file route."""
        file_id = self.standin.keep_file(content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        return await self.send(document=document)

    async def share_location(self, latitude: float, longitude: float) -> JSON:
        return await self.send(location={"latitude": latitude, "longitude": longitude})

    async def send_sticker(self, emoji: str = "👍") -> JSON:
        sticker = {
            "file_id": "CAACstandin",
            "file_unique_id": "AgADstandin",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self.send(sticker=sticker)

    async def send_voice(self, file_id: str, duration: int = 3) -> JSON:
        """A voice message, as Telegram delivers it: the recording by its file id."""
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return await self.send(voice=voice)

    async def send_photo(self, file_id: str = "AgACphoto", caption: str | None = None) -> JSON:
        """A photo, as Telegram delivers it: its sizes, the largest (`file_id`) last."""
        photo = [
            {
                "file_id": f"{file_id}-thumb",
                "file_unique_id": f"u{file_id}-thumb",
                "width": 90,
                "height": 68,
                "file_size": 3600,
            },
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 1280,
                "height": 960,
                "file_size": 51200,
            },
        ]
        return await self.send(photo=photo, **({"caption": caption} if caption else {}))

    def _last_inline(self) -> BotMessage | None:
        for message in reversed(self.chat.messages):
            if not message.deleted and message.buttons():
                return message
        return None

    def last_keyboard(self) -> list[list[str]]:
        """Rows of button texts of the last inline keyboard the bot sent here."""
        message = self._last_inline()
        return [[b.get("text", "") for b in row] for row in message.buttons()] if message else []

    def last_reply_keyboard(self) -> list[list[str]]:
        """Rows of the current reply keyboard (empty once removed or if none was sent)."""
        for message in reversed(self.chat.messages):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return [
                    [b if isinstance(b, str) else b.get("text", "") for b in row]
                    for row in markup["keyboard"]
                ]
            if markup.get("remove_keyboard"):
                return []
        return []

    async def press(self, label_or_data: str, *, on: BotMessage | None = None) -> JSON:
        """Press an inline button (by exact text, then callback_data) of the last keyboard, or
        of the message `on` (a card further up the chat)."""
        message = on if on is not None else self._last_inline()
        buttons = [b for row in message.buttons() for b in row] if message else []
        found = next((b for b in buttons if b.get("text") == label_or_data), None) or next(
            (b for b in buttons if b.get("callback_data") == label_or_data), None
        )
        if message is None or found is None or "callback_data" not in found:
            available = [(b.get("text"), b.get("callback_data")) for b in buttons]
            raise AssertionError(
                f"no pressable button {label_or_data!r} in the last inline keyboard of chat "
                f"{self.user_id}; available (text, callback_data): {available}"
            )
        query_id = self.standin.new_callback_query_id()
        query = {
            "id": query_id,
            "from": self.as_user(),
            "message": self.standin.message_object(message),
            "chat_instance": f"standin-{self.user_id}",
            "data": found["callback_data"],
        }
        return self.standin.push_update({"callback_query": query})

    async def _wait(
        self,
        items: Callable[[], list[BotMessage]],
        attr: str,
        predicate: Callable[[BotMessage], bool] | None,
        timeout: float,  # noqa: ASYNC109
    ) -> BotMessage:
        chat = self.chat
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = items()
            for index in range(getattr(self, attr), len(found)):
                if predicate is None or predicate(found[index]):
                    setattr(self, attr, index + 1)
                    return found[index]
            remaining = deadline - loop.time()
            if remaining <= 0:
                texts = [m.text for m in found]
                raise AssertionError(
                    f"bot did not send the awaited message to chat {self.user_id} within "
                    f"{timeout}s; messages so far: {texts}"
                )
            waiter = loop.create_future()
            chat.waiters.append(waiter)
            try:
                async with asyncio.timeout(remaining):
                    await waiter
            except TimeoutError:
                pass

    async def wait_for_message(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next new bot message here since the last wait (or the first one matching)."""
        return await self._wait(lambda: self.chat.messages, "_cursor", predicate, timeout)

    async def wait_for_edit(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next message edited by the bot here since the last wait for an edit."""
        return await self._wait(lambda: self.chat.edit_log, "_edit_cursor", predicate, timeout)


class BotApiStandin:
    """The stand-in server. Use ``async with BotApiStandin() as api:`` and ``api.url``."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        send_delay: float = 0.0,
    ) -> None:
        self.token, self.host, self.port = token, host, port
        self.send_delay = send_delay
        prefix = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": "Standin Bot",
            "username": "standin_bot",
        }
        self.webhook_attempts, self.webhook_retry_delay = webhook_attempts, webhook_retry_delay
        self.requests: list[tuple[str, JSON]] = []
        self.chats: dict[int, ChatRecord] = {}
        self.users: dict[int, StandinUser] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.documents: list[SentDocument] = []
        self.answered_callbacks: dict[str, JSON] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_responses: list[int] = []  # every delivery attempt; 0 = connection failed
        self.webhook_failed_updates: list[JSON] = []
        self.dropped_updates: list[JSON] = []  # filtered out by allowed_updates
        self.allowed_updates: list[str] | None = None
        self._allowed_set: frozenset[str] | None = None
        self.too_many_requests_count = 0
        self._methods: dict[str, MethodHandler] = {}
        for name in dir(self):
            if name.startswith("_m_"):
                self._methods[name[3:].lower()] = getattr(self, name)
        self._pending: deque[JSON] = deque()
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._callback_queries: dict[str, bool] = {}
        self._fail_rules: list[_FailRule] = []
        self._global_bucket: _Bucket | None = None
        self._paid_bucket: _Bucket | None = None
        self._chat_buckets: dict[int, _Bucket] = {}
        self._chat_limit: tuple[float, float] = (1.0, 3.0)
        self._poll_waiter: asyncio.Future[ApiError | None] | None = None
        # Files users sent (by file id), and the ids the bot downloaded.
        self.user_files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self._webhook_wake: asyncio.Event | None = None
        self._deliverer: asyncio.Task[None] | None = None
        self._client: ClientSession | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The Bot API root, e.g. ``http://127.0.0.1:PORT``."""
        if self._runner is None:
            raise RuntimeError("BotApiStandin is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self._client = ClientSession(timeout=ClientTimeout(total=10))
        self._webhook_wake = asyncio.Event()
        self._deliverer = asyncio.create_task(self._deliver_webhooks())

    async def stop(self) -> None:
        self._wake_poller(None)
        if self._deliverer is not None:
            self._deliverer.cancel()
            await asyncio.gather(self._deliverer, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._deliverer = self._client = self._runner = None

    async def __aenter__(self) -> BotApiStandin:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- test-side API -------------------------------------------------------------------
    def user(
        self, user_id: int, first_name: str = "Erika", language_code: str | None = "de"
    ) -> StandinUser:
        """The user with this id (created on first use; its private chat id is ``user_id``)."""
        if user_id not in self.users:
            self.users[user_id] = StandinUser(self, user_id, first_name, language_code)
        return self.users[user_id]

    def chat(self, chat_id: int) -> ChatRecord:
        record = self.chats.get(chat_id)
        if record is None:
            record = self.chats[chat_id] = ChatRecord(chat_id)
        return record

    def calls(self, method: str) -> list[JSON]:
        """Params of every request of ``method`` (case-insensitive)."""
        method = method.lower()
        return [params for name, params in self.requests if name.lower() == method]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        chat_id: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id`` if given) with an error."""
        self._fail_rules.append(
            _FailRule(method.lower(), status, retry_after, chat_id, times, description)
        )

    def enforce_limits(
        self,
        per_second: float = 30,
        per_chat_per_second: float = 1,
        burst: int = 3,
        paid_per_second: float = 1000,
    ) -> None:
        """Answer 429 when the bot sends faster than Telegram allows (see module docstring)."""
        self._global_bucket = _Bucket(per_second, max(per_second, 1))
        self._paid_bucket = _Bucket(paid_per_second, max(paid_per_second, 1))
        self._chat_limit = (per_chat_per_second, float(burst))
        self._chat_buckets.clear()

    def register_method(self, name: str, handler: MethodHandler) -> None:
        """Add or replace a method; ``handler(params)`` returns the result (may be async)."""
        self._methods[name.lower()] = handler

    def callback_queries_unanswered(self) -> list[str]:
        return [qid for qid, answered in self._callback_queries.items() if not answered]

    def new_callback_query_id(self) -> str:
        query_id = f"{self.bot_user['id']}{next(self._callback_ids):08d}"
        self._callback_queries[query_id] = False
        return query_id

    @property
    def pending_updates(self) -> int:
        return len(self._pending)

    def push_update(self, update: JSON) -> JSON:
        """Queue an update (``update_id`` is assigned) for polling or webhook delivery."""
        update = {"update_id": next(self._update_ids), **update}
        if not self._allowed(update):
            self.dropped_updates.append(update)
            return update
        self._pending.append(update)
        self._wake_poller(None)
        if self.webhook_url is not None and self._webhook_wake is not None:
            self._webhook_wake.set()
        return update

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 10,  # noqa: ASYNC109
        interval: float = 0.005,
    ) -> Any:
        """Poll ``predicate`` (sync or async) until truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    async def post_to_webhook(
        self, update: JSON, *, secret: str | None = _REGISTERED, url: str | None = None
    ) -> int:
        """POST a raw update to the webhook with any secret (None: no header); HTTP status."""
        target = url or self.webhook_url
        if target is None or self._client is None:
            raise RuntimeError("no webhook registered (or stand-in not started)")
        secret = self.webhook_secret if secret is _REGISTERED else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        update = {"update_id": next(self._update_ids), **update}
        async with self._client.post(target, json=update, headers=headers) as response:
            return response.status

    def chat_object(self, chat_id: int) -> JSON:
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup", "title": "Standin Group"}
        user = self.users.get(chat_id)
        chat: JSON = {
            "id": chat_id,
            "type": "private",
            "first_name": user.first_name if user else "User",
        }
        if user and user.username:
            chat["username"] = user.username
        return chat

    def message_object(self, message: BotMessage) -> JSON:
        obj: JSON = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self.chat_object(message.chat_id),
            "date": message.date,
        }
        if message.text is not None:
            obj["text"] = message.plain_text
        if message.document is not None:
            obj["document"] = message.document
        if message.voice is not None:
            obj["voice"] = message.voice
        if message.photo is not None:
            obj["photo"] = message.photo
        if message.venue is not None:
            obj["venue"] = message.venue
            obj["location"] = message.venue["location"]
        if message.caption is not None:
            obj["caption"] = message.caption
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            obj["reply_markup"] = message.reply_markup
        if message.edit_date is not None:
            obj["edit_date"] = message.edit_date
        return obj

    # --- HTTP plumbing ---------------------------------------------------------------------
    def keep_file(self, content: bytes) -> str:
        """Keep a file a user sends; its id (and its path for downloads)."""
        file_id = f"BQACup{len(self.user_files) + 1}"
        self.user_files[file_id] = content
        return file_id

    def _m_getFile(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.user_files:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        content = self.user_files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": f"documents/{file_id}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        content = self.user_files.get(file_id)
        if content is None:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=content)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params = await self._parse(request)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._error(_bad(f"can't parse request: {exc}"))
        self.requests.append((method, params))
        key = method.lower()
        handler = self._methods.get(key)
        if handler is None and key not in NOOP_METHODS:
            return self._error(ApiError(404, "Not Found"))
        if self.send_delay > 0 and key in RATE_LIMITED:
            await asyncio.sleep(self.send_delay)
        try:
            self._check_failures(key, params)
            result = handler(params) if handler is not None else True
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            return self._error(exc)
        return web.json_response({"ok": True, "result": result})

    def _error(self, error: ApiError) -> web.Response:
        if error.status == 429:
            self.too_many_requests_count += 1
        return web.json_response(error.body(), status=error.status)

    async def _parse(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.read()
                params.update(json.loads(body) if body.strip() else {})
            else:
                files: dict[str, UploadedFile] = {}
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            value.filename, value.file.read(), value.content_type
                        )
                    else:
                        params[key] = value
                for key, value in list(params.items()):  # resolve attach://name references
                    if isinstance(value, str) and value.startswith("attach://"):
                        params[key] = files.pop(value[9:], value)
                params.update(files)
        return {key: _decode(key, value) for key, value in params.items()}

    def _check_failures(self, method: str, params: JSON) -> None:
        for rule in self._fail_rules:
            if rule.method == method and rule.chat_id in (None, params.get("chat_id")):
                rule.times -= 1
                if rule.times <= 0:
                    self._fail_rules.remove(rule)
                raise self._make_error(rule.status, rule.retry_after, rule.description)
        if self._global_bucket is not None and method in RATE_LIMITED:
            now = time.monotonic()
            chat_id = params.get("chat_id")
            bucket = self._chat_buckets.get(chat_id)  # type: ignore[arg-type]
            if bucket is None:
                bucket = self._chat_buckets[chat_id] = _Bucket(*self._chat_limit)  # type: ignore[index]
            # A paid broadcast counts against its own budget, not the free 30 per second.
            paid = params.get("allow_paid_broadcast") is True and self._paid_bucket is not None
            overall = self._paid_bucket if paid and self._paid_bucket else self._global_bucket
            wait = max(overall.wait_time(now), bucket.wait_time(now))
            if wait > 0:
                raise self._make_error(429, max(1, int(wait + 0.999)), None)
            overall.tokens -= 1
            bucket.tokens -= 1

    @staticmethod
    def _make_error(status: int, retry_after: int, description: str | None) -> ApiError:
        if status == 429:
            return ApiError(
                429,
                description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        default = {
            400: "Bad Request: chat not found",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            404: "Not Found",
        }
        return ApiError(status, description or default.get(status, "Internal Server Error"))

    # --- update delivery ---------------------------------------------------------------------
    def _allowed(self, update: JSON) -> bool:
        allowed = self._allowed_set
        return allowed is None or any(key in allowed for key in update if key != "update_id")

    def _set_allowed(self, allowed: Any) -> None:
        if allowed is None or (list(allowed) or None) == self.allowed_updates:
            return  # None: Telegram keeps the previous setting
        self.allowed_updates = list(allowed) or None
        self._allowed_set = frozenset(allowed) or None
        if self._allowed_set is not None:
            kept = [u for u in self._pending if self._allowed(u)]
            self.dropped_updates.extend(u for u in self._pending if not self._allowed(u))
            self._pending = deque(kept)

    def _wake_poller(self, value: ApiError | None) -> None:
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result(value)

    def _confirm(self, offset: int) -> None:
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
            return
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()

    async def _deliver_webhooks(self) -> None:
        assert self._webhook_wake is not None
        while True:
            await self._webhook_wake.wait()
            if self.webhook_url is None or not self._pending:
                self._webhook_wake.clear()
                continue
            update = self._pending[0]
            for attempt in range(self.webhook_attempts):
                url = self.webhook_url
                if url is None:
                    break  # deleteWebhook: the update stays pending for getUpdates
                status = await self._post_update(url, update)
                self.webhook_responses.append(status)
                ok = 200 <= status < 300
                if ok or attempt + 1 == self.webhook_attempts:
                    if not ok:
                        self.webhook_failed_updates.append(update)
                    if self._pending and self._pending[0] is update:
                        self._pending.popleft()
                    break
                await asyncio.sleep(self.webhook_retry_delay * (attempt + 1))

    async def _post_update(self, url: str, update: JSON) -> int:
        assert self._client is not None
        secret = self.webhook_secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with self._client.post(url, json=update, headers=headers) as resp:
                await resp.read()
                return resp.status
        except (ClientError, TimeoutError):
            return 0

    # --- Bot API methods -------------------------------------------------------------------
    def _m_getMe(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_close(self, params: JSON) -> bool:
        return True

    _m_logOut = _m_close

    def _m_setWebhook(self, params: JSON) -> bool:
        url = params.get("url") or None
        secret = params.get("secret_token") or None
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not _SECRET_RE.match(secret):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._set_allowed(params.get("allowed_updates"))
        self.webhook_url, self.webhook_secret = url, secret if url else None
        if url is not None and self._webhook_wake is not None:
            self._webhook_wake.set()
        self._wake_poller(ApiError(409, "Conflict: terminated by setWebhook request"))
        return True

    def _m_deleteWebhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = self.webhook_secret = None
        return True

    def _m_getWebhookInfo(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        return info

    async def _m_getUpdates(self, params: JSON) -> list[JSON]:
        self._wake_poller(ApiError(409, _TERMINATED))  # an older long poll ends with 409
        if self.webhook_url is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "offset" in params:
            self._confirm(int(params["offset"]))
        self._set_allowed(params.get("allowed_updates"))
        timeout = float(params.get("timeout") or 0)
        if not self._pending and timeout > 0 and self._runner is not None:
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[ApiError | None] = loop.create_future()
            self._poll_waiter = waiter
            handle = loop.call_later(timeout, self._wake_poller, None)
            try:
                error = await waiter
                if error is not None:
                    raise error
            finally:
                handle.cancel()
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        return list(itertools.islice(self._pending, limit))

    def _new_message(self, params: JSON, **fields: Any) -> BotMessage:
        if "chat_id" not in params:
            raise _bad("chat_id is empty")
        if not isinstance(params["chat_id"], int):
            raise _bad("chat not found")
        chat = self.chat(params["chat_id"])
        markup = params.get("reply_markup")
        _check_markup(markup)
        message = BotMessage(
            chat.chat_id,
            chat.take_message_id(),
            int(time.time()),
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
            **fields,
        )
        chat.messages.append(message)
        chat.by_id[message.message_id] = message
        chat.notify()
        return message

    @staticmethod
    def _check_text(text: Any, parse_mode: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        mode = str(parse_mode or "").lower()
        if mode == "html":
            _check_html(text)
        elif mode == "markdownv2":
            _check_markdown_v2(text)
        plain = html.unescape(_TAG_RE.sub("", text)) if mode == "html" else text
        if len(plain.encode("utf-16-le")) > 2 * 4096:
            raise _bad("message is too long")
        return text

    def _m_sendMessage(self, params: JSON) -> JSON:
        text = self._check_text(params.get("text"), params.get("parse_mode"))
        return self.message_object(self._new_message(params, text=text))

    def _m_sendDocument(self, params: JSON) -> JSON:
        document = params.get("document")
        if document is None:
            raise _bad("there is no document in the request")
        upload = document if isinstance(document, UploadedFile) else None
        name = upload.filename if upload else None
        doc: JSON = {
            "file_id": f"BQACdoc{len(self.documents) + 1}",
            "file_unique_id": f"AgADdoc{len(self.documents) + 1}",
        }
        if upload:
            doc.update(file_name=name, mime_type=upload.content_type, file_size=len(upload.content))
        message = self._new_message(params, text=None, document=doc, caption=params.get("caption"))
        sent = SentDocument(
            message.chat_id,
            message.message_id,
            name,
            upload.content if upload else None,
            None if upload else str(document),
            params.get("caption"),
        )
        self.documents.append(sent)
        self.chat(message.chat_id).documents.append(sent)
        return self.message_object(message)

    def _m_sendVoice(self, params: JSON) -> JSON:
        voice = params.get("voice")
        if not isinstance(voice, str) or not voice:
            raise _bad("there is no voice in the request")
        known = {"file_id": voice, "file_unique_id": f"u{voice}", "duration": 3}
        message = self._new_message(params, text=None, voice=known, caption=params.get("caption"))
        return self.message_object(message)

    def _m_sendPhoto(self, params: JSON) -> JSON:
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo:
            raise _bad("there is no photo in the request")  # uploads are not played
        sizes = [{"file_id": photo, "file_unique_id": f"u{photo}", "width": 1280, "height": 960}]
        message = self._new_message(params, text=None, photo=sizes, caption=params.get("caption"))
        return self.message_object(message)

    def _m_sendVenue(self, params: JSON) -> JSON:
        try:
            latitude, longitude = float(params["latitude"]), float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise _bad("latitude and longitude are required") from None
        title, address = params.get("title"), params.get("address")
        if not isinstance(title, str) or not title or not isinstance(address, str) or not address:
            raise _bad("title and address are required")
        venue = {
            "location": {"latitude": latitude, "longitude": longitude},
            "title": title,
            "address": address,
        }
        message = self._new_message(params, text=None, venue=venue)
        return self.message_object(message)

    def _find(self, params: JSON, action: str) -> BotMessage:
        chat = self.chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        message = chat.by_id.get(params.get("message_id")) if chat else None  # type: ignore[arg-type]
        if message is None or message.deleted:
            raise _bad(f"message to {action} not found")
        return message

    def _edit(
        self, params: JSON, method: str, text: str | None, caption: str | None = None
    ) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        message = self._find(params, "edit")
        if text is not None and message.text is None:
            raise _bad("there is no text in the message to edit")
        if caption is not None and message.text is not None:
            raise _bad("there is no caption in the message to edit")
        markup = params.get("reply_markup")
        _check_markup(markup)
        new_text = message.text if text is None else text
        new_caption = message.caption if caption is None else caption
        unchanged = new_text == message.text and new_caption == message.caption
        if unchanged and markup == message.reply_markup:
            raise _bad(_NOT_MODIFIED)
        edit: JSON = {"method": method, "text": text, "reply_markup": markup}
        if caption is not None:
            edit["caption"] = caption
        message.edits.append(edit)
        message.text, message.caption, message.reply_markup = new_text, new_caption, markup
        if text is not None or caption is not None:
            message.parse_mode = params.get("parse_mode")
        message.edit_date = int(time.time())
        chat = self.chat(message.chat_id)
        chat.edit_log.append(message)
        chat.notify()
        return self.message_object(message)

    def _m_editMessageText(self, params: JSON) -> JSON | bool:
        text = self._check_text(params.get("text"), params.get("parse_mode"))
        return self._edit(params, "editMessageText", text)

    def _m_editMessageCaption(self, params: JSON) -> JSON | bool:
        caption = params.get("caption")
        return self._edit(params, "editMessageCaption", None, str(caption or ""))

    def _m_editMessageReplyMarkup(self, params: JSON) -> JSON | bool:
        return self._edit(params, "editMessageReplyMarkup", None)

    def _m_deleteMessage(self, params: JSON) -> bool:
        self._find(params, "delete").deleted = True
        return True

    def _m_sendChatAction(self, params: JSON) -> bool:
        self.chat(params["chat_id"]).actions.append(str(params.get("action")))
        return True

    def _m_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id"))
        if self._callback_queries.get(query_id, True):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._callback_queries[query_id] = True
        self.answered_callbacks[query_id] = params
        return True

    @staticmethod
    def _scope_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        key = ":".join(str(scope[k]) for k in ("type", "chat_id", "user_id") if k in scope)
        return key, str(params.get("language_code") or "")

    def _m_setMyCommands(self, params: JSON) -> bool:
        commands: Iterable[JSON] = params.get("commands") or []
        language = params.get("language_code")
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("LANGUAGE_CODE_INVALID")  # Telegram wants a two-letter ISO 639-1 code
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("command description must be 1-256 characters long")
        self.commands[self._scope_key(params)] = list(commands)
        return True

    def _m_deleteMyCommands(self, params: JSON) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _m_getMyCommands(self, params: JSON) -> list[JSON]:
        return self.commands.get(self._scope_key(params), [])
