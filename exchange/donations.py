"""The Spendenbörse: items given away and items wished for, paired by place and category.

Nothing is sold and there are no prices. An offer and a wish of the same municipality, district
and category find each other as soon as the second one is posted (a pair); the wisher hears of
the offer, may ask for it, and the giver promises it to one of those who asked. The two then
arrange the handover through a relay. Open items expire after `OPEN_DAYS`; a coordinator may
remove one. What an item is and its photo are sealed with the owner's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit, relays
from exchange.timing import after_quiet_hours
from storage.models import (
    DeliveryKind,
    Donation,
    DonationPair,
    DonationPairState,
    DonationSide,
    DonationStatus,
    Relay,
    User,
)
from storage.outbox import enqueue
from storage.sealing import sealer
from town.deployment import Deployment

CATEGORIES = ("furniture", "clothing", "household", "toys", "school", "technology")
CONDITIONS = ("new", "good", "used")
HANDOVERS = ("pickup", "delivery", "either")
OPEN_DAYS = 30  # an item nobody took (or nobody offered) is taken down after that
RELAY_DAYS = 14  # how long giver and taker can write to each other after the promise
WHAT_LIMIT = 200

# The buttons on pushed messages: "act:donation:<verb>:<pair>" (the prefix is the engine's).
ACTION = "donation"
WANT, PASS, GIVE, NO = "want", "pass", "give", "no"

# A donation still in play; and the pairs whose question is still open.
LIVE = (DonationStatus.OPEN, DonationStatus.PROMISED)
PENDING = (DonationPairState.FOUND, DonationPairState.ASKED)


@dataclass(frozen=True)
class Item:
    """What someone offers or wishes for, as the dialogue collected it."""

    side: DonationSide
    category: str
    what: str
    municipality: str
    district: str
    condition: str | None = None
    photo: str | None = None
    handover: str = "either"

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown donation category {self.category!r}")
        if self.condition is not None and self.condition not in CONDITIONS:
            raise ValueError(f"unknown condition {self.condition!r}")
        if self.handover not in HANDOVERS:
            raise ValueError(f"unknown handover {self.handover!r}")


class Answer(StrEnum):
    """What came of a button on a pushed message."""

    DONE = "done"
    ALREADY = "already"  # pressed before: nothing changes
    GONE = "gone"  # the item or the wish is no longer open
    INVALID = "invalid"  # not the presser's, or no such pair


@dataclass(frozen=True)
class Paired:
    """A pair with its offer and its wish."""

    pair: DonationPair
    offer: Donation
    wish: Donation

    @property
    def pair_id(self) -> int:
        assert self.pair.id is not None
        return self.pair.id

    @property
    def still_open(self) -> bool:
        return self.offer.status == DonationStatus.OPEN and self.wish.status == DonationStatus.OPEN


# --- posting and pairing ---------------------------------------------------------------------


async def post(
    session: AsyncSession, deployment: Deployment, user: User, item: Item, now: datetime
) -> Donation:
    """A new open offer or wish, paired at once with the open counterparts of its place."""
    assert user.id is not None
    seal = await sealer(session, user.key)
    donation = Donation(
        user_id=user.id,
        side=item.side,
        category=item.category,
        what=seal(item.what) or "",
        condition=item.condition if item.side == DonationSide.OFFER else None,
        photo=seal(item.photo) if item.side == DonationSide.OFFER else None,
        municipality=item.municipality,
        district=item.district,
        handover=item.handover,
        language=user.language,
        status=DonationStatus.OPEN,
        expires_at=now + timedelta(days=OPEN_DAYS),
        created_at=now,
        updated_at=now,
    )
    session.add(donation)
    await session.flush()
    await _pair(session, deployment, donation, now)
    return donation


async def _pair(
    session: AsyncSession, deployment: Deployment, donation: Donation, now: datetime
) -> int:
    """Pair a donation with the open ones of the other side that fit it; returns how many."""
    other = DonationSide.WISH if donation.side == DonationSide.OFFER else DonationSide.OFFER
    found = await session.exec(
        select(Donation)
        .where(
            Donation.side == other,
            Donation.status == DonationStatus.OPEN,
            Donation.municipality == donation.municipality,
            Donation.district == donation.district,
            Donation.category == donation.category,
            col(Donation.user_id) != donation.user_id,
            col(Donation.expires_at) > now,
        )
        .order_by(col(Donation.created_at), col(Donation.id))
    )
    count = 0
    for counterpart in found.all():
        offer, wish = (
            (donation, counterpart)
            if donation.side == DonationSide.OFFER
            else (counterpart, donation)
        )
        pair = DonationPair(
            offer_id=offer.id or 0,
            wish_id=wish.id or 0,
            state=DonationPairState.FOUND,
            created_at=now,
            updated_at=now,
        )
        session.add(pair)
        await session.flush()
        await _tell(session, deployment, wish.user_id, DeliveryKind.DONATION_FOUND, pair.id, now)
        count += 1
    return count


async def _tell(
    session: AsyncSession,
    deployment: Deployment,
    user_id: int,
    kind: DeliveryKind,
    pair_id: int | None,
    now: datetime,
) -> None:
    """A push about a pair: due now, or when the recipient's quiet hours end."""
    user = await session.get(User, user_id)
    due = now
    if user is not None:
        local = now.astimezone(deployment.tz)
        due = after_quiet_hours(local, user.quiet_from, user.quiet_until)
    await enqueue(session, user_id=user_id, kind=kind, subject_id=pair_id, due_at=due, now=now)


