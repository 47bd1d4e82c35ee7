"""The documents shelf: coordinators put documents up from the shell, people fetch them in the
chat as files, a replaced document reaches its earlier readers, and one out of date leaves the
shelf with a reminder to its coordinators. The files live in the storage directory only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot import cli, cli_documents
from bot.app import App
from bot.config import Settings
from exchange import documents
from storage.models import AuditEvent, Document, DocumentCategory, DocumentFetch
from tests.chat import Chat, Inbox, onboard
from tests.conftest import FrozenClock
from tests.test_agency import coordinator, user_of
from tests.test_staff import admin

FIRST = b"%PDF-1.4 the first version of the form"
SECOND = b"%PDF-1.4 the second version of the form"


async def shelf(settings: Settings, clock: FrozenClock, *args: str) -> str:
    """Run `ehrenamt admin document ...` with the test's settings and clock."""
    parsed = cli._parser().parse_args(["admin", "document", *args])
    return await cli_documents.run(settings, parsed, clock=clock)


def a_file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


async def the_document(app: App) -> Document:
    async with app.sessions() as session:
        return (await session.exec(select(Document))).one()


def stored_files(settings: Settings) -> list[Path]:
    if not settings.storage_dir.exists():
        return []
    return sorted(path for path in settings.storage_dir.iterdir() if path.is_file())


def files_received(person: Chat) -> list[bytes]:
    return [shown.file.content for shown in person.history if shown.file is not None]


