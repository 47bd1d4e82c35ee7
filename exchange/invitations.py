"""Invitations: a coordinator gives someone a role by a link that works once and expires.

The link carries a random token (`inv_…`); whoever opens it and accepts gets the role it names,
granted in the name of the coordinator who made it. Making and accepting are in the audit record.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit, staff
from exchange.audit import Via
from storage.models import Invitation, StaffKind, User
from town.deployment import Deployment

PREFIX = "inv_"


class Standing(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class Looked:
    standing: Standing
    invitation: Invitation | None = None


async def create(
    session: AsyncSession,
    deployment: Deployment,
    *,
    kind: StaffKind,
    municipality: str,
    districts: Iterable[str] = (),
    by: User | None,
    via: Via,
    now: datetime,
) -> Invitation:
    """A new invitation; its start code is `PREFIX + token`."""
    hours = deployment.agency.invitation_hours
    invitation = Invitation(
        token=secrets.token_urlsafe(12),
        kind=kind,
        municipality=municipality,
        districts=sorted(set(districts)),
        created_by=by.id if by is not None else None,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(invitation)
    audit.record(
        session,
        actor=by,
        via=via,
        action=f"invite {kind.value}",
        subject=f"invitation:{invitation.token[:6]}",
        now=now,
        municipality=municipality,
        districts=invitation.districts,
    )
    return invitation


def start_code(invitation: Invitation) -> str:
    return f"{PREFIX}{invitation.token}"


async def look_up(session: AsyncSession, code: object, now: datetime) -> Looked:
    """The invitation a start code names, and whether it still works."""
    if not isinstance(code, str) or not code.startswith(PREFIX) or len(code) > 64:
        return Looked(Standing.UNKNOWN)
    invitation = await session.get(Invitation, code.removeprefix(PREFIX))
    if invitation is None:
        return Looked(Standing.UNKNOWN)
    if invitation.used_at is not None:
        return Looked(Standing.USED, invitation)
    if invitation.expires_at <= now:
        return Looked(Standing.EXPIRED, invitation)
    return Looked(Standing.VALID, invitation)


async def accept(
    session: AsyncSession, deployment: Deployment, invitation: Invitation, user: User, now: datetime
) -> bool:
    """Give `user` the role the invitation names; it cannot be used again. False if someone
    used it first or it expired meanwhile."""
    won = await session.exec(
        update(Invitation)
        .where(
            col(Invitation.token) == invitation.token,
            col(Invitation.used_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        .values(used_by=user.id, used_at=now)
    )
    if won.rowcount != 1:
        return False
    inviter = await session.get(User, invitation.created_by) if invitation.created_by else None
    await staff.grant(
        session,
        deployment,
        user,
        invitation.kind,
        invitation.municipality,
        invitation.districts,
        by=inviter,
        via="chat",
        now=now,
    )
    return True
