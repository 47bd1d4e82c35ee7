"""Newsletters and campaigns: one message, in a version per language, to a chosen audience.

At its time, planning writes one outbox row per reader (never due in their quiet hours), so the
sender delivers them at the rate budget like every push; once every row is sent, its author
learns how many it reached and how many could not be reached. Everyone chooses which kinds of
news they want (`NewsOptOut`), and stops one with a tap on the message itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.timing import after_quiet_hours
from storage.models import (
    Delivery,
    DeliveryKind,
    HelpRequest,
    NewsKind,
    Newsletter,
    NewsletterStatus,
    NewsletterText,
    NewsOptOut,
    Role,
    User,
    VolunteerDistrict,
    VolunteerProfile,
)
from storage.outbox import enqueue, enqueue_many, planned
from town.deployment import Deployment

TEXT_LIMIT = 3500
# Roles as a newsletter's audience names them: those asking for help for themselves or others.
AUDIENCE_ROLES: dict[str, tuple[Role, ...]] = {
    "volunteers": (Role.VOLUNTEER,),
    "seekers": (Role.SEEKER, Role.RELATIVE),
    "organisations": (Role.ORGANISATION,),
}


@dataclass(frozen=True)
class Audience:
    """Whom a newsletter is for: empty means everyone, every district, every language."""

    municipality: str
    roles: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


def _base(code: str) -> str:
    return code.split("_", 1)[0]


async def wants(session: AsyncSession, user_id: int, kind: NewsKind) -> bool:
    found = await session.get(NewsOptOut, (user_id, kind))
    return found is None


async def choose(session: AsyncSession, user_id: int, kind: NewsKind, wanted: bool) -> None:
    """Receive this kind of news, or not."""
    found = await session.get(NewsOptOut, (user_id, kind))
    if wanted and found is not None:
        await session.delete(found)
    elif not wanted and found is None:
        session.add(NewsOptOut(user_id=user_id, kind=kind))
    await session.flush()


async def readers(session: AsyncSession, audience: Audience, kind: NewsKind) -> Sequence[User]:
    """Everyone the audience names who wants this kind of news and is not blocked, reachable or
    not (the unreachable are counted, not written to)."""
    query = select(User).where(
        User.municipality == audience.municipality,
        col(User.blocked_at).is_(None),
        col(User.id).not_in(select(NewsOptOut.user_id).where(NewsOptOut.kind == kind)),
    )
    if audience.roles:
        roles = sorted({r for name in audience.roles for r in AUDIENCE_ROLES.get(name, ())})
        query = query.where(col(User.role).in_(roles))
    if audience.districts:
        volunteering = (
            select(VolunteerProfile.user_id)
            .join(VolunteerDistrict, col(VolunteerDistrict.profile_id) == VolunteerProfile.id)
            .where(col(VolunteerDistrict.district).in_(audience.districts))
        )
        asking = select(HelpRequest.asker_id).where(
            col(HelpRequest.district).in_(audience.districts)
        )
        query = query.where(sa.or_(col(User.id).in_(volunteering), col(User.id).in_(asking)))
    people = (await session.exec(query.order_by(col(User.id)))).all()
    if audience.languages:
        spoken = {_base(code) for code in audience.languages}
        people = [p for p in people if _base(p.language) in spoken]
    return people


async def create(
    session: AsyncSession,
    *,
    author: User,
    kind: NewsKind,
    audience: Audience,
    texts: dict[str, str],
    default_language: str,
    photo: str | None,
    send_at: datetime,
    now: datetime,
    document_id: int | None = None,
) -> Newsletter:
    """A newsletter scheduled for `send_at` (now or later); planning sends it then."""
    newsletter = Newsletter(
        author_id=author.id,
        kind=kind,
        municipality=audience.municipality,
        roles=list(audience.roles),
        districts=list(audience.districts),
        languages=list(audience.languages),
        default_language=default_language,
        photo=photo,
        document_id=document_id,
        send_at=send_at,
        status=NewsletterStatus.SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    session.add(newsletter)
    await session.flush()
    for language, text in texts.items():
        session.add(NewsletterText(newsletter_id=newsletter.id or 0, language=language, text=text))
    await session.flush()
    return newsletter


def audience_of(newsletter: Newsletter) -> Audience:
    return Audience(
        newsletter.municipality,
        tuple(newsletter.roles),
        tuple(newsletter.districts),
        tuple(newsletter.languages),
    )


async def version_for(
    session: AsyncSession, newsletter: Newsletter, language: str
) -> NewsletterText | None:
    """The version in the reader's language (plain German reads German), else the default."""
    versions = {
        v.language: v
        for v in (
            await session.exec(
                select(NewsletterText).where(NewsletterText.newsletter_id == newsletter.id)
            )
        ).all()
    }
    for code in (language, _base(language), newsletter.default_language):
        if code in versions:
            return versions[code]
    return next(iter(versions.values()), None)


