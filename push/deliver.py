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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import cards
from handlers.i18n import Text
from handlers.types import Button, Reply
from storage.models import (
    HelpRequest,
    Interest,
    Match,
    Opportunity,
    Organisation,
    Report,
    VolunteerLanguage,
    VolunteerProfile,
    table_of,
)
from storage.outbox import Addressee, Due, claim_due, mark_sent, release
from town.deployment import Deployment

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)
# Small batches keep the time between claiming and sending well inside the lease.
BATCH = 100
PARALLEL_RECIPIENTS = 40


class Outbound(Protocol):
    """Where pushes leave the bot: a channel that can reach some users."""

    async def push(self, user: Addressee, reply: Reply) -> bool:
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
    built = Cards(deployment)
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
        recipients = by_recipient(rows)
        async with sessions() as session:
            composed = await compose_all(session, deployment, recipients, built)

        async def one(user: Addressee, messages: list[Message]) -> int:
            async with limit:
                return await _deliver_to(sessions, outbound, user, messages, now)

        counts = await asyncio.gather(
            *(
                one(user, messages)
                for (user, _d), messages in zip(recipients, composed, strict=True)
            )
        )
        sent += sum(counts)


Message = tuple[Reply | None, list[int]]
Recipient = tuple[Addressee, list[Due]]


def by_recipient(claimed: Sequence[tuple[Due, Addressee]]) -> list[Recipient]:
    """Claimed rows grouped per person, in the order claimed: what `compose_all` takes."""
    grouped: dict[int, Recipient] = {}
    for due, addressee in claimed:
        grouped.setdefault(due.user_id, (addressee, []))[1].append(due)
    return list(grouped.values())


async def _deliver_to(
    sessions: async_sessionmaker[AsyncSession],
    outbound: Outbound,
    user: Addressee,
    messages: list[Message],
    now: datetime,
) -> int:
    sent = 0
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


@dataclass(frozen=True, slots=True)
class OfferedRequest:
    """What an offer shows of its request (never the address or phone)."""

    id: int
    category: str
    municipality: str
    district: str
    day: date | None
    part_of_day: str | None
    at_time: time | None
    languages: tuple[str, ...]
    description: str
    language: str
    updated_at: datetime


@dataclass
class Cards:
    """What offers show of their requests, loaded and built once per version of each request."""

    deployment: Deployment
    requests: dict[int, OfferedRequest] = field(default_factory=dict)
    built: dict[tuple[int, datetime], Text] = field(default_factory=dict)

    def card(self, request: OfferedRequest) -> Text:
        key = (request.id, request.updated_at)
        found = self.built.get(key)
        if found is None:
            found = self.built[key] = cards.request_card(self.deployment, request)
        return found

    async def load(self, session: AsyncSession, versions: dict[int, datetime]) -> None:
        """Have these requests (id -> when last changed) at hand, in that version."""
        stale = [
            request_id
            for request_id, updated_at in versions.items()
            if (known := self.requests.get(request_id)) is None or known.updated_at != updated_at
        ]
        r = table_of(HelpRequest).c
        connection = await session.connection()
        for start in range(0, len(stale), 1_000):
            rows = await connection.execute(
                sa.select(
                    r.id,
                    r.category,
                    r.municipality,
                    r.district,
                    r.day,
                    r.part_of_day,
                    r.at_time,
                    r.languages,
                    r.description,
                    r.language,
                    r.updated_at,
                ).where(r.id.in_(stale[start : start + 1_000]))
            )
            for row in rows.all():
                facts = list(row)
                facts[7] = tuple(facts[7] or ())
                self.requests[row[0]] = OfferedRequest(*facts)


@dataclass
class _Batch:
    """What the deliveries of a batch speak of, loaded together."""

    deployment: Deployment
    offers: dict[int, OfferedRequest]  # match id -> its request, for offers still open
    opportunities: dict[int, tuple[Opportunity, Organisation]]
    cards: Cards