# --- the wisher and the giver answer -------------------------------------------------------


async def paired(session: AsyncSession, pair_id: int | None) -> Paired | None:
    if pair_id is None:
        return None
    pair = await session.get(DonationPair, pair_id)
    if pair is None:
        return None
    offer = await session.get(Donation, pair.offer_id)
    wish = await session.get(Donation, pair.wish_id)
    if offer is None or wish is None:
        return None
    return Paired(pair, offer, wish)


def _move(
    session: AsyncSession, pair: DonationPair, state: DonationPairState, now: datetime
) -> None:
    pair.state = state
    pair.updated_at = now
    session.add(pair)


def _set(session: AsyncSession, donation: Donation, status: DonationStatus, now: datetime) -> None:
    donation.status = status
    donation.updated_at = now
    session.add(donation)


async def ask(
    session: AsyncSession, deployment: Deployment, found: Paired, wisher: User, now: datetime
) -> Answer:
    """The wisher would like the offered item: the giver is asked."""
    if found.wish.user_id != wisher.id:
        return Answer.INVALID
    if found.pair.state != DonationPairState.FOUND:
        return Answer.ALREADY
    if not found.still_open:
        return Answer.GONE
    _move(session, found.pair, DonationPairState.ASKED, now)
    await _tell(
        session, deployment, found.offer.user_id, DeliveryKind.DONATION_ASKED, found.pair.id, now
    )
    return Answer.DONE


async def pass_on(session: AsyncSession, found: Paired, wisher: User, now: datetime) -> Answer:
    """The wisher does not want this item."""
    if found.wish.user_id != wisher.id:
        return Answer.INVALID
    if found.pair.state != DonationPairState.FOUND:
        return Answer.ALREADY
    _move(session, found.pair, DonationPairState.PASSED, now)
    return Answer.DONE


