"""Chat scripts: talk to the dialogue core as a person does and read what the bot answers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import App
from engine.types import Incoming, IncomingFile, Location, OutgoingFile, Reply, Turn, Venue
from push.deliver import Audience
from push.jobs import TickReport, tick
from storage.outbox import Addressee


@dataclass
class Shown:
    """A bot message as the person sees it."""

    text: str
    buttons: list[list[tuple[str, str]]]  # rows of (label, payload)
    voice: str | None = None  # a forwarded voice message's id
    photo: str | None = None  # a forwarded photo's id
    file: OutgoingFile | None = None  # a document sent with the message (a calendar file)
    venue: Venue | None = None  # a place on the map that follows the message

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]


class Chat:
    def __init__(
        self, app: App, user: str, language_code: str | None, *, key: str | None = None
    ) -> None:
        self.app = app
        self.user_key = key or f"test:{user}"
        self.language_code = language_code
        self.history: list[Shown] = []
        self.last_turn: Turn | None = None

    @property
    def last(self) -> Shown:
        return self.history[-1]

    def _render(self, reply: Reply) -> Shown:
        tr = self.app.translator
        buttons = [
            [(tr.render(b.label, reply.language), b.payload) for b in row] for row in reply.buttons
        ]
        text = tr.render(reply.text, reply.language)
        return Shown(text, buttons, reply.voice, reply.photo, reply.file, reply.venue)

    async def _send(self, incoming: Incoming) -> str:
        self.last_turn = await self.app.core.handle(incoming)
        shown = [self._render(reply) for reply in self.last_turn.replies]
        assert shown, "the bot did not answer"
        self.history.extend(shown)
        return "\n\n".join(s.text for s in shown)

    async def send(self, text: str) -> str:
        """Type a message; returns what the bot answered."""
        return await self._send(
            Incoming(self.user_key, text=text, language_code=self.language_code)
        )

    async def press(self, label: str) -> str:
        """Press the button with this label on the last message."""
        for row in self.last.buttons:
            for button_label, payload in row:
                if button_label == label:
                    return await self.press_payload(payload)
        raise AssertionError(f"no button {label!r}; the last message offers {self.last.labels}")

    async def press_payload(self, payload: str) -> str:
        """Send raw button data, as a forged or replayed callback would."""
        return await self._send(
            Incoming(self.user_key, payload=payload, language_code=self.language_code)
        )

    async def share_location(self, latitude: float, longitude: float) -> str:
        return await self._send(
            Incoming(
                self.user_key,
                location=Location(latitude, longitude),
                language_code=self.language_code,
            )
        )

    async def send_voice(self, file_id: str) -> str:
        """Send a voice message (the platform's id of the recording)."""
        return await self._send(
            Incoming(self.user_key, voice=file_id, language_code=self.language_code)
        )

    async def send_photo(self, file_id: str) -> str:
        """Send a photo (the platform's id of the picture)."""
        return await self._send(
            Incoming(self.user_key, photo=file_id, language_code=self.language_code)
        )

    async def send_document(
        self, file_id: str, filename: str, size: int, mime_type: str = "application/pdf"
    ) -> str:
        """Send a file; its content is what the test gave `Inbox.files` under `file_id`."""
        document = IncomingFile(file_id, filename, mime_type, size)
        return await self._send(
            Incoming(self.user_key, document=document, language_code=self.language_code)
        )

    async def send_attachment(self, kind: str) -> str:
        return await self._send(
            Incoming(self.user_key, attachment=kind, language_code=self.language_code)
        )


ROLES = {
    "de": {
        "volunteer": "🙋 Ich möchte helfen",
        "seeker": "🤝 Ich brauche Hilfe",
        "relative": "👪 Ich frage für jemand anderen",
        "organisation": "🏛️ Ich vertrete eine Organisation",
    },
    "en": {
        "volunteer": "🙋 I want to help",
        "seeker": "🤝 I need help",
        "relative": "👪 I ask for help for someone else",
        "organisation": "🏛️ I represent an organisation",
    },
}


async def onboard(person: Chat, role: str, language: str = "de", *, menu: bool = True) -> Chat:
    """Take a person through onboarding in `language` with `role`.

    Over Telegram, a phone in `language` goes straight to consent. The role starts its dialogue
    at once (the profile, a request); with `menu` the person then sends /menu and ends in the
    main menu, without it they stay at the dialogue's first question.
    """
    await person.send("/start")
    endonym = "Deutsch" if language == "de" else "English"
    agree = "✅ Ich stimme zu" if language == "de" else "✅ I agree"
    if agree not in person.last.labels:  # Telegram with the phone's language: no question
        await person.press(endonym)
    await person.press(agree)
    await person.press(ROLES[language][role])
    if menu and role != "organisation":
        await person.send("/menu")
    return person


class Inbox:
    """Where pushes to test users land: the `Outbound` of the outbox in chat-script tests."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.pushes: dict[str, list[Shown]] = {}
        # Files people sent, by the platform's id, for the scheduler to fetch.
        self.files: dict[str, bytes] = {}

    async def download(self, file_id: str) -> bytes:
        return self.files[file_id]

    async def push(self, user: Addressee, reply: Reply) -> bool:
        tr = self.app.translator
        buttons = [
            [(tr.render(b.label, reply.language), b.payload) for b in row] for row in reply.buttons
        ]
        text = tr.render(reply.text, reply.language)
        self.pushes.setdefault(user.key, []).append(
            Shown(text, buttons, reply.voice, reply.photo, reply.file, reply.venue)
        )
        return True

    def of(self, person: Chat) -> list[Shown]:
        """The messages pushed to the person, without the files (calendar entries)."""
        return [shown for shown in self.pushes.get(person.user_key, []) if shown.file is None]

    def files_of(self, person: Chat) -> list[Shown]:
        """The files pushed to the person (calendar entries), each with its caption."""
        return [shown for shown in self.pushes.get(person.user_key, []) if shown.file is not None]

    async def run(self) -> TickReport:
        """Run the scheduled work once at the app's current time, as the scheduler would."""
        return await tick(self.app.pushing, self, Audience(key_prefix="test:"))


async def press_on(person: Chat, message: Shown, label: str) -> str:
    """Press a button on a pushed message."""
    for row in message.buttons:
        for button_label, payload in row:
            if button_label == label:
                return await person.press_payload(payload)
    raise AssertionError(f"no button {label!r}; the message offers {message.labels}")
