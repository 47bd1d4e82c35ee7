"""Invitations: a coordinator gives someone a role by a link that works once and expires; and a
request taken by phone is handed over to a relative the same way.

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

from exchange import audit, relays, staff
from exchange.audit import Via
from storage.models import Handover, HelpRequest, Invitation, RequestStatus, StaffKind, User
from storage.sealing import sealer
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


# --- handing a request taken by phone over to a relative ------------------------------------

HANDOVER_PREFIX = "req_"


@dataclass(frozen=True)
class LookedHandover:
    standing: Standing
    handover: Handover | None = None
    request: HelpRequest | None = None


async def hand_over_link(
    session: AsyncSession,
    deployment: Deployment,
    request: HelpRequest,
    *,
    by: User,
    now: datetime,
) -> str:
    """A start code that makes whoever opens it (a relative) the contact of `request`."""
    assert request.id is not None
    handover = Handover(
        token=secrets.token_urlsafe(12),
        request_id=request.id,
        created_by=by.id,
        created_at=now,
        expires_at=now + timedelta(hours=deployment.agency.invitation_hours),
    )
    session.add(handover)
    return f"{HANDOVER_PREFIX}{handover.token}"


async def look_up_handover(session: AsyncSession, code: object, now: datetime) -> LookedHandover:
    if not isinstance(code, str) or not code.startswith(HANDOVER_PREFIX) or len(code) > 64:
        return LookedHandover(Standing.UNKNOWN)
    handover = await session.get(Handover, code.removeprefix(HANDOVER_PREFIX))
    request = await session.get(HelpRequest, handover.request_id) if handover else None
    if handover is None or request is None:
        return LookedHandover(Standing.UNKNOWN)
    if handover.used_at is not None:
        return LookedHandover(Standing.USED, handover, request)
    if handover.expires_at <= now or request.status not in (
        RequestStatus.OPEN,
        RequestStatus.MATCHED,
    ):
        return LookedHandover(Standing.EXPIRED, handover, request)
    return LookedHandover(Standing.VALID, handover, request)


async def take_over_contact(
    session: AsyncSession, handover: Handover, request: HelpRequest, relative: User, now: datetime
) -> bool:
    """The relative becomes the request's contact and gets its updates; its personal details are
    sealed with their key from now on. False if the link was used or expired meanwhile."""
    won = await session.exec(
        update(Handover)
        .where(
            col(Handover.token) == handover.token,
            col(Handover.used_at).is_(None),
            col(Handover.expires_at) > now,
        )
        .values(used_at=now)
    )
    if won.rowcount != 1:
        return False
    assert relative.id is not None
    seal = await sealer(session, relative.key)
    before = request.asker_id
    request.asker_id = relative.id
    request.person_name = seal(request.person_name)
    request.person_phone = seal(request.person_phone)
    request.address = seal(request.address)
    request.description = seal(request.description) or ""
    request.updated_at = now
    session.add(request)
    await relays.move_to_contact(session, request)
    audit.record(
        session,
        actor=relative,
        via="chat",
        action="contact taken over",
        subject=f"request:{request.id}",
        now=now,
        before=f"user:{before}",
    )
    return True
