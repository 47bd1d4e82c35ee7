"""What a Telegram framework must do for us, and the errors it reports, in neutral terms.

Each framework adapter (`front_ptb.py`, `front_aiogram.py`) implements `Transport` with its own bot object and
translates its own exceptions into the ones below, so the sender's retry logic is written once.
Reply markup travels as Bot API JSON (`{"inline_keyboard": [...]}`).
"""

from __future__ import annotations

from typing import Any, Protocol

Markup = dict[str, Any]


class SendError(Exception):
    """Base of what can go wrong when talking to the Bot API."""


class RetryLater(SendError):
    """Telegram answered 429: wait `seconds`, then try again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(SendError):
    """Telegram answered 403: the person blocked the bot or deleted their account."""


class Transient(SendError):
    """A network error, a time-out or a 5xx: worth trying again after a pause."""


class Rejected(SendError):
    """Telegram refused the request itself (400): trying again will not help."""


class Transport(Protocol):
    async def send_message(
        self, chat_id: int, text: str, markup: Markup | None, paid: bool = False
    ) -> int:
        """Send a text; `paid` as one of Telegram's paid broadcasts (beyond the 30 per second)."""
        ...

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: Markup | None
    ) -> None: ...

    async def answer_callback(self, callback_id: str) -> None: ...

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str | None
    ) -> int: ...

    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str, markup: Markup | None
    ) -> None:
        """Edit the caption (and keyboard) of a voice message or a photo."""
        ...

    async def send_voice(
        self, chat_id: int, voice: str, caption: str | None, markup: Markup | None
    ) -> int:
        """Forward a voice message by the id Telegram gave its recording."""
        ...

    async def send_photo(
        self, chat_id: int, photo: str, caption: str | None, markup: Markup | None
    ) -> int:
        """Forward a photo by the id Telegram gave it."""
        ...

    async def send_venue(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        paid: bool = False,
    ) -> int:
        """A place on the map with its name and address."""
        ...

    async def download(self, file_id: str) -> bytes:
        """The content of a file a person sent (getFile, then the file's download URL)."""
        ...

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None: ...

    async def set_webhook(self, url: str, secret: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """The next updates as plain JSON (long polling for up to `timeout` seconds)."""
