"""Requests for help: asking, the asker's own list, withdrawing, and closing those whose day passed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import cases
from exchange.audit import Via
from exchange.matches import release_volunteer
from storage.models import CaseKind, DeliveryKind, HelpRequest, RequestStatus, User
from storage.outbox import enqueue_many, planned
from storage.sealing import sealer
from town.deployment import Deployment

# More requests than this from one person within a day wait for the next day.
REQUESTS_PER_DAY = 5
ACTIVE = (RequestStatus.OPEN, RequestStatus.MATCHED)


@dataclass(frozen=True)
class RequestValues:
    """What an asker says about the help needed: the first name of the person helped (the asker's
    own, asking for oneself) and a phone number the volunteer may call (None: only through the
    bot's relay)."""

    for_other: bool
    person_name: str | None
    person_phone: str | None
    category: str
    municipality: str
    district: str
    day: date | None  # None: flexible
    part_of_day: str | None
    at_time: time | None
    address: str | None
    languages: Sequence[str]
    description: str
    language: str  # the one the description is written in


async def may_ask(session: AsyncSession, asker_id: int, now: datetime) -> bool:
    """Whether the person is still below the number of requests one may send within a day."""
    since = now - timedelta(days=1)
    query = select(func.count()).where(
        HelpRequest.asker_id == asker_id, col(HelpRequest.created_at) >= since
    )
    return int((await session.exec(query)).one()) < REQUESTS_PER_DAY


async def own_first_name(session: AsyncSession, asker_id: int) -> str | None:
    """The first name the person gave when they last asked for themself, to ask it only once."""
    row = await session.exec(
        select(HelpRequest.person_name)
        .where(HelpRequest.asker_id == asker_id, col(HelpRequest.for_other).is_(False))
        .where(col(HelpRequest.person_name).is_not(None))
        .order_by(col(HelpRequest.id).desc())
        .limit(1)
    )
    return row.first()


async def submit(
    session: AsyncSession, asker: User, values: RequestValues, now: datetime
) -> HelpRequest:
    """A new open request; the next planning run offers it to volunteers. Names, the phone, the
    address and the description are sealed with the asker's key."""
    assert asker.id is not None
    seal = await sealer(session, asker.key)
    request = HelpRequest(
        asker_id=asker.id,
        for_other=values.for_other,
        person_name=seal(values.person_name),
        person_phone=seal(values.person_phone),
        category=values.category,
        municipality=values.municipality,
        district=values.district,
        day=values.day,
        part_of_day=values.part_of_day,
        at_time=values.at_time,
        address=seal(values.address),
        languages=list(values.languages),
        description=seal(values.description) or "",
        language=values.language,
        status=RequestStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    return request


async def asked_by(session: AsyncSession, asker_id: int, limit: int | None) -> list[HelpRequest]:
    """The person's own requests, the newest first (all of them without a limit)."""
    query = (
        select(HelpRequest)
        .where(HelpRequest.asker_id == asker_id)
        .order_by(col(HelpRequest.created_at).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await session.exec(query)).all())


async def own(session: AsyncSession, asker_id: int, request_id: object) -> HelpRequest | None:
    """The request with this id, only if this person asked it."""
    if not isinstance(request_id, int):
        return None
    found = await session.get(HelpRequest, request_id)
    return found if found is not None and found.asker_id == asker_id else None


async def withdraw(session: AsyncSession, request: HelpRequest, now: datetime) -> None:
    """The asker withdraws a request; a volunteer who had accepted it is told not to come."""
    if request.status not in ACTIVE:
        return
    if request.status == RequestStatus.MATCHED:
        await release_volunteer(session, request, now)
    request.status, request.updated_at = RequestStatus.CANCELLED, now
    session.add(request)
    await cases.close_for(
        session, CaseKind.UNMATCHED, request.id, "withdrawn", by=None, via="system", now=now
    )


async def search_again(
    session: AsyncSession,
    deployment: Deployment,
    request: HelpRequest,
    *,
    by: User | None,
    via: Via,
    now: datetime,
) -> None:
    """Run the widest offer round once more, at once (a coordinator widened the search): its
    case leaves the queue, and if nobody accepts the request is back in it after the round."""
    request.exhausted = False
    request.round = max(deployment.matching.rounds - 1, 0)
    request.round_ends_at = now
    request.updated_at = now
    session.add(request)
    await cases.close_for(
        session, CaseKind.UNMATCHED, request.id, "widened", by=by, via=via, now=now
    )


async def expire_passed(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """Close open requests whose day passed (or flexible ones nobody took for too long) and tell
    their askers; returns how many were closed."""
    today = now.astimezone(deployment.tz).date()
    stale = now - timedelta(days=deployment.matching.flexible_days)
    passed = (
        await session.exec(
            select(HelpRequest).where(
                HelpRequest.status == RequestStatus.OPEN,
                or_(
                    col(HelpRequest.day) < today,
                    col(HelpRequest.day).is_(None) & (col(HelpRequest.created_at) < stale),
                ),
            )
        )
    ).all()
    notices = []
    for request in passed:
        request.status, request.updated_at = RequestStatus.EXPIRED, now
        session.add(request)
        notices.append(planned(request.asker_id, DeliveryKind.EXPIRED, request.id, now, now))
        await cases.close_for(
            session, CaseKind.UNMATCHED, request.id, "expired", by=None, via="system", now=now
        )
    for start in range(0, len(notices), 5_000):
        await enqueue_many(session, notices[start : start + 5_000])
    return len(passed)