async def _send(
    session: AsyncSession, deployment: Deployment, newsletter: Newsletter, now: datetime
) -> int:
    people = await readers(session, audience_of(newsletter), newsletter.kind)
    at = (newsletter.send_at or now).astimezone(deployment.tz)
    rows = [
        planned(
            person.id,
            DeliveryKind.NEWSLETTER,
            newsletter.id,
            after_quiet_hours(at, person.quiet_from, person.quiet_until),
            now,
        )
        for person in people
        if person.id is not None and person.unreachable_at is None
    ]
    await enqueue_many(session, rows)
    newsletter.status, newsletter.updated_at = NewsletterStatus.SENT, now
    newsletter.planned = len(rows)
    newsletter.unreachable = len(people) - len(rows)
    session.add(newsletter)
    return len(rows)


async def _report_finished(session: AsyncSession, now: datetime) -> None:
    """Newsletters whose every message went out: count them, and tell the author."""
    pending = select(Delivery.subject_id).where(
        Delivery.kind == DeliveryKind.NEWSLETTER, col(Delivery.sent_at).is_(None)
    )
    finished = await session.exec(
        select(Newsletter).where(
            Newsletter.status == NewsletterStatus.SENT,
            col(Newsletter.reached).is_(None),
            col(Newsletter.id).not_in(pending),
        )
    )
    for newsletter in finished.all():
        sent = await session.exec(
            select(col(User.unreachable_at).is_(None), func.count())
            .select_from(Delivery)
            .join(User, col(User.id) == Delivery.user_id)
            .where(Delivery.kind == DeliveryKind.NEWSLETTER, Delivery.subject_id == newsletter.id)
            .group_by(col(User.unreachable_at).is_(None))
        )
        counts = dict(sent.all())
        newsletter.reached = int(counts.get(True, 0))
        newsletter.unreachable = (newsletter.unreachable or 0) + int(counts.get(False, 0))
        newsletter.updated_at = now
        session.add(newsletter)
        if newsletter.author_id is not None:
            await enqueue(
                session,
                user_id=newsletter.author_id,
                kind=DeliveryKind.NEWSLETTER_REPORT,
                subject_id=newsletter.id,
                due_at=now,
                now=now,
            )


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """Send the newsletters whose time came, and report those sent completely; how many
    messages were written to the outbox."""
    due = await session.exec(
        select(Newsletter).where(
            Newsletter.status == NewsletterStatus.SCHEDULED, col(Newsletter.send_at) <= now
        )
    )
    written = 0
    for newsletter in due.all():
        written += await _send(session, deployment, newsletter, now)
    await session.flush()
    await _report_finished(session, now)
    return written


async def exported(session: AsyncSession, user_id: int) -> dict[str, object]:
    """What the person chose about news, and the newsletters they wrote, for their data export."""
    stopped = await session.exec(select(NewsOptOut.kind).where(NewsOptOut.user_id == user_id))
    written = await session.exec(select(Newsletter).where(Newsletter.author_id == user_id))
    return {
        "news_not_wanted": [str(kind) for kind in stopped.all()],
        "newsletters_written": [
            {
                "id": n.id,
                "kind": str(n.kind),
                "send_at": n.send_at.isoformat() if n.send_at else None,
            }
            for n in written.all()
        ],
    }


async def forget(session: AsyncSession, user_id: int) -> None:
    """A person erased: their news choices go; newsletters they wrote stay, without author."""
    await session.exec(delete(NewsOptOut).where(col(NewsOptOut.user_id) == user_id))
    await session.exec(
        update(Newsletter).where(col(Newsletter.author_id) == user_id).values(author_id=None)
    )
