"""Finding candidates in the database: the hard filters run as SQL over indexed tables, so only a
short list of volunteers per request is loaded and ranked in Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, false
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.rules import Need, Volunteer, needs_shared_language
from storage.models import (
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
)


async def candidate_ids(
    session: AsyncSession,
    need: Need,
    municipality: str,
    districts: Iterable[str],
    limit: int,
    commitments: Iterable[str] | None = None,
) -> list[int]:
    """Profiles that pass every hard filter for `need`, the least asked first, at most `limit`."""
    profile = VolunteerProfile
    query = (
        select(col(profile.id))
        .join(User, col(User.id) == col(profile.user_id))
        .where(col(profile.paused).is_(false()), col(User.unreachable_at).is_(None))
        .where(
            exists().where(
                col(VolunteerCategory.profile_id) == col(profile.id),
                col(VolunteerCategory.category) == need.category,
            )
        )
        .where(
            exists().where(
                col(VolunteerDistrict.profile_id) == col(profile.id),
                col(VolunteerDistrict.municipality) == municipality,
                col(VolunteerDistrict.district).in_(sorted(districts)),
            )
        )
        .order_by(col(profile.offers_received), col(profile.id))
        .limit(limit)
    )
    if need.slot is not None:
        weekday, part = need.slot
        query = query.where(
            exists().where(
                col(VolunteerSlot.profile_id) == col(profile.id),
                col(VolunteerSlot.weekday) == weekday,
                col(VolunteerSlot.part) == part,
            )
        )
    if needs_shared_language(need):
        query = query.where(
            exists().where(
                col(VolunteerLanguage.profile_id) == col(profile.id),
                col(VolunteerLanguage.language).in_(sorted(need.languages)),
            )
        )
    if need.adults_only:
        query = query.where(col(profile.age_group) == "adult")
    if need.needs_verification:
        query = query.where(col(profile.verified).is_(True))
    if commitments is not None:
        query = query.where(col(profile.commitment).in_(sorted(commitments)))
    return [pid for pid in (await session.exec(query)).all() if pid is not None]


async def _sets(
    session: AsyncSession, model: Any, ids: Sequence[int], *columns: Any
) -> dict[int, set[Any]]:
    """For each profile id, the set of values (one column) or tuples (several) in a child table."""
    found: dict[int, set[Any]] = defaultdict(set)
    query = select(col(model.profile_id), *columns).where(col(model.profile_id).in_(ids))
    for profile_id, *values in (await session.exec(query)).all():
        found[profile_id].add(values[0] if len(values) == 1 else tuple(values))
    return found


async def load_volunteers(session: AsyncSession, ids: Sequence[int]) -> list[Volunteer]:
    """The matching view of these profiles, with their categories, districts, times and languages."""
    if not ids:
        return []
    profiles = (
        await session.exec(
            select(VolunteerProfile, col(User.unreachable_at))
            .join(User, col(User.id) == col(VolunteerProfile.user_id))
            .where(col(VolunteerProfile.id).in_(ids))
        )
    ).all()
    categories = await _sets(session, VolunteerCategory, ids, col(VolunteerCategory.category))
    districts = await _sets(session, VolunteerDistrict, ids, col(VolunteerDistrict.district))
    slots = await _sets(
        session, VolunteerSlot, ids, col(VolunteerSlot.weekday), col(VolunteerSlot.part)
    )
    languages = await _sets(session, VolunteerLanguage, ids, col(VolunteerLanguage.language))
    volunteers = []
    for profile, unreachable_at in profiles:
        pid = profile.id
        assert pid is not None
        volunteers.append(
            Volunteer(
                profile_id=pid,
                categories=frozenset(categories[pid]),
                districts=frozenset(districts[pid]),
                slots=frozenset(slots[pid]),
                languages=frozenset(languages[pid]),
                minor=profile.age_group == "minor",
                verified=profile.verified,
                paused=profile.paused,
                reachable=unreachable_at is None,
                offers_received=profile.offers_received,
                offers_accepted=profile.offers_accepted,
                helps_done=profile.helps_done,
                last_offered_at=profile.last_offered_at,
            )
        )
    return volunteers
