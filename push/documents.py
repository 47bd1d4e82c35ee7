"""Pushes of the documents shelf: a new version, with its file, to those who fetched an earlier
one; a document out of date, to its municipality's coordinators."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from engine.i18n import DateText, Raw, _, paragraphs
from engine.types import OutgoingFile, Reply
from exchange import documents
from storage.models import Delivery, DeliveryKind, Document, DocumentUpload
from storage.outbox import Addressee, Due

if TYPE_CHECKING:
    from push.compose import Batch

log = logging.getLogger(__name__)


async def _document(batch: Batch, delivery: Due) -> Document | None:
    document = await batch.session.get(Document, delivery.subject_id)
    return document if document is not None and document.removed_at is None else None


async def _planned_version(batch: Batch, delivery: Due) -> int | None:
    """The version a DOCUMENT_CHANGED delivery was planned for (its key ends in ":<version>")."""
    row = await batch.session.get(Delivery, delivery.id)
    version = row.key.rsplit(":", 1)[-1] if row is not None else ""
    return int(version) if version.isdigit() else None


async def _changed(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """The new version of a document the reader fetched before, as a file."""
    document = await _document(batch, delivery)
    today = batch.now.astimezone(batch.deployment.tz).date()
    if document is None or not documents.is_valid(document, today):
        return None
    # A later replacement planned its own message, and one fetched meanwhile needs none.
    if await _planned_version(batch, delivery) != document.version:
        return None
    if not await documents.has_older(batch.session, document, user.id):
        return None
    try:
        content = await asyncio.to_thread(documents.read, batch.deployment.files_dir, document)
    except FileNotFoundError:
        log.warning("the file of document %s is missing", document.id)
        return None
    text = paragraphs(
        _(
            "📄 There is a new version of “{title}”. Here it is.",
            title=Raw(documents.title(document, user.language)),
        ),
        _("You find all documents in the menu under 📂 Documents."),
    )
    file = OutgoingFile(document.filename, content, document.mime_type)
    return Reply(text, user.language, file=file)


async def _expired(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """A coordinator hears that a document ran out of date and how to put up a new one."""
    document = await _document(batch, delivery)
    today = batch.now.astimezone(batch.deployment.tz).date()
    if document is None or document.valid_until is None or document.valid_until >= today:
        return None  # replaced with a new validity, or removed, meanwhile
    text = paragraphs(
        _(
            "⚠️ The document “{title}” was valid until {day}. It is no longer shown.",
            title=Raw(documents.title(document, user.language)),
            day=DateText(document.valid_until),
        ),
        _(
            "Please upload a new version:\n{command}",
            command=Raw(
                f"ehrenamt admin document replace {document.id} FILE --valid-until YYYY-MM-DD"
            ),
        ),
    )
    return Reply(text, user.language)


async def _stored(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """The coordinator who sent a file learns that it is on the shelf, or why not."""
    entry = await batch.session.get(DocumentUpload, delivery.subject_id)
    if entry is None:
        return None
    titles = entry.titles
    title = Raw(titles.get(user.language) or titles.get(documents.TITLE_LANGUAGE) or entry.filename)
    if entry.failed:
        text = _(
            "⚠️ We could not put “{title}” on the shelf. Please send the file again; if that "
            "fails too, an operator can add it with `ehrenamt admin document add`.",
            title=title,
        )
        return Reply(text, user.language)
    document = await batch.session.get(Document, entry.document_id)
    if document is None or document.removed_at is not None:
        return None
    text = _(
        "✅ “{title}” is on the shelf now (version {version}). Whoever fetched an earlier "
        "version gets the new one.",
        title=title,
        version=document.version,
    )
    return Reply(text, user.language)


COMPOSERS: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.DOCUMENT_CHANGED: _changed,
    DeliveryKind.DOCUMENT_EXPIRED: _expired,
    DeliveryKind.DOCUMENT_STORED: _stored,
}
