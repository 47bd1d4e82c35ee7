"""Delivering due pushes: claim them, render each for its reader, send, mark sent.

A row is marked sent only after the platform accepted the message, and a row is claimed by one
worker at a time, so a crash or a second process neither loses nor duplicates a message. Offers due
together for one volunteer go out as one digest.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.deployment import Deployment
from handlers import cards
from handlers.i18n import Text
from handlers.types import Button, Reply
from push.outbox import claim_due, mark_sent, release
from storage.models import (
    Delivery,
    HelpRequest,
    Interest,
    Match,
    Opportunity,
    Organisation,
    Report,
    User,
    VolunteerLanguage,
    VolunteerProfile,
)

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)
# Small batches keep the time between claiming and sending well inside the lease.
BATCH = 100
PARALLEL_RECIPIENTS = 40


class Outbound(Protocol):
    """Where pushes leave the bot: a channel that can reach some users."""

    async def push(self, user: User, reply: Reply) -> bool:
        """Deliver; True when done (sent, or the person cannot be reached), False to retry later."""
        ...


@dataclass(frozen=True)
class Audience:
    """Whose deliveries a worker handles: users whose key starts with a prefix, or one user."""

    key_prefix: str | None = None
    user_key: str | None = None


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    deployment: Deployment,
    outbound: Outbound,
    audience: Audience,
    now: datetime,
    *,
    worker: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Send everything due to the audience; returns how many messages went out."""
    worker = worker or uuid.uuid4().hex[:12]
    sent = 0
    limit = asyncio.Semaphore(PARALLEL_RECIPIENTS)
    while True:
        rows = await claim_due(
            sessions,
            worker=worker,
            now=now,
            lease=lease,
            limit=BATCH,
            key_prefix=audience.key_prefix,
            user_key=audience.user_key,
        )
        if not rows:
            return sent
        by_user: dict[int, tuple[User, list[Delivery]]] = {}
        for delivery, user in rows:
            by_user.setdefault(delivery.user_id, (user, []))[1].append(delivery)

        async def one(user: User, deliveries: list[Delivery]) -> int:
            async with limit:
                return await _deliver_to(sessions, deployment, outbound, user, deliveries, now)

        counts = await asyncio.gather(*(one(u, d) for u, d in by_user.values()))
        sent += sum(counts)


async def _deliver_to(
    sessions: async_sessionmaker[AsyncSession],
    deployment: Deployment,
    outbound: Outbound,
    user: User,
    deliveries: list[Delivery],
    now: datetime,
) -> int:
    sent = 0
    async with sessions() as session:
        messages = await compose(session, deployment, user, deliveries)
    for index, (reply, ids) in enumerate(messages):
        if reply is None or user.unreachable_at is not None:
            await mark_sent(sessions, ids, now)  # nothing (left) to say, or nobody to say it to
            continue
        try:
            delivered = await outbound.push(user, reply)
        except Exception:
            log.exception("sending a push failed")
            delivered = False
        if not delivered:
            rest = [i for _reply, later in messages[index:] for i in later]
            await release(sessions, rest)
            return sent
        await mark_sent(sessions, ids, now)
        sent += 1
    return sent


Message = tuple[Reply | None, list[int]]


async def compose(
    session: AsyncSession, deployment: Deployment, user: User, deliveries: Sequence[Delivery]
) -> list[Message]:
    """Turn one user's due deliveries into messages in their language; None for what is obsolete."""
    language = user.language
    offers = [d for d in deliveries if d.kind == "offer"]
    announcements = [d for d in deliveries if d.kind == "opportunity"]
    messages: list[Message] = []
    if offers:
        messages.append(await _offers(session, deployment, language, offers))
    if announcements:
        messages.append(await _opportunities(session, deployment, language, announcements))
    for delivery in deliveries:
        if delivery.kind in ("offer", "opportunity"):
            continue
        assert delivery.id is not None
        text, buttons = await _single(session, deployment, user, delivery)
        reply = None if text is None else Reply(text, language, buttons)
        messages.append((reply, [delivery.id]))
    return messages


