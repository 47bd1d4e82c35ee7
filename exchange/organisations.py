"""Organisations: a representative registers one; a coordinator approves or rejects it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit, cases
from exchange.audit import Via
from storage.models import CaseKind, DeliveryKind, Organisation, OrganisationStatus, User
from storage.outbox import enqueue
from storage.sealing import sealer
from town.deployment import Deployment


class NotDecidable(Exception):
    """There is no such organisation (`organisation` is None), or it was decided already."""

    def __init__(self, organisation_id: int, organisation: Organisation | None) -> None:
        super().__init__(organisation_id)
        self.organisation_id = organisation_id
        self.organisation = organisation


async def of_owner(session: AsyncSession, owner_id: int | None) -> Organisation | None:
    """The organisation a person represents, if any (one per representative)."""
    if owner_id is None:
        return None
    query = (
        select(Organisation).where(Organisation.owner_id == owner_id).order_by(col(Organisation.id))
    )
    return (await session.exec(query)).first()


async def approved_of_owner(session: AsyncSession, owner_id: int | None) -> Organisation | None:
    """The person's organisation if a coordinator approved it, else None."""
    organisation = await of_owner(session, owner_id)
    if organisation is None or organisation.status != OrganisationStatus.APPROVED:
        return None
    return organisation


async def register(
    session: AsyncSession,
    deployment: Deployment,
    *,
    owner: User,
    name: str,
    kind: str,
    municipality: str,
    contact_name: str,
    now: datetime,
) -> Organisation:
    """A new registration, waiting for a coordinator; the contact's name is sealed with the
    owner's key."""
    assert owner.id is not None
    seal = await sealer(session, owner.key)
    organisation = Organisation(
        owner_id=owner.id,
        name=name,
        kind=kind,
        municipality=municipality,
        contact_name=seal(contact_name) or "",
        status=OrganisationStatus.PENDING,
        created_at=now,
    )
    session.add(organisation)
    await session.flush()
    await cases.open_case(
        session,
        deployment,
        kind=CaseKind.ORGANISATION,
        person=owner,
        municipality=municipality,
        subject_id=organisation.id,
        now=now,
    )
    return organisation


async def listing(
    session: AsyncSession, status: OrganisationStatus | None = None
) -> list[Organisation]:
    """The registered organisations, oldest first; only those with `status` if given."""
    query = select(Organisation).order_by(col(Organisation.id))
    if status is not None:
        query = query.where(Organisation.status == status)
    return list((await session.exec(query)).all())


async def decide(
    session: AsyncSession,
    organisation_id: int,
    *,
    approve: bool,
    by: User | None,
    via: Via,
    now: datetime,
) -> Organisation:
    """Approve or reject a pending registration; the representative is told, and the decision
    is in the audit record."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or organisation.status != OrganisationStatus.PENDING:
        raise NotDecidable(organisation_id, organisation)
    organisation.status = OrganisationStatus.APPROVED if approve else OrganisationStatus.REJECTED
    if approve:
        organisation.approved_at = now
    session.add(organisation)
    await enqueue(
        session,
        user_id=organisation.owner_id,
        kind=DeliveryKind.ORGANISATION_DECIDED,
        subject_id=organisation.id,
        due_at=now,
        now=now,
    )
    verdict = "approved" if approve else "rejected"
    audit.record(
        session,
        actor=by,
        via=via,
        action=f"organisation {verdict}",
        subject=f"organisation:{organisation_id}",
        now=now,
    )
    await cases.close_for(
        session, CaseKind.ORGANISATION, organisation_id, verdict, by=by, via=via, now=now
    )
    return organisation