async def compose_all(
    session: AsyncSession,
    deployment: Deployment,
    recipients: Sequence[Recipient],
    built: Cards | None = None,
) -> list[list[Message]]:
    """Each recipient's due deliveries as messages in their language; None for what is obsolete.

    Offers due together for one volunteer become one digest. What offers and announcements speak
    of is loaded for all recipients at once; `built` carries request cards from batch to batch."""
    offer_matches = [
        d.subject_id
        for _user, deliveries in recipients
        for d in deliveries
        if d.kind == "offer" and d.subject_id is not None
    ]
    announced = [
        d.subject_id
        for _user, deliveries in recipients
        for d in deliveries
        if d.kind == "opportunity" and d.subject_id is not None
    ]
    known = built or Cards(deployment)
    batch = _Batch(
        deployment,
        await _open_offers(session, known, offer_matches),
        await _open_opportunities(session, announced),
        known,
    )
    return [await _compose(session, batch, user, deliveries) for user, deliveries in recipients]


async def _open_offers(
    session: AsyncSession, known: Cards, match_ids: list[int]
) -> dict[int, OfferedRequest]:
    """The offers among these matches still open (match id -> its request)."""
    m, r = table_of(Match).c, table_of(HelpRequest).c
    connection = await session.connection()
    open_offers: dict[int, int] = {}
    versions: dict[int, datetime] = {}
    for start in range(0, len(match_ids), 1_000):
        rows = await connection.execute(
            sa.select(m.id, r.id, r.updated_at)
            .join_from(table_of(Match), table_of(HelpRequest), r.id == m.request_id)
            .where(m.id.in_(match_ids[start : start + 1_000]))
            .where(m.state == "offered", r.status == "open")
        )
        for match_id, request_id, updated_at in rows.all():
            open_offers[match_id] = request_id
            versions[request_id] = updated_at
    await known.load(session, versions)
    return {match_id: known.requests[request_id] for match_id, request_id in open_offers.items()}


async def _open_opportunities(
    session: AsyncSession, ids: list[int]
) -> dict[int, tuple[Opportunity, Organisation]]:
    if not ids:
        return {}
    rows = await session.exec(
        select(Opportunity, Organisation)
        .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
        .where(col(Opportunity.id).in_(sorted(set(ids))), Opportunity.status == "open")
    )
    return {o.id: (o, org) for o, org in rows.all() if o.id is not None}


async def _compose(
    session: AsyncSession, batch: _Batch, user: Addressee, deliveries: Sequence[Due]
) -> list[Message]:
    language = user.language
    offers = [d for d in deliveries if d.kind == "offer"]
    announcements = [d for d in deliveries if d.kind == "opportunity"]
    messages: list[Message] = []
    if offers:
        messages.append(_offers(batch, language, offers))
    if announcements:
        messages.append(_opportunities(batch, language, announcements))
    for delivery in deliveries:
        if delivery.kind in ("offer", "opportunity"):
            continue
        text, buttons = await _single(session, batch.deployment, user, delivery)
        reply = None if text is None else Reply(text, language, buttons)
        messages.append((reply, [delivery.id]))
    return messages


def _offers(batch: _Batch, language: str, deliveries: Sequence[Due]) -> Message:
    ids = [d.id for d in deliveries]
    live = sorted(
        (
            (request, match_id)
            for match_id in {d.subject_id for d in deliveries}
            if match_id is not None and (request := batch.offers.get(match_id)) is not None
        ),
        key=lambda item: (item[0].day is None, item[0].day, item[1]),
    )
    if not live:
        return None, ids
    if len(live) == 1:
        request, match_id = live[0]
        text, buttons = cards.offer(batch.cards.card(request), match_id)
    else:
        text, buttons = cards.digest(
            [(batch.cards.card(request), match_id) for request, match_id in live]
        )
    return Reply(text, language, buttons), ids


def _opportunities(batch: _Batch, language: str, deliveries: Sequence[Due]) -> Message:
    ids = [d.id for d in deliveries]
    items = [
        batch.opportunities[subject]
        for subject in sorted({d.subject_id for d in deliveries if d.subject_id is not None})
        if subject in batch.opportunities
    ]
    if not items:
        return None, ids
    text, buttons = cards.opportunities(batch.deployment, items)
    return Reply(text, language, buttons), ids


Rendered = tuple[Text | None, tuple[tuple[Button, ...], ...]]


async def _single(
    session: AsyncSession, deployment: Deployment, user: Addressee, delivery: Due
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


async def _interest(session: AsyncSession, deployment: Deployment, delivery: Due) -> Rendered:
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
