"""The neutral messages between channels and the dialogue core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.i18n import Text
from locales import LANGUAGES
from storage.replies import Outgoing, Pending


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class IncomingFile:
    """A file someone sent (a document), as the platform names it: fetched only where a step
    keeps it (a coordinator's upload to the documents shelf)."""

    file_id: str
    filename: str
    mime_type: str
    size: int


@dataclass(frozen=True)
class Incoming:
    """What a person sent, as every channel describes it.

    `user_key` is stable per person and channel (`telegram:42`, `console:erika`). Exactly one of
    `text`, `payload`, `location`, `voice` and `photo` is usually set; `attachment` names what else
    arrived (a sticker, a video) so the core can say that it only reads text here. `update_key`
    names the platform's update (`telegram:815`) where the platform may deliver it more than once:
    the core handles each key once.
    """

    user_key: str
    text: str | None = None
    payload: str | None = None
    location: Location | None = None
    attachment: str | None = None
    # A voice message: the platform's id of the recording, to keep and forward as it is.
    voice: str | None = None
    # A photo: the platform's id of its largest size, to keep and forward as it is (a caption is
    # not read).
    photo: str | None = None
    # A document (a file), by the platform's id.
    document: IncomingFile | None = None
    language_code: str | None = None
    update_key: str | None = None


@dataclass(frozen=True)
class Button:
    """A choice: `payload` is a constant id, `label` is translated for the reader."""

    payload: str
    label: Text


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Venue:
    """A place on the map with its name and address (a meeting point)."""

    latitude: float
    longitude: float
    title: str
    address: str


# Plain language is for readers who need it simple, often seniors: at most two buttons in a row.
PLAIN_PER_ROW = 2


def at_most(width: int, rows: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
    """The same buttons in the same order, no row wider than `width`."""
    if all(len(row) <= width for row in rows):
        return rows
    return tuple(row[start : start + width] for row in rows for start in range(0, len(row), width))


@dataclass(frozen=True)
class Reply:
    """One message to send, rendered by the channel in `language`.

    With `voice` or `photo` the message is that recording or picture, sent by the platform's id,
    with the text as its caption and the buttons below it. A `venue` follows the message as a
    place on the map.
    """

    text: Text
    language: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    file: OutgoingFile | None = None
    request_location: bool = False
    # A voice message to forward (the platform's id of the recording).
    voice: str | None = None
    # A photo to forward (the platform's id of the picture).
    photo: str | None = None
    # Ids of the people whose personal details the message shows (see `Ctx.about`).
    about: tuple[int, ...] = ()
    venue: Venue | None = None
    # One of many like it sent at once (a call for helpers, the answers to it): a channel may
    # send it through its bulk lane (Telegram's paid broadcasts), apart from everyday replies.
    broadcast: bool = False

    def __post_init__(self) -> None:
        if self.language in LANGUAGES and LANGUAGES[self.language].plain:
            object.__setattr__(self, "buttons", at_most(PLAIN_PER_ROW, self.buttons))

    @property
    def payloads(self) -> list[str]:
        return [button.payload for row in self.buttons for button in row]


@dataclass(frozen=True)
class Turn:
    """The core's answer to one incoming message.

    `chosen` is the label of the button the person pressed, so a channel can mark the pressed message
    with the choice (and drop its keyboard) before sending the replies. `replace` says the single
    reply is the same question again with its buttons updated (a ✓ toggled in a multi-select): a
    channel that can edits the pressed message instead of sending a new one.

    A channel that keeps replies durable (see `Render`) finds them rendered and claimed in
    `queued`, written in the same transaction as the step: it sends them and marks each done.
    """

    replies: list[Reply] = field(default_factory=list)
    chosen: Text | None = None
    language: str | None = None
    replace: bool = False
    queued: tuple[Pending, ...] = ()


# How a channel renders a turn into the calls it will make, so that they can be stored with the
# step (`DialogueCore.handle(incoming, render)`).
Render = Callable[[Turn], list[Outgoing]]
