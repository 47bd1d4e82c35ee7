"""`ehrenamt admin document ...`: the coordinators' documents shelf, from the shell.

    ehrenamt admin document add FILE --category forms --title de="Antrag" --title en="Form"
                                [--valid-until 2027-12-31] [--municipality bingen]
    ehrenamt admin document replace ID FILE [--valid-until 2028-12-31]
    ehrenamt admin document list
    ehrenamt admin document remove ID

Files go to the storage directory (STORAGE_DIR), never into the database. Only these commands
write files, each crash-safe: the new file first (written aside, then renamed into place), then
the row, and an old file is removed last, after the commit. Each change is in the audit record.
"""

from __future__ import annotations

import argparse
import asyncio
import mimetypes
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from bot.app import App, running_app
from bot.config import Settings
from engine.core import utcnow
from exchange import audit, documents
from locales import LANGUAGES
from storage.models import Document, DocumentCategory

COMMANDS = ("document",)


class DocumentsError(Exception):
    """A documents command that cannot be carried out; the message says why."""


def add_parsers(
    tasks: argparse._SubParsersAction[argparse.ArgumentParser], database: argparse.ArgumentParser
) -> None:
    shelf = tasks.add_parser(
        "document", parents=[database], help="the documents shelf: add, replace, list, remove"
    )
    commands = shelf.add_subparsers(dest="document_command", required=True)
    adding = commands.add_parser(
        "add", parents=[database], help="put a document on the shelf (forms, guides, ...)"
    )
    adding.add_argument("file", type=Path, help="the file, as readers receive it")
    adding.add_argument(
        "--category", required=True, choices=[category.value for category in DocumentCategory]
    )
    adding.add_argument(
        "--title",
        action="append",
        required=True,
        metavar="LANG=TITLE",
        help='a title per language, at least German: --title de="Antrag" --title en="Form"',
    )
    adding.add_argument(
        "--valid-until", type=date.fromisoformat, help="last day it is valid (YYYY-MM-DD)"
    )
    adding.add_argument(
        "--municipality", default=None, help="its municipality's id (default: the first)"
    )
    replacing = commands.add_parser(
        "replace",
        parents=[database],
        help="a new version of a document; those who fetched it are sent the new one",
    )
    replacing.add_argument("id", type=int, help="the document's id (see list)")
    replacing.add_argument("file", type=Path, help="the new file")
    replacing.add_argument(
        "--valid-until", type=date.fromisoformat, help="its new last day (YYYY-MM-DD)"
    )
    commands.add_parser("list", parents=[database], help="every document, removed ones too")
    removing = commands.add_parser("remove", parents=[database], help="take a document away")
    removing.add_argument("id", type=int, help="the document's id (see list)")


async def run(
    settings: Settings, args: argparse.Namespace, *, clock: Callable[[], datetime] = utcnow
) -> str:
    """Carry out one documents command; returns what to print."""
    content = await _read(args.file) if args.document_command in ("add", "replace") else b""
    async with running_app(settings, clock=clock) as app:
        if args.document_command == "add":
            return await _add(app, settings.storage_dir, args, content)
        if args.document_command == "replace":
            return await _replace(app, settings.storage_dir, args, content)
        if args.document_command == "remove":
            return await _remove(app, settings.storage_dir, args.id)
        return await _list(app)


async def _read(path: Path) -> bytes:
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        raise DocumentsError(f"Cannot read {path}: {error.strerror or error}.") from None


def _titles(given: list[str]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for item in given:
        language, sep, text = item.partition("=")
        if not sep or language not in LANGUAGES:
            known = ", ".join(sorted(LANGUAGES))
            raise DocumentsError(f"--title needs LANG=TITLE with LANG one of {known}.")
        titles[language] = text
    return titles


def _mime_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


async def _add(app: App, files_dir: Path, args: argparse.Namespace, content: bytes) -> str:
    municipality = args.municipality or app.deployment.municipalities[0].id
    if app.deployment.municipality(municipality) is None:
        raise DocumentsError(f"There is no municipality {municipality!r}.")
    titles = _titles(args.title)
    now = app.core.clock()
    stored: str | None = None
    try:
        async with app.sessions() as session, session.begin():
            document = await documents.add(
                session,
                files_dir,
                municipality,
                DocumentCategory(args.category),
                titles,
                args.file.name,
                content,
                _mime_type(args.file),
                args.valid_until,
                now,
            )
            stored = document.stored_as
            audit.record(
                session,
                actor=None,
                via="cli",
                action="document add",
                subject=f"document:{document.id}",
                now=now,
                category=args.category,
                municipality=municipality,
            )
            answer = f"Added document {document.id}: {_printable(titles['de'])}\n"
    except documents.DocumentError as error:
        raise DocumentsError(f"Not added: {error}.") from None
    except BaseException:
        if stored is not None:  # the row was not committed: its file must not stay
            documents.discard(files_dir, stored)
        raise
    return answer


def _existing(document: Document | None, document_id: int) -> Document:
    if document is None or document.removed_at is not None:
        raise DocumentsError(f"There is no document {document_id}.")
    return document


async def _replace(app: App, files_dir: Path, args: argparse.Namespace, content: bytes) -> str:
    now = app.core.clock()
    stored: str | None = None
    try:
        async with app.sessions() as session, session.begin():
            document = _existing(await session.get(Document, args.id), args.id)
            old, told = await documents.replace(
                session,
                app.deployment,
                files_dir,
                document,
                args.file.name,
                content,
                _mime_type(args.file),
                now,
                valid_until=args.valid_until,
            )
            stored = document.stored_as
            audit.record(
                session,
                actor=None,
                via="cli",
                action="document replace",
                subject=f"document:{document.id}",
                now=now,
                version=document.version,
            )
            answer = (
                f"Replaced document {document.id} with version {document.version}; "
                f"{told} earlier readers are sent the new one.\n"
            )
    except documents.DocumentError as error:
        raise DocumentsError(f"Not replaced: {error}.") from None
    except BaseException:
        if stored is not None:  # the new version was not committed: its file must not stay
            documents.discard(files_dir, stored)
        raise
    documents.discard(files_dir, old)
    return answer


async def _remove(app: App, files_dir: Path, document_id: int) -> str:
    now = app.core.clock()
    async with app.sessions() as session, session.begin():
        document = _existing(await session.get(Document, document_id), document_id)
        stored = await documents.remove(session, document, now)
        audit.record(
            session,
            actor=None,
            via="cli",
            action="document remove",
            subject=f"document:{document_id}",
            now=now,
        )
    documents.discard(files_dir, stored)
    return f"Removed document {document_id}.\n"


async def _list(app: App) -> str:
    today = app.core.clock().astimezone(app.deployment.tz).date()
    async with app.sessions() as session:
        rows = [
            (
                str(document.id),
                document.municipality,
                document.category.value,
                str(document.version),
                document.valid_until.isoformat() if document.valid_until else "-",
                _state(document, today),
                str(await documents.readers(session, document.id)),
                _printable(documents.title(document, "de")),
            )
            for document in await documents.listing(session)
        ]
    if not rows:
        return "No documents.\n"
    header = ("ID", "MUNICIPALITY", "CATEGORY", "VERSION", "VALID UNTIL", "STATE", "READERS")
    table = [(*header, "TITLE"), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        + "\n"
        for row in table
    )


def _state(document: Document, today: date) -> str:
    if document.removed_at is not None:
        return "removed"
    return "shown" if documents.is_valid(document, today) else "out-of-date"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)
