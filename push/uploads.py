"""Files coordinators sent in the chat for the documents shelf, fetched from the platform and
kept in the storage directory by the scheduler: a dialogue step writes nothing outside the
database, so the step only notes the upload (`exchange.documents.upload`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import documents
from exchange.documents import DocumentError
from storage.models import DocumentUpload
from town.deployment import Deployment

log = logging.getLogger(__name__)


@runtime_checkable
class Fetches(Protocol):
    """A channel that can fetch a file a person sent."""

    async def download(self, file_id: str) -> bytes: ...


async def _claimed(session: AsyncSession, upload_id: int | None) -> DocumentUpload | None:
    """The upload, locked for this transaction (PostgreSQL), if nobody stored it meanwhile."""
    found = (
        await session.exec(
            select(DocumentUpload).where(DocumentUpload.id == upload_id).with_for_update()
        )
    ).first()
    return found if found is not None and found.stored_at is None and not found.failed else None


async def keep_uploads(
    sessions: async_sessionmaker[AsyncSession],
    deployment: Deployment,
    source: Fetches,
    clock: Callable[[], datetime],
) -> int:
    """Fetch and store the uploads that wait; how many are now on the shelf."""
    async with sessions() as session:
        due = await documents.uploads_due(session)
    kept = 0
    for entry in due:
        try:
            content = await source.download(entry.file_id)
        except Exception as error:  # any failure of the platform counts as one try
            log.warning("fetching upload %s failed: %s", entry.id, type(error).__name__)
            async with sessions() as session, session.begin():
                fresh = await _claimed(session, entry.id)
                if fresh is not None:
                    await documents.upload_failed(session, fresh, type(error).__name__, clock())
            continue
        new: str | None = None
        try:
            async with sessions() as session, session.begin():
                fresh = await _claimed(session, entry.id)
                if fresh is None:
                    continue
                try:
                    new, old = await documents.store_upload(
                        session, deployment, fresh, content, clock()
                    )
                except DocumentError as error:
                    await documents.upload_failed(
                        session, fresh, str(error), clock(), for_good=True
                    )
                    continue
        except Exception:
            log.exception("storing upload %s failed", entry.id)
            if new is not None:  # the row is not written: the file it would name goes too
                documents.discard(deployment.files_dir, new)
            continue
        if old is not None:
            documents.discard(deployment.files_dir, old)
        kept += 1
    return kept
