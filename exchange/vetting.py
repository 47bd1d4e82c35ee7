"""Vetting volunteers: identity checked, interview held, extended police certificate seen.

The certificate itself is never stored: only the day it was issued, as a coordinator saw it. A
volunteer counts as vetted (`VolunteerProfile.verified`, which matching reads) while that
certificate is younger than the deployment's `certificate_years`. Before it runs out the volunteer
and the coordinators are reminded; once it has run out the volunteer is no longer vetted and is
back in the agency's queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit, cases, staff
from exchange.audit import Via
from storage.models import CaseKind, DeliveryKind, User, VolunteerProfile
from storage.outbox import enqueue
from town.deployment import Deployment

# How long before a certificate runs out the volunteer and the coordinators are reminded.
REMIND_BEFORE = timedelta(days=30)


def valid_until(deployment: Deployment, issued: date) -> date:
    years = deployment.agency.certificate_years
    try:
        return issued.replace(year=issued.year + years)
    except ValueError:  # issued on 29 February
        return issued.replace(year=issued.year + years, day=28)


def is_vetted(deployment: Deployment, profile: VolunteerProfile, today: date) -> bool:
    issued = profile.certificate_issued_on
    return issued is not None and today < valid_until(deployment, issued)


def needs_vetting(deployment: Deployment, categories: Iterable[str]) -> list[str]:
    """The chosen categories that are offered only to vetted volunteers."""
    kinds = deployment.categories_by_id
    return [c for c in categories if c in kinds and kinds[c].needs_verification]


async def ask_for_vetting(
    session: AsyncSession,
    deployment: Deployment,
    volunteer: User,
    profile: VolunteerProfile,
    categories: Iterable[str],
    now: datetime,
) -> bool:
    """A volunteer who offers help that needs vetting, and is not vetted, waits in the queue."""
    today = now.astimezone(deployment.tz).date()
    if not needs_vetting(deployment, categories) or is_vetted(deployment, profile, today):
        return False
    municipality = volunteer.municipality or deployment.municipalities[0].id
    await cases.open_case(
        session,
        deployment,
        kind=CaseKind.VETTING,
        person=volunteer,
        municipality=municipality,
        subject_id=profile.id,
        now=now,
    )
    return True


async def record(
    session: AsyncSession,
    deployment: Deployment,
    profile: VolunteerProfile,
    *,
    identity: date | None = None,
    interview: date | None = None,
    certificate_issued: date | None = None,
    by: User | None,
    via: Via,
    now: datetime,
) -> None:
    """Note what a coordinator checked; a valid certificate makes the volunteer vetted."""
    today = now.astimezone(deployment.tz).date()
    if certificate_issued is not None and certificate_issued > today:
        raise ValueError("a certificate cannot be issued in the future")
    if identity is not None:
        profile.identity_checked_on = identity
    if interview is not None:
        profile.interviewed_on = interview
    if certificate_issued is not None:
        profile.certificate_issued_on = certificate_issued
        profile.certificate_reminded_on = None
    profile.verified = is_vetted(deployment, profile, today)
    profile.updated_at = now
    session.add(profile)
    seen = {
        "identity": identity.isoformat() if identity else None,
        "interview": interview.isoformat() if interview else None,
        "certificate_issued": certificate_issued.isoformat() if certificate_issued else None,
    }
    audit.record(
        session,
        actor=by,
        via=via,
        action="vet",
        subject=f"profile:{profile.id}",
        now=now,
        **{k: v for k, v in seen.items() if v},
    )
    if profile.verified:
        await cases.close_for(
            session, CaseKind.VETTING, profile.id, "vetted", by=by, via=via, now=now
        )


async def remind_expiring(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """Remind volunteers (and their coordinators) whose certificate runs out within a month;
    those whose certificate ran out are vetted no more. Returns how many were reminded."""
    today = now.astimezone(deployment.tz).date()
    query = select(VolunteerProfile, User).join(User, col(User.id) == VolunteerProfile.user_id)
    query = query.where(
        col(VolunteerProfile.verified), col(VolunteerProfile.certificate_issued_on).is_not(None)
    )
    reminded = 0
    for profile, volunteer in (await session.exec(query)).all():
        assert profile.certificate_issued_on is not None
        until = valid_until(deployment, profile.certificate_issued_on)
        municipality = volunteer.municipality or deployment.municipalities[0].id
        if today >= until:
            profile.verified = False
            session.add(profile)
            await cases.open_case(
                session,
                deployment,
                kind=CaseKind.VETTING,
                person=volunteer,
                municipality=municipality,
                subject_id=profile.id,
                now=now,
            )
            continue
        if today < until - REMIND_BEFORE or profile.certificate_reminded_on is not None:
            continue
        profile.certificate_reminded_on = today
        session.add(profile)
        readers = [volunteer.id, *await staff.coordinators_of(session, deployment, municipality)]
        for reader in readers:
            assert reader is not None
            await enqueue(
                session,
                user_id=reader,
                kind=DeliveryKind.CERTIFICATE_EXPIRING,
                subject_id=profile.id,
                due_at=now,
                now=now,
                extra=profile.certificate_issued_on.isoformat(),
            )
        reminded += 1
    return reminded