async def ask_listed(
    session: AsyncSession, deployment: Deployment, offer_id: int, wisher: User, now: datetime
) -> tuple[Answer, Paired | None]:
    """ "I would like it" on an offer from the list: paired with the wisher's open wish of that
    category (one is noted for them if they have none), and the giver is asked."""
    assert wisher.id is not None
    offer = await session.get(Donation, offer_id)
    if offer is None or offer.side != DonationSide.OFFER or offer.user_id == wisher.id:
        return Answer.INVALID, None
    if offer.status != DonationStatus.OPEN or offer.expires_at <= now:
        return Answer.GONE, None
    asked = await session.exec(
        select(DonationPair)
        .join(Donation, col(Donation.id) == DonationPair.wish_id)
        .where(DonationPair.offer_id == offer_id, Donation.user_id == wisher.id)
    )
    earlier = asked.first()
    if earlier is not None:
        found = await paired(session, earlier.id)
        assert found is not None
        if earlier.state == DonationPairState.FOUND:
            return await ask(session, deployment, found, wisher, now), found
        if earlier.state != DonationPairState.PASSED or not found.still_open:
            return Answer.ALREADY, found
        _move(session, earlier, DonationPairState.FOUND, now)  # changed their mind
        return await ask(session, deployment, found, wisher, now), found
    wishes = await session.exec(
        select(Donation)
        .where(
            Donation.user_id == wisher.id,
            Donation.side == DonationSide.WISH,
            Donation.status == DonationStatus.OPEN,
            Donation.municipality == offer.municipality,
            Donation.category == offer.category,
        )
        .order_by(col(Donation.district) != offer.district, col(Donation.id))
    )
    wish = wishes.first()
    if wish is None:
        wish = Donation(
            user_id=wisher.id,
            side=DonationSide.WISH,
            category=offer.category,
            what="",  # they chose it from the list: the offer says what it is
            municipality=offer.municipality,
            district=offer.district,
            handover="either",
            language=wisher.language,
            status=DonationStatus.OPEN,
            expires_at=now + timedelta(days=OPEN_DAYS),
            created_at=now,
            updated_at=now,
        )
        session.add(wish)
        await session.flush()
    pair = DonationPair(
        offer_id=offer_id,
        wish_id=wish.id or 0,
        state=DonationPairState.FOUND,
        created_at=now,
        updated_at=now,
    )
    session.add(pair)
    await session.flush()
    found = Paired(pair, offer, wish)
    return await ask(session, deployment, found, wisher, now), found


async def promise(
    session: AsyncSession,
    deployment: Deployment,
    found: Paired,
    giver: User,
    now: datetime,
) -> tuple[Answer, Relay | None]:
    """The giver says yes: the item is promised to this wisher, everyone else who asked hears
    it has gone, and the two can write to each other."""
    if found.offer.user_id != giver.id:
        return Answer.INVALID, None
    if found.pair.state == DonationPairState.PROMISED:
        return Answer.ALREADY, await relays.of_donation_pair(session, found.pair.id)
    if found.pair.state != DonationPairState.ASKED:
        return Answer.ALREADY, None
    if not found.still_open:
        return Answer.GONE, None
    _move(session, found.pair, DonationPairState.PROMISED, now)
    _set(session, found.offer, DonationStatus.PROMISED, now)
    _set(session, found.wish, DonationStatus.PROMISED, now)
    for other in await _pairs(session, offer_id=found.offer.id, states=PENDING):
        if other.id == found.pair.id:
            continue
        was_asked = other.state == DonationPairState.ASKED
        _move(session, other, DonationPairState.DECLINED, now)
        if was_asked:  # they are waiting for an answer: it has gone to someone else
            wish = await session.get(Donation, other.wish_id)
            if wish is not None:
                await _tell(
                    session, deployment, wish.user_id, DeliveryKind.DONATION_PROMISED, other.id, now
                )
    for other in await _pairs(session, wish_id=found.wish.id, states=PENDING):
        if other.id != found.pair.id:  # the wisher has what they looked for
            _move(session, other, DonationPairState.PASSED, now)
    relay = await relays.open_for_donation(
        session,
        found.pair,
        wisher_id=found.wish.user_id,
        giver_id=found.offer.user_id,
        closes_at=now + timedelta(days=RELAY_DAYS),
        now=now,
    )
    await _tell(
        session, deployment, found.wish.user_id, DeliveryKind.DONATION_PROMISED, found.pair.id, now
    )
    return Answer.DONE, relay


