"""The documents shelf: forms, funding applications, guides, insurance papers and the privacy
notice, which coordinators put up and everyone can fetch in the chat.

A document is a row (titles per language, category, validity) and a file in the storage
directory, never in the database. Files are written only from the command line, outside dialogue
steps (a step may run twice, a file written in it would stay): a new file goes to a temporary
name and is renamed into place, the row changes next, an old file is removed last, after the
commit. Replacing a document raises its version, and everyone who fetched an earlier one is sent
the new one. A document past its validity leaves the shelf, and its coordinators are told once.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, delete, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import staff
from exchange.timing import after_quiet_hours
from storage.models import (
    DeliveryKind,
    Document,
    DocumentCategory,
    DocumentFetch,
    DocumentUpload,
    User,
)
from storage.outbox import enqueue, enqueue_many, planned
from town.deployment import Deployment

# Telegram lets bots send documents up to 50 MB; a form or a guide is far smaller.
MAX_SIZE = 20 * 1024 * 1024
FILENAME_LIMIT = 120
TITLE_LIMIT = 100
# The language a document's title must have; readers of another language see it when theirs is
# missing.
TITLE_LANGUAGE = "de"
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
_STORED = re.compile(r"[0-9a-f]{32}(\.[A-Za-z0-9]{1,8})?")


class DocumentError(ValueError):
    """A document that cannot be put on the shelf as given; the message says why."""


# --- files -------------------------------------------------------------------------------------


def _store(files_dir: Path, filename: str, content: bytes) -> str:
    """Write `content` under a new random name and return that name. It is written to a
    temporary file first and renamed into place, so a crash leaves no half-written file."""
    files_dir.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix
    stored = secrets.token_hex(16) + (suffix if _SUFFIX.fullmatch(suffix) else "")
    handle, temporary = tempfile.mkstemp(dir=files_dir, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, files_dir / stored)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return stored


def _path(files_dir: Path, stored_as: str) -> Path:
    if not _STORED.fullmatch(stored_as):  # only names this module made: no way out of the dir
        raise DocumentError(f"not a stored file name: {stored_as!r}")
    return files_dir / stored_as


def read(files_dir: Path, document: Document) -> bytes:
    """The document's file as stored; FileNotFoundError if it is gone."""
    return _path(files_dir, document.stored_as).read_bytes()


def discard(files_dir: Path, stored_as: str) -> None:
    """Remove a file no row names any more (after the commit that stopped naming it)."""
    _path(files_dir, stored_as).unlink(missing_ok=True)


def _checked(filename: str, content: bytes) -> str:
    name = "".join(ch for ch in Path(filename).name if ch.isprintable()).strip()
    if not name:
        raise DocumentError("the file needs a name")
    if not content:
        raise DocumentError("the file is empty")
    if len(content) > MAX_SIZE:
        raise DocumentError(f"the file is larger than {MAX_SIZE // (1024 * 1024)} MB")
    if len(name) > FILENAME_LIMIT:
        stem, suffix = Path(name).stem, Path(name).suffix[:10]
        name = stem[: FILENAME_LIMIT - len(suffix)] + suffix
    return name


def _checked_titles(titles: Mapping[str, str]) -> dict[str, str]:
    cleaned = {lang: " ".join(title.split()) for lang, title in titles.items()}
    cleaned = {lang: title for lang, title in cleaned.items() if title}
    if not cleaned.get(TITLE_LANGUAGE):
        raise DocumentError(f"give a title in German ({TITLE_LANGUAGE}=...)")
    long = sorted(lang for lang, title in cleaned.items() if len(title) > TITLE_LIMIT)
    if long:
        raise DocumentError(f"titles may have {TITLE_LIMIT} characters at most ({', '.join(long)})")
    return cleaned


# --- the shelf ---------------------------------------------------------------------------------


def title(document: Document, language: str) -> str:
    """The title in the reader's language, else in German (plain German reads the German)."""
    for code in (language, language.split("_", 1)[0], TITLE_LANGUAGE):
        if document.titles.get(code):
            return document.titles[code]
    return next(iter(document.titles.values()), document.filename)


def is_valid(document: Document, today: date) -> bool:
    """Whether the document is on the shelf for everyone: not removed, not out of date."""
    return document.removed_at is None and (
        document.valid_until is None or document.valid_until >= today
    )