async def test_a_document_found_replaced_and_its_earlier_readers_told(
    app: App,
    chat: Callable[..., Chat],
    clock: FrozenClock,
    settings: Settings,
    tmp_path: Path,
    database_url: str,
) -> None:
    koordination = await coordinator(app, chat("koordination"), "de")
    erika = await onboard(chat("erika"), "seeker")
    upload = a_file(tmp_path, "Antrag Ehrenamtskarte.pdf", FIRST)
    out = await shelf(
        settings,
        clock,
        "add",
        str(upload),
        "--category",
        "forms",
        "--title",
        "de=Antrag auf die Ehrenamtskarte",
        "--title",
        "en=Application for the volunteer card",
        "--valid-until",
        "2026-12-31",
    )
    document = await the_document(app)
    assert out == f"Added document {document.id}: Antrag auf die Ehrenamtskarte\n"
    # The file is in the storage directory under a name of its own, not in the database.
    [stored] = stored_files(settings)
    assert stored.name == document.stored_as != upload.name
    assert stored.read_bytes() == FIRST
    assert document.size == len(FIRST) and document.version == 1
    assert "content" not in Document.model_fields
    if database_url.startswith("sqlite"):
        database = Path(database_url.split("///", 1)[1])
        kept = b"".join(p.read_bytes() for p in database.parent.glob(f"{database.name}*"))
        assert FIRST not in kept

    answer = await erika.press("📂 Unterlagen")
    assert "📂 Unterlagen: Formulare, Leitfäden und mehr." in answer
    assert erika.last.labels == ["📝 Formulare (1)", "↩️ Zurück"]
    answer = await erika.press("📝 Formulare (1)")
    assert "📝 Formulare: Tippen Sie auf ein Dokument" in answer
    assert "gültig bis" not in answer  # validity is for coordinators
    answer = await erika.press("📄 Antrag auf die Ehrenamtskarte")
    [caption] = [shown for shown in erika.history if shown.file is not None]
    assert caption.text == (
        "📄 Antrag auf die Ehrenamtskarte\nGibt es eine neue Version, senden wir sie Ihnen."
    )
    assert caption.file is not None and caption.file.filename == "Antrag Ehrenamtskarte.pdf"
    assert caption.file.mime_type == "application/pdf"
    assert files_received(erika) == [FIRST]
    assert "📝 Formulare: Tippen Sie auf ein Dokument" in erika.last.text  # the list again
    assert "« Zurück" in erika.last.labels

    # The coordinator replaces it: the old file goes, the reader of the first version is told.
    out = await shelf(
        settings,
        clock,
        "replace",
        str(document.id),
        str(a_file(tmp_path, "Antrag-2027.pdf", SECOND)),
    )
    assert out == (
        f"Replaced document {document.id} with version 2; 1 earlier readers are sent the new one.\n"
    )
    [stored] = stored_files(settings)
    assert stored.read_bytes() == SECOND
    inbox = Inbox(app)
    await inbox.run()
    [pushed] = inbox.files_of(erika)
    assert pushed.text == (
        "📄 Es gibt eine neue Version von „Antrag auf die Ehrenamtskarte“. Hier ist sie.\n\n"
        "Alle Unterlagen finden Sie im Menü unter 📂 Unterlagen."
    )
    assert pushed.file is not None and pushed.file.content == SECOND
    assert pushed.file.filename == "Antrag-2027.pdf"
    assert inbox.files_of(koordination) == []  # never fetched it
    await inbox.run()
    assert len(inbox.files_of(erika)) == 1  # told once

    # The coordinator sees how long it is valid.
    await koordination.press("📂 Unterlagen")
    answer = await koordination.press("📝 Formulare (1)")
    assert "📄 Antrag auf die Ehrenamtskarte: gültig bis 31. Dezember 2026" in answer

    # Out of date: hidden from the shelf, the coordinator reminded once.
    clock.now = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    await inbox.run()
    [reminder] = inbox.of(koordination)
    assert reminder.text == (
        "⚠️ Das Dokument „Antrag auf die Ehrenamtskarte“ war gültig bis Donnerstag, "
        "31. Dezember. Es wird nicht mehr angezeigt.\n\n"
        "Bitte laden Sie eine neue Version hoch:\n"
        f"ehrenamt admin document replace {document.id} FILE --valid-until YYYY-MM-DD"
    )
    assert inbox.of(erika) == []
    clock.advance(timedelta(days=1))
    await inbox.run()
    assert len(inbox.of(koordination)) == 1
    await erika.send("/menu")
    assert "📂 Hier gibt es noch keine Unterlagen." in await erika.press("📂 Unterlagen")
    await koordination.send("/menu")
    answer = await koordination.press("📂 Unterlagen")
    assert "Als Koordination sehen Sie auch die abgelaufenen Unterlagen." in answer
    answer = await koordination.press("📝 Formulare (1)")
    assert "📄 Antrag auf die Ehrenamtskarte: ⚠️ abgelaufen, gültig bis 31. Dezember 2026" in (
        answer
    )
    async with app.sessions() as session:
        events = (await session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    assert [(e.via, e.action) for e in events if e.subject.startswith("document:")] == [
        ("cli", "document add"),
        ("cli", "document replace"),
    ]


async def test_in_english_a_reader_gets_the_english_title_and_the_new_version(
    app: App, chat: Callable[..., Chat], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    karl = await onboard(chat("karl", "en"), "seeker", "en")
    guide = a_file(tmp_path, "guide.txt", b"Be kind.")
    await shelf(
        settings,
        clock,
        "add",
        str(guide),
        "--category",
        "guides",
        "--title",
        "de=Leitfaden für Ehrenamtliche",
        "--title",
        "en=A guide for volunteers",
    )
    document = await the_document(app)

    answer = await karl.press("📂 Documents")
    assert "📂 Documents: forms, guides and more. Which topic do you need?" in answer
    answer = await karl.press("📘 Guides for volunteers (1)")
    assert "tap a document and we send it to you as a file" in answer
    await karl.press("📄 A guide for volunteers")
    assert files_received(karl) == [b"Be kind."]
    await karl.press("« Back")
    await karl.press("↩️ Back")
    assert "📂 Documents" in karl.last.labels  # the main menu again

    await shelf(
        settings,
        clock,
        "replace",
        str(document.id),
        str(a_file(tmp_path, "guide-2.txt", b"Be kinder.")),
    )
    inbox = Inbox(app)
    await inbox.run()
    [pushed] = inbox.files_of(karl)
    assert pushed.text == (
        "📄 There is a new version of “A guide for volunteers”. Here it is.\n\n"
        "You find all documents in the menu under 📂 Documents."
    )
    assert pushed.file is not None and pushed.file.content == b"Be kinder."

    # Replaced again late in the evening: the new version waits for the morning.
    clock.now = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)  # 22:30 in Bingen
    third = a_file(tmp_path, "guide-3.txt", b"Be kindest.")
    await shelf(settings, clock, "replace", str(document.id), str(third))
    await inbox.run()
    assert len(inbox.files_of(karl)) == 1
    clock.now = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 8:00 in Bingen
    await inbox.run()
    assert [shown.file.content for shown in inbox.files_of(karl) if shown.file] == [
        b"Be kinder.",
        b"Be kindest.",
    ]


async def test_forged_and_stale_document_buttons_send_nothing(
    app: App, chat: Callable[..., Chat], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    erika = await onboard(chat("erika"), "seeker")
    for name, until in (("Alt", "2026-11-01"), ("Neu", "2027-06-30")):
        await shelf(
            settings,
            clock,
            "add",
            str(a_file(tmp_path, f"{name}.pdf", name.encode())),
            "--category",
            "insurance",
            "--title",
            f"de={name}",
            "--valid-until",
            until,
        )
    async with app.sessions() as session:
        rows = (await session.exec(select(Document).order_by(col(Document.id)))).all()
    expired, current = rows

    await erika.press("📂 Unterlagen")
    answer = await erika.press("🛡️ Versicherung (1)")  # the expired one is not counted
    assert erika.last.labels == ["📄 Neu", "« Zurück"]
    # An expired document by a forged button: refused, nothing sent.
    answer = await erika.press_payload(f"docs:document:{expired.id}")
    assert "Diese Taste gilt nicht mehr" in answer
    answer = await erika.press_payload("docs:category:nonsense")
    assert "Diese Taste gilt nicht mehr" in answer
    # One removed after the list was shown: the list again, without it.
    out = await shelf(settings, clock, "remove", str(current.id))
    assert out == f"Removed document {current.id}.\n"
    answer = await erika.press("📄 Neu")
    assert "Dieses Dokument gibt es nicht mehr." in answer
    assert "Zu diesem Thema gibt es keine Unterlagen mehr." in answer
    assert files_received(erika) == []
    async with app.sessions() as session:
        assert (await session.exec(select(DocumentFetch))).all() == []
    assert [path.read_bytes() for path in stored_files(settings)] == [b"Alt"]


async def test_a_file_gone_from_the_directory_is_explained_not_sent(
    app: App, chat: Callable[..., Chat], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    karl = await onboard(chat("karl", "en"), "seeker", "en")
    await shelf(
        settings,
        clock,
        "add",
        str(a_file(tmp_path, "privacy.pdf", b"notice")),
        "--category",
        "privacy",
        "--title",
        "de=Datenschutzhinweis",
    )
    for path in stored_files(settings):
        path.unlink()
    await karl.press("📂 Documents")
    await karl.press("🔒 Data protection (1)")
    answer = await karl.press("📄 Datenschutzhinweis")  # no English title: the German one
    assert "Sorry, this document cannot be sent right now." in answer
    assert files_received(karl) == []
    async with app.sessions() as session:
        assert (await session.exec(select(DocumentFetch))).all() == []


async def test_the_shell_refuses_what_it_cannot_put_on_the_shelf(
    app: App,
    clock: FrozenClock,
    settings: Settings,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload = a_file(tmp_path, "form.pdf", b"form")
    with pytest.raises(cli_documents.DocumentsError, match="give a title in German"):
        await shelf(
            settings, clock, "add", str(upload), "--category", "forms", "--title", "en=Form"
        )
    with pytest.raises(cli_documents.DocumentsError, match="LANG=TITLE"):
        await shelf(settings, clock, "add", str(upload), "--category", "forms", "--title", "Form")
    with pytest.raises(cli_documents.DocumentsError, match="Cannot read"):
        await shelf(
            settings,
            clock,
            "add",
            str(tmp_path / "missing.pdf"),
            "--category",
            "forms",
            "--title",
            "de=Formular",
        )
    with pytest.raises(cli_documents.DocumentsError, match="the file is empty"):
        await shelf(
            settings,
            clock,
            "add",
            str(a_file(tmp_path, "empty.pdf", b"")),
            "--category",
            "forms",
            "--title",
            "de=Leer",
        )
    with pytest.raises(cli_documents.DocumentsError, match="There is no document 999999"):
        await shelf(settings, clock, "replace", "999999", str(upload))
    assert not settings.storage_dir.exists() or stored_files(settings) == []

    # Through the command itself: the list, with the storage directory from the environment.
    monkeypatch.setenv("STORAGE_DIR", str(settings.storage_dir))
    code, out = await admin(capsys, database_url, "document", "list")
    assert (code, out) == (0, "No documents.\n")
    await shelf(
        settings, clock, "add", str(upload), "--category", "funding", "--title", "de=Förderantrag"
    )
    code, out = await admin(capsys, database_url, "document", "list")
    header, row = out.splitlines()
    assert header.split() == [
        "ID",
        "MUNICIPALITY",
        "CATEGORY",
        "VERSION",
        "VALID",
        "UNTIL",
        "STATE",
        "READERS",
        "TITLE",
    ]
    assert row.split()[1:] == ["bingen", "funding", "1", "-", "shown", "0", "Förderantrag"]
    code, out = await admin(capsys, database_url, "document", "remove", "999999")
    assert (code, out) == (1, "There is no document 999999.\n")


def test_a_title_falls_back_to_german_and_plain_german_reads_the_german() -> None:
    document = Document(
        municipality="bingen",
        category=DocumentCategory.FORMS,
        titles={"de": "Antrag", "en": "Form"},
        filename="antrag.pdf",
        stored_as="0" * 32,
        mime_type="application/pdf",
        size=1,
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
        updated_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    assert documents.title(document, "en") == "Form"
    assert documents.title(document, "de_simple") == "Antrag"
    assert documents.title(document, "uk") == "Antrag"


async def test_what_someone_fetched_is_in_their_data_and_forgotten_with_them(
    app: App, chat: Callable[..., Chat], clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    erika = await onboard(chat("erika"), "seeker")
    await shelf(
        settings,
        clock,
        "add",
        str(a_file(tmp_path, "a.pdf", b"a")),
        "--category",
        "forms",
        "--title",
        "de=Antrag",
    )
    await erika.press("📂 Unterlagen")
    await erika.press("📝 Formulare (1)")
    await erika.press("📄 Antrag")
    user = await user_of(app, erika)
    assert user.id is not None
    async with app.sessions() as session, session.begin():
        [fetched] = await documents.exported(session, user.id)
        assert (fetched["title"], fetched["version"]) == ("Antrag", 1)
        await documents.forget(session, user.id)
    async with app.sessions() as session:
        assert await documents.exported(session, user.id) == []


# --- files sent in the chat ----------------------------------------------------------------------


async def put_on_the_shelf_in_german(koordination: Chat, inbox: Inbox, content: bytes) -> str:
    await koordination.send("/menu")
    await koordination.press("📂 Unterlagen")
    await koordination.press("➕ Dokument hinzufügen oder ersetzen")
    inbox.files["BQACupload1"] = content
    answer = await koordination.send_document("BQACupload1", "Antrag.pdf", len(content))
    assert "Ist es ein neues Dokument" in answer
    await koordination.press("🆕 Ein neues Dokument")
    await koordination.press("📝 Formulare")
    await koordination.send("Antrag auf Aufwandsentschädigung")
    await koordination.press("♾ Kein Enddatum")
    return await koordination.press("✅ In die Unterlagen stellen")


async def test_a_coordinator_puts_a_file_on_the_shelf_in_the_chat_and_replaces_it(
    app: App, chat: Callable[..., Chat], settings: Settings
) -> None:
    koordination = await coordinator(app, chat("koordination"), "de")
    erika = await onboard(chat("erika"), "seeker")
    inbox = Inbox(app)
    answer = await put_on_the_shelf_in_german(koordination, inbox, FIRST)
    assert "📥 Erhalten." in answer
    assert stored_files(settings) == []  # the step writes nothing outside the database

    await inbox.run()  # the scheduler fetches the file and keeps it
    [done] = [m for m in inbox.of(koordination) if "Antrag auf Aufwandsentschädigung" in m.text]
    assert "(Version 1)" in done.text
    assert [path.read_bytes() for path in stored_files(settings)] == [FIRST]

    await erika.press("📂 Unterlagen")
    await erika.press("📝 Formulare (1)")
    await erika.press("📄 Antrag auf Aufwandsentschädigung")
    assert files_received(erika) == [FIRST]

    # A new version, sent in the chat: the earlier reader gets it.
    await koordination.send("/menu")
    await koordination.press("📂 Unterlagen")
    await koordination.press("➕ Dokument hinzufügen oder ersetzen")
    inbox.files["BQACupload2"] = SECOND
    await koordination.send_document("BQACupload2", "Antrag-2027.pdf", len(SECOND))
    await koordination.press("🔁 Antrag auf Aufwandsentschädigung")
    await koordination.press("Das bisherige Datum behalten")
    answer = await koordination.press("✅ In die Unterlagen stellen")
    assert "📥 Erhalten." in answer
    await inbox.run()
    assert [path.read_bytes() for path in stored_files(settings)] == [SECOND]
    [changed] = inbox.files_of(erika)
    assert changed.file is not None and changed.file.content == SECOND
    assert any("(Version 2)" in m.text for m in inbox.of(koordination))


async def test_only_coordinators_send_files_and_a_file_that_cannot_be_fetched_is_reported(
    app: App, chat: Callable[..., Chat], settings: Settings
) -> None:
    erika = await onboard(chat("erika", "en"), "seeker", "en")
    answer = await erika.send_document("BQACspam", "spam.pdf", 10)
    assert "I can only read text messages and button presses here." in answer

    koordination = await coordinator(app, chat("koordination"), "de")
    inbox = Inbox(app)
    await koordination.send("/menu")
    await koordination.press("📂 Unterlagen")
    await koordination.press("➕ Dokument hinzufügen oder ersetzen")
    answer = await koordination.send_document("BQACbig", "gross.pdf", 30 * 1024 * 1024)
    assert "größer als 20 MB" in answer
    answer = await koordination.send_document("BQACgone", "weg.pdf", 100)  # never downloadable
    await koordination.press("🆕 Ein neues Dokument")
    await koordination.press("📝 Formulare")
    await koordination.send("Verlorene Datei")
    await koordination.press("♾ Kein Enddatum")
    await koordination.press("✅ In die Unterlagen stellen")
    for _attempt in range(3):
        await inbox.run()
    [failed] = [m for m in inbox.of(koordination) if "Verlorene Datei" in m.text]
    assert "⚠️" in failed.text
    assert stored_files(settings) == []
    async with app.sessions() as session:
        assert (await session.exec(select(Document))).all() == []