async def decline(
    session: AsyncSession, deployment: Deployment, found: Paired, giver: User, now: datetime
) -> Answer:
    """The giver does not give the item to this wisher, who is told."""
    if found.offer.user_id != giver.id:
        return Answer.INVALID
    if found.pair.state != DonationPairState.ASKED:
        return Answer.ALREADY
    _move(session, found.pair, DonationPairState.DECLINED, now)
    await _tell(
        session, deployment, found.wish.user_id, DeliveryKind.DONATION_PROMISED, found.pair.id, now
    )
    return Answer.DONE


async def _pairs(
    session: AsyncSession,
    *,
    offer_id: int | None = None,
    wish_id: int | None = None,
    states: tuple[DonationPairState, ...],
) -> list[DonationPair]:
    query = select(DonationPair).where(col(DonationPair.state).in_(states))
    if offer_id is not None:
        query = query.where(DonationPair.offer_id == offer_id)
    if wish_id is not None:
        query = query.where(DonationPair.wish_id == wish_id)
    return list((await session.exec(query.order_by(col(DonationPair.id)))).all())


# --- the owner and the agency ------------------------------------------------------------------


async def own(session: AsyncSession, user_id: int, donation_id: int | None) -> Donation | None:
    """The person's own donation, if it is one."""
    if donation_id is None:
        return None
    donation = await session.get(Donation, donation_id)
    return donation if donation is not None and donation.user_id == user_id else None


async def mine(session: AsyncSession, user_id: int, now: datetime) -> list[Donation]:
    """The person's offers and wishes still in play, the newest first."""
    rows = await session.exec(
        select(Donation)
        .where(Donation.user_id == user_id, col(Donation.status).in_(LIVE))
        .where(col(Donation.expires_at) > now)
        .order_by(col(Donation.created_at).desc(), col(Donation.id).desc())
    )
    return list(rows.all())


async def mark_given(session: AsyncSession, donation: Donation, now: datetime) -> bool:
    """The owner says the item was handed over (an offer) or received (a wish)."""
    if donation.status not in LIVE:
        return False
    await _close(session, donation, DonationStatus.GIVEN, now)
    promised = await _pairs(
        session,
        **_side_of(donation),
        states=(DonationPairState.PROMISED,),
    )
    for pair in promised:  # the other side of the handover has it too
        other_id = pair.wish_id if donation.side == DonationSide.OFFER else pair.offer_id
        other = await session.get(Donation, other_id)
        if other is not None and other.status == DonationStatus.PROMISED:
            _set(session, other, DonationStatus.GIVEN, now)
    return True


async def withdraw(session: AsyncSession, donation: Donation, now: datetime) -> bool:
    """The owner takes their offer or wish back; a promised counterpart is open again."""
    if donation.status not in LIVE:
        return False
    await _call_off(session, donation, DonationStatus.WITHDRAWN, now)
    return True


async def remove(
    session: AsyncSession,
    deployment: Deployment,
    donation: Donation,
    coordinator: User,
    now: datetime,
) -> bool:
    """A coordinator takes an offer or wish down (it breaks the rules, or it was sold)."""
    if donation.status not in LIVE:
        return False
    await _call_off(session, donation, DonationStatus.REMOVED, now)
    audit.record(
        session,
        actor=coordinator,
        via="chat",
        action="remove donation",
        subject=f"donation:{donation.id}",
        now=now,
        municipality=donation.municipality,
        district=donation.district,
        category=donation.category,
    )
    return True


def _side_of(donation: Donation) -> dict[str, int | None]:
    if donation.side == DonationSide.OFFER:
        return {"offer_id": donation.id}
    return {"wish_id": donation.id}