async def _offers(
    session: AsyncSession, deployment: Deployment, language: str, deliveries: Sequence[Delivery]
) -> Message:
    ids = [d.id for d in deliveries if d.id is not None]
    match_ids = [d.subject_id for d in deliveries if d.subject_id is not None]
    rows = await session.exec(
        select(Match, HelpRequest)
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .where(col(Match.id).in_(match_ids))
        .order_by(col(HelpRequest.day), col(Match.id))
    )
    live = [
        (request, match.id)
        for match, request in rows.all()
        if match.state == "offered" and request.status == "open" and match.id is not None
    ]
    if not live:
        return None, ids
    if len(live) == 1:
        text, buttons = cards.offer(deployment, *live[0])
    else:
        text, buttons = cards.digest(deployment, live)
    return Reply(text, language, buttons), ids


async def _opportunities(
    session: AsyncSession, deployment: Deployment, language: str, deliveries: Sequence[Delivery]
) -> Message:
    ids = [d.id for d in deliveries if d.id is not None]
    rows = await session.exec(
        select(Opportunity, Organisation)
        .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
        .where(col(Opportunity.id).in_([d.subject_id for d in deliveries]))
        .where(Opportunity.status == "open")
        .order_by(col(Opportunity.id))
    )
    items = list(rows.all())
    if not items:
        return None, ids
    text, buttons = cards.opportunities(deployment, items)
    return Reply(text, language, buttons), ids


Rendered = tuple[Text | None, tuple[tuple[Button, ...], ...]]


async def _single(
    session: AsyncSession, deployment: Deployment, user: User, delivery: Delivery
) -> Rendered:
    kind = delivery.kind
    if kind == "interest":
        return await _interest(session, deployment, delivery)
    if kind == "organisation_decided":
        organisation = await session.get(Organisation, delivery.subject_id)
        return (cards.organisation_decided(deployment, organisation) if organisation else None), ()
    if kind == "report":
        entry = await session.get(Report, delivery.subject_id)
        match = await session.get(Match, entry.match_id) if entry and entry.match_id else None
        request = await session.get(HelpRequest, match.request_id) if match else None
        return (cards.reported(deployment, request) if request else None), ()
    if kind in ("expired", "unmatched", "coordinator_alert"):
        request = await session.get(HelpRequest, delivery.subject_id)
        if request is None:
            return None, ()
        if kind == "expired":
            return cards.expired(deployment, request), ()
        if kind == "unmatched":
            return (cards.unmatched(deployment, request) if request.status == "open" else None), ()
        return (
            cards.coordinator_alert(deployment, request) if request.status == "open" else None
        ), ()
    found = (
        await session.exec(
            select(Match, HelpRequest, VolunteerProfile)
            .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
            .where(Match.id == delivery.subject_id)
        )
    ).first()
    if found is None:
        return None, ()
    match, request, profile = found
    assert match.id is not None
    if kind == "match_cancelled":
        return cards.match_cancelled(deployment, request, profile.first_name), ()
    if kind == "request_withdrawn":
        return cards.request_withdrawn(deployment, request), ()
    if match.state != "accepted" or request.status not in ("matched", "done"):
        return None, ()  # cancelled or withdrawn meanwhile: no reminder, no question
    if kind == "found":
        languages = (
            await session.exec(
                select(VolunteerLanguage.language).where(VolunteerLanguage.profile_id == profile.id)
            )
        ).all()
        return cards.found(deployment, request, profile, sorted(languages), match.safety_word), ()
    if kind in ("reminder_evening", "reminder_soon"):
        for_volunteer = profile.user_id == user.id
        text = cards.reminder(
            deployment,
            request,
            kind == "reminder_soon",
            for_volunteer,
            profile.first_name,
            match.safety_word,
        )
        return text, ()
    if kind == "followup_volunteer":
        return cards.follow_up_volunteer(deployment, request, match.id)
    if kind == "followup_asker":
        return cards.follow_up_asker(deployment, request, match.id, profile.first_name)
    log.warning("unknown delivery kind %s", kind)
    return None, ()


async def _interest(session: AsyncSession, deployment: Deployment, delivery: Delivery) -> Rendered:
    found = (
        await session.exec(
            select(Interest, Opportunity, VolunteerProfile)
            .join(Opportunity, col(Opportunity.id) == Interest.opportunity_id)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Interest.profile_id)
            .where(Interest.id == delivery.subject_id)
        )
    ).first()
    if found is None:
        return None, ()
    _interest_row, opportunity, profile = found
    languages = (
        await session.exec(
            select(VolunteerLanguage.language).where(VolunteerLanguage.profile_id == profile.id)
        )
    ).all()
    return cards.interest(opportunity, profile, sorted(languages), deployment), ()
