"""The audit record: who in the agency did what, and when.

Every action of a coordinator, a sponsor or an operator that changes someone's standing (roles,
blocks, assignments) is written here in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent, User

Via = Literal["chat", "cli", "deployment", "system"]


def record(
    session: AsyncSession,
    *,
    actor: User | None,
    via: Via,
    action: str,
    subject: str,
    now: datetime,
    **detail: Any,
) -> None:
    session.add(
        AuditEvent(
            at=now,
            actor_id=actor.id if actor is not None else None,
            via=via,
            action=action,
            subject=subject,
            detail=detail,
        )
    )


async def events(session: AsyncSession, limit: int = 100) -> Sequence[AuditEvent]:
    """The newest events first."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    return (await session.exec(query)).all()