async def _close(
    session: AsyncSession, donation: Donation, status: DonationStatus, now: datetime
) -> None:
    """The donation leaves play: its open questions are answered no."""
    _set(session, donation, status, now)
    closed = (
        DonationPairState.DECLINED
        if donation.side == DonationSide.OFFER
        else DonationPairState.PASSED
    )
    for pair in await _pairs(session, **_side_of(donation), states=PENDING):
        _move(session, pair, closed, now)


async def _call_off(
    session: AsyncSession, donation: Donation, status: DonationStatus, now: datetime
) -> None:
    """Withdrawn or removed: a promise made is off, its conversation closes, and the other side
    is open again for others."""
    promised = await _pairs(session, **_side_of(donation), states=(DonationPairState.PROMISED,))
    await _close(session, donation, status, now)
    for pair in promised:
        other_id = pair.wish_id if donation.side == DonationSide.OFFER else pair.offer_id
        other = await session.get(Donation, other_id)
        if other is not None and other.status == DonationStatus.PROMISED:
            _set(session, other, DonationStatus.OPEN, now)
        await relays.close_for_donation(session, pair.id, now)


# --- what is offered ---------------------------------------------------------------------------


async def offered(
    session: AsyncSession, municipality: str, near: list[str], now: datetime
) -> list[Donation]:
    """The open offers of a municipality: those in `near` districts first, the newest first."""
    rows = await session.exec(
        select(Donation)
        .where(
            Donation.side == DonationSide.OFFER,
            Donation.status == DonationStatus.OPEN,
            Donation.municipality == municipality,
            col(Donation.expires_at) > now,
        )
        .order_by(col(Donation.created_at).desc(), col(Donation.id).desc())
    )
    found = list(rows.all())
    return sorted(found, key=lambda d: d.district not in near)  # stable: newest first within


async def home_districts(session: AsyncSession, user_id: int) -> list[str]:
    """Where the person is at home, as far as we know: the districts of their own items."""
    rows = await session.exec(
        select(Donation.district)
        .where(Donation.user_id == user_id)
        .order_by(col(Donation.id).desc())
    )
    return list(dict.fromkeys(rows.all()))


async def name_of(session: AsyncSession, user_id: int) -> str:
    """The person's first name, if they gave one anywhere; else empty."""
    return await relays.first_name_of(session, user_id)


# --- planning and privacy ------------------------------------------------------------------------


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """Open offers and wishes past their time expire; returns how many."""
    expired = await session.exec(
        update(Donation)
        .where(col(Donation.status) == DonationStatus.OPEN, col(Donation.expires_at) <= now)
        .values(status=DonationStatus.EXPIRED, updated_at=now)
        .returning(col(Donation.id))
    )
    ids = list(expired.scalars().all())
    if ids:
        pending = (
            select(DonationPair)
            .where(col(DonationPair.state).in_(PENDING))
            .where(col(DonationPair.offer_id).in_(ids) | col(DonationPair.wish_id).in_(ids))
        )
        for pair in (await session.exec(pending)).all():
            gone = DonationPairState.DECLINED if pair.offer_id in ids else DonationPairState.PASSED
            _move(session, pair, gone, now)
    return len(ids)


async def exported(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    """The person's own offers and wishes, for their data export."""
    rows = await session.exec(
        select(Donation).where(Donation.user_id == user_id).order_by(col(Donation.id))
    )
    return [
        {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in donation.model_dump().items()
        }
        for donation in rows.all()
    ]


async def forget(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The person erases their data: their items are withdrawn (a promised counterpart is open
    again) and what they wrote and the photo are blanked, before their key goes."""
    rows = await session.exec(select(Donation).where(Donation.user_id == user_id))
    for donation in rows.all():
        if donation.status in LIVE:
            await _call_off(session, donation, DonationStatus.WITHDRAWN, now)
        donation.what, donation.photo = "", None
        donation.updated_at = now
        session.add(donation)