async def add(
    session: AsyncSession,
    files_dir: Path,
    municipality: str,
    category: DocumentCategory,
    titles: Mapping[str, str],
    filename: str,
    content: bytes,
    mime_type: str,
    valid_until: date | None,
    now: datetime,
) -> Document:
    """Store the file and put the document on the shelf (in the caller's transaction). If that
    transaction fails, the caller removes the file again (`discard(files_dir, doc.stored_as)`)."""
    name = _checked(filename, content)
    cleaned = _checked_titles(titles)
    stored = _store(files_dir, name, content)
    document = Document(
        municipality=municipality,
        category=category,
        titles=cleaned,
        filename=name,
        stored_as=stored,
        mime_type=mime_type[:80],
        size=len(content),
        valid_until=valid_until,
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    await session.flush()
    return document


async def replace(
    session: AsyncSession,
    deployment: Deployment,
    files_dir: Path,
    document: Document,
    filename: str,
    content: bytes,
    mime_type: str,
    now: datetime,
    valid_until: date | None = None,
) -> tuple[str, int]:
    """Store the new file, make it the document's next version (valid until `valid_until` if
    given) and have everyone who fetched an earlier version sent the new one.

    Returns the name of the old file, which the caller removes after the commit (or, if the
    transaction fails, the new one: `document.stored_as`), and how many readers are told."""
    if document.removed_at is not None:
        raise DocumentError("the document was removed")
    name = _checked(filename, content)
    old = document.stored_as
    document.stored_as = _store(files_dir, name, content)
    document.filename = name
    document.mime_type = mime_type[:80]
    document.size = len(content)
    document.version += 1
    document.updated_at = now
    if valid_until is not None:
        document.valid_until = valid_until
        document.expiry_reported_on = None
    session.add(document)
    earlier = (
        await session.exec(
            select(User)
            .join(DocumentFetch, col(DocumentFetch.user_id) == User.id)
            .where(DocumentFetch.document_id == document.id)
            .where(col(DocumentFetch.version) < document.version)
        )
    ).all()
    local = now.astimezone(deployment.tz)
    await enqueue_many(
        session,
        [
            planned(
                reader.id,
                DeliveryKind.DOCUMENT_CHANGED,
                document.id,
                after_quiet_hours(local, reader.quiet_from, reader.quiet_until),
                now,
                f":{document.version}",
            )
            for reader in earlier
            if reader.id is not None
        ],
    )
    return old, len(earlier)


async def remove(session: AsyncSession, document: Document, now: datetime) -> str:
    """Take the document off the shelf for good; returns its file's name, which the caller
    removes after the commit. Who fetched it is forgotten: there is nothing more to tell them."""
    document.removed_at = now
    document.updated_at = now
    session.add(document)
    await session.exec(delete(DocumentFetch).where(col(DocumentFetch.document_id) == document.id))
    return document.stored_as


async def listing(session: AsyncSession) -> list[Document]:
    """Every document, removed ones too, by municipality, category and id (for the shell)."""
    rows = await session.exec(
        select(Document).order_by(
            col(Document.municipality), col(Document.category), col(Document.id)
        )
    )
    return list(rows.all())


async def readers(session: AsyncSession, document_id: int | None) -> int:
    """How many people have fetched the document."""
    rows = await session.exec(
        select(DocumentFetch.user_id).where(DocumentFetch.document_id == document_id)
    )
    return len(rows.all())


async def shelf(
    session: AsyncSession, municipality: str, today: date, *, expired: bool = False
) -> dict[DocumentCategory, list[Document]]:
    """The municipality's documents by category (in the categories' order), oldest first; those
    out of date only with `expired` (coordinators see them, marked)."""
    query = select(Document).where(
        Document.municipality == municipality, col(Document.removed_at).is_(None)
    )
    if not expired:
        query = query.where(
            or_(col(Document.valid_until).is_(None), col(Document.valid_until) >= today)
        )
    found = (await session.exec(query.order_by(col(Document.id)))).all()
    return {
        category: mine
        for category in DocumentCategory
        if (mine := [d for d in found if d.category == category])
    }


async def on_shelf(
    session: AsyncSession, document_id: int, municipality: str, today: date, *, expired: bool
) -> Document | None:
    """The document, if it is on this municipality's shelf as the reader sees it."""
    document = await session.get(Document, document_id)
    if document is None or document.municipality != municipality:
        return None
    if document.removed_at is not None:
        return None
    return document if expired or is_valid(document, today) else None


async def fetched(session: AsyncSession, document: Document, user: User, now: datetime) -> None:
    """Note that `user` has the document's current version, so they hear of the next one."""
    assert document.id is not None and user.id is not None
    fetch = await session.get(DocumentFetch, (document.id, user.id))
    if fetch is None:
        fetch = DocumentFetch(document_id=document.id, user_id=user.id, version=0, fetched_at=now)
    fetch.version = document.version
    fetch.fetched_at = now
    session.add(fetch)


async def has_older(session: AsyncSession, document: Document, user_id: int) -> bool:
    """Whether the person fetched a version older than the document's current one."""
    fetch = await session.get(DocumentFetch, (document.id, user_id))
    return fetch is not None and fetch.version < document.version


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """Documents whose validity ran out leave the shelf; their municipality's coordinators are
    told once. Returns how many documents ran out."""
    today = now.astimezone(deployment.tz).date()
    expired = (
        await session.exec(
            select(Document).where(
                col(Document.removed_at).is_(None),
                col(Document.valid_until) < today,
                col(Document.expiry_reported_on).is_(None),
            )
        )
    ).all()
    local = now.astimezone(deployment.tz)
    for document in expired:
        assert document.valid_until is not None
        coordinators = await staff.coordinators_of(session, deployment, document.municipality)
        people = (await session.exec(select(User).where(col(User.id).in_(coordinators)))).all()
        for person in people:
            assert person.id is not None
            await enqueue(
                session,
                user_id=person.id,
                kind=DeliveryKind.DOCUMENT_EXPIRED,
                subject_id=document.id,
                due_at=after_quiet_hours(local, person.quiet_from, person.quiet_until),
                now=now,
                extra=f":{document.valid_until.isoformat()}",
            )
        document.expiry_reported_on = today
        session.add(document)
    return len(expired)


# --- what is stored about a person -------------------------------------------------------------


async def exported(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    """Which documents the person fetched, in which version and when (for their data export)."""
    rows = await session.exec(
        select(DocumentFetch, Document)
        .join(Document, col(Document.id) == DocumentFetch.document_id)
        .where(DocumentFetch.user_id == user_id)
        .order_by(col(DocumentFetch.fetched_at))
    )
    return [
        {
            "document_id": document.id,
            "title": title(document, TITLE_LANGUAGE),
            "version": fetch.version,
            "fetched_at": fetch.fetched_at.isoformat(),
        }
        for fetch, document in rows.all()
    ]


async def forget(session: AsyncSession, user_id: int) -> None:
    """The person erases their data: which documents they fetched goes too, and the files
    they sent no longer name them."""
    await session.exec(delete(DocumentFetch).where(col(DocumentFetch.user_id) == user_id))
    await session.exec(
        update(DocumentUpload)
        .where(col(DocumentUpload.uploaded_by) == user_id)
        .values(uploaded_by=None)
    )


# --- files sent in the chat --------------------------------------------------------------------

# Telegram lets bots download files of at most 20 MB.
UPLOAD_LIMIT = 20 * 1024 * 1024
# A file that could not be fetched this often is given up, and its coordinator told.
UPLOAD_ATTEMPTS = 3


async def upload(
    session: AsyncSession,
    *,
    by: User,
    municipality: str,
    category: DocumentCategory,
    titles: Mapping[str, str],
    file_id: str,
    filename: str,
    mime_type: str,
    size: int,
    valid_until: date | None,
    document: Document | None,
    now: datetime,
) -> DocumentUpload:
    """A file a coordinator sent for the shelf (new, or the next version of `document`): noted
    here; the scheduler fetches and stores it (`store_upload`)."""
    if size > UPLOAD_LIMIT:
        raise DocumentError("the file is larger than 20 MB")
    entry = DocumentUpload(
        document_id=document.id if document is not None else None,
        municipality=municipality,
        category=document.category if document is not None else category,
        titles=dict(document.titles) if document is not None else _checked_titles(titles),
        file_id=file_id,
        filename=filename[:FILENAME_LIMIT],
        mime_type=mime_type[:80],
        size=size,
        valid_until=valid_until,
        uploaded_by=by.id,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def uploads_due(session: AsyncSession, limit: int = 10) -> list[DocumentUpload]:
    """Uploads still to be fetched, oldest first."""
    rows = await session.exec(
        select(DocumentUpload)
        .where(col(DocumentUpload.stored_at).is_(None), col(DocumentUpload.failed).is_(None))
        .order_by(col(DocumentUpload.id))
        .limit(limit)
    )
    return list(rows.all())


async def store_upload(
    session: AsyncSession,
    deployment: Deployment,
    entry: DocumentUpload,
    content: bytes,
    now: datetime,
) -> tuple[str, str | None]:
    """Put a fetched upload on the shelf, as a new document or the next version of its document,
    and tell its coordinator. Returns the new file (to remove if the transaction fails) and the
    file to remove after the commit (the old version, if any)."""
    files_dir = deployment.files_dir
    old: str | None = None
    target = await session.get(Document, entry.document_id) if entry.document_id else None
    if target is not None:
        old, _told = await replace(
            session,
            deployment,
            files_dir,
            target,
            entry.filename,
            content,
            entry.mime_type,
            now,
            valid_until=entry.valid_until,
        )
    else:
        target = await add(
            session,
            files_dir,
            entry.municipality,
            entry.category,
            entry.titles,
            entry.filename,
            content,
            entry.mime_type,
            entry.valid_until,
            now,
        )
        entry.document_id = target.id
    entry.stored_at = now
    session.add(entry)
    await _tell_uploader(session, entry, now)
    return target.stored_as, old


async def upload_failed(
    session: AsyncSession,
    entry: DocumentUpload,
    reason: str,
    now: datetime,
    *,
    for_good: bool = False,
) -> None:
    """A try to fetch or store the upload failed; after a few (or at once, `for_good`, when
    the file itself was refused), it is given up and its coordinator told."""
    entry.attempts += 1
    if for_good or entry.attempts >= UPLOAD_ATTEMPTS:
        entry.failed = reason[:200]
        await _tell_uploader(session, entry, now)
    session.add(entry)


async def _tell_uploader(session: AsyncSession, entry: DocumentUpload, now: datetime) -> None:
    if entry.uploaded_by is not None:
        await enqueue(
            session,
            user_id=entry.uploaded_by,
            kind=DeliveryKind.DOCUMENT_STORED,
            subject_id=entry.id,
            due_at=now,
            now=now,
        )
