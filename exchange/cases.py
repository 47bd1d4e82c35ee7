"""The agency's queue: what needs a person of the agency, and what they did about it.

A case is opened by the domain where the machine stops: a request nobody accepted, a message the
bot could not file, a reported problem, an organisation or a position waiting for approval, a
volunteer waiting to be vetted. The municipality's coordinators and the district's sponsors are
told at once; each sees the cases of their scope only, the urgent and the newest first. Every step
a person of the agency takes is written to the audit record in the same transaction, and the
person the case is about is told what happens next (`tell`), in their own language.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import false, func, or_, tuple_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit, staff
from exchange.audit import Via
from exchange.staff import Scope
from exchange.timing import after_quiet_hours
from storage.models import (
    AgencyNote,
    Case,
    CaseKind,
    CaseStatus,
    DeliveryKind,
    Report,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue
from storage.sealing import sealer
from town.deployment import Deployment

log = logging.getLogger(__name__)

# What stays in the queue: open cases and those someone took over, until they are closed.
ACTIVE = (CaseStatus.OPEN, CaseStatus.TAKEN)


async def open_case(
    session: AsyncSession,
    deployment: Deployment,
    *,
    kind: CaseKind,
    person: User,
    municipality: str,
    district: str = "",
    subject_id: int | None = None,
    note: str | None = None,
    voice: str | None = None,
    urgent: bool = False,
    now: datetime,
) -> Case:
    """Put something into the queue (once per subject while it is active) and tell the staff
    of its place. What the person wrote or said is sealed with their key."""
    if subject_id is not None:
        active = await _active_for(session, kind, subject_id)
        if active is not None:
            return active
    assert person.id is not None
    seal = await sealer(session, person.key)
    case = Case(
        kind=kind,
        municipality=municipality,
        district=district,
        subject_id=subject_id,
        person_id=person.id,
        note=seal(note),
        voice=seal(voice),
        urgent=urgent,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    for member in await staff.staff_of(session, deployment, municipality, district):
        await enqueue(
            session, user_id=member, kind=DeliveryKind.CASE, subject_id=case.id, due_at=now, now=now
        )
    return case


async def _active_for(session: AsyncSession, kind: CaseKind, subject_id: int) -> Case | None:
    query = select(Case).where(
        Case.kind == kind, Case.subject_id == subject_id, col(Case.status).in_(ACTIVE)
    )
    return (await session.exec(query)).first()


def _within(scope: Scope) -> ColumnElement[bool]:
    """The cases a person of the agency may see: their municipalities and districts."""
    conditions: list[ColumnElement[bool]] = []
    if scope.municipalities:
        conditions.append(col(Case.municipality).in_(sorted(scope.municipalities)))
    if scope.districts:
        conditions.append(
            tuple_(col(Case.municipality), col(Case.district)).in_(sorted(scope.districts))
        )
    return or_(*conditions) if conditions else false()


async def queue(session: AsyncSession, scope: Scope, limit: int = 20) -> Sequence[Case]:
    """The active cases of the scope: urgent first, then the newest."""
    query = (
        select(Case)
        .where(col(Case.status).in_(ACTIVE), _within(scope))
        .order_by(col(Case.urgent).desc(), col(Case.created_at).desc(), col(Case.id).desc())
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def waiting(session: AsyncSession, scope: Scope) -> int:
    """How many cases of the scope nobody has taken yet (the count on the menu button)."""
    query = select(func.count()).where(Case.status == CaseStatus.OPEN, _within(scope))
    return int((await session.exec(query)).one())


async def in_scope(session: AsyncSession, scope: Scope, case_id: object) -> Case | None:
    """The case with this id, only if the scope covers it (a forged id finds nothing)."""
    if not isinstance(case_id, int) or not scope:
        return None
    case = await session.get(Case, case_id)
    if case is None or not scope.covers(case.municipality, case.district or None):
        return None
    return case


async def active_for(session: AsyncSession, kind: CaseKind, subject_id: int) -> Case | None:
    """The case still in the queue for this subject, if any."""
    return await _active_for(session, kind, subject_id)


def act(
    session: AsyncSession,
    case: Case,
    *,
    by: User | None,
    via: Via,
    action: str,
    now: datetime,
    **detail: object,
) -> None:
    """Write what someone did about a case to the audit record."""
    audit.record(
        session, actor=by, via=via, action=action, subject=f"case:{case.id}", now=now, **detail
    )
    case.updated_at = now
    session.add(case)


def take(session: AsyncSession, case: Case, *, by: User, via: Via, now: datetime) -> None:
    """Someone of the agency looks after the case personally."""
    case.status, case.taken_by = CaseStatus.TAKEN, by.id
    act(session, case, by=by, via=via, action="take over", now=now)


def forward(
    session: AsyncSession, case: Case, sponsor_id: int, *, by: User | None, via: Via, now: datetime
) -> None:
    """Hand the case to a sponsor of its district, who is told."""
    case.status, case.taken_by = CaseStatus.TAKEN, sponsor_id
    act(session, case, by=by, via=via, action="forward", now=now, to=f"user:{sponsor_id}")


async def notify_forwarded(
    session: AsyncSession, case: Case, sponsor_id: int, now: datetime
) -> None:
    await enqueue(
        session,
        user_id=sponsor_id,
        kind=DeliveryKind.CASE,
        subject_id=case.id,
        due_at=now,
        now=now,
        extra=f"forward:{now.timestamp():.0f}",
    )


def close(
    session: AsyncSession, case: Case, reason: str, *, by: User | None, via: Via, now: datetime
) -> None:
    case.status, case.reason, case.closed_at = CaseStatus.CLOSED, reason, now
    act(session, case, by=by, via=via, action="close", now=now, reason=reason)


async def close_for(
    session: AsyncSession,
    kind: CaseKind,
    subject_id: int | None,
    reason: str,
    *,
    by: User | None,
    via: Via,
    now: datetime,
) -> None:
    """Close the active case of a subject, if there is one (it was settled elsewhere)."""
    if subject_id is None:
        return
    case = await _active_for(session, kind, subject_id)
    if case is not None:
        close(session, case, reason, by=by, via=via, now=now)


async def tell(
    session: AsyncSession,
    person: User,
    kind: str,
    now: datetime,
    text: str | None = None,
) -> AgencyNote:
    """A message from the agency to `person` (see `push.cards.agency_note`); a typed `text` is
    sealed with their key."""
    assert person.id is not None
    seal = await sealer(session, person.key)
    note = AgencyNote(user_id=person.id, kind=kind, text=seal(text), created_at=now)
    session.add(note)
    await session.flush()
    await enqueue(
        session,
        user_id=person.id,
        kind=DeliveryKind.AGENCY_NOTE,
        subject_id=note.id,
        due_at=now,
        now=now,
    )
    return note


async def file_report(
    session: AsyncSession,
    deployment: Deployment,
    *,
    reporter: User,
    reported_id: int,
    municipality: str,
    district: str,
    match_id: int | None = None,
    relay_id: int | None = None,
    now: datetime,
) -> Report:
    """Record a reported problem (after a help, or on a message of a relay): it waits, urgent,
    in the queue of its municipality and district."""
    assert reporter.id is not None
    entry = Report(
        reporter_id=reporter.id,
        reported_id=reported_id,
        match_id=match_id,
        relay_id=relay_id,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    await open_case(
        session,
        deployment,
        kind=CaseKind.REPORT,
        person=reporter,
        municipality=municipality,
        district=district,
        subject_id=entry.id,
        urgent=True,
        now=now,
    )
    await offer_a_talk(session, deployment, (reporter.id, reported_id), now)
    log.warning("a problem was reported; it waits in the agency's queue")
    return entry


# A little after the report, so that the offer does not arrive in the same breath.
TALK_OFFER_DELAY = timedelta(hours=1)


async def offer_a_talk(
    session: AsyncSession, deployment: Deployment, user_ids: Sequence[int], now: datetime
) -> None:
    """After a difficult help, the volunteers involved are offered a talk with the agency: once
    for each of them, ever, and never in their quiet hours."""
    volunteers = await session.exec(
        select(User)
        .join(VolunteerProfile, col(VolunteerProfile.user_id) == User.id)
        .where(col(User.id).in_(sorted(set(user_ids))))
    )
    for person in volunteers.all():
        assert person.id is not None
        later = (now + TALK_OFFER_DELAY).astimezone(deployment.tz)
        await enqueue(
            session,
            user_id=person.id,
            kind=DeliveryKind.SUPPORT_OFFER,
            subject_id=None,
            due_at=after_quiet_hours(later, person.quiet_from, person.quiet_until),
            now=now,
        )


async def set_phone(session: AsyncSession, case: Case, person: User, phone: str) -> None:
    """The number to call back, sealed with the person's key."""
    seal = await sealer(session, person.key)
    case.phone = seal(phone)
    session.add(case)
