"""Volunteer profiles: what someone offers, where, when and in which languages; pausing; deleting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Rhythm,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
)
from storage.sealing import sealer

PROFILE_SETS = (VolunteerCategory, VolunteerDistrict, VolunteerLanguage, VolunteerSlot)


@dataclass(frozen=True)
class ProfileValues:
    """Everything a volunteer says about themself; slots are (weekday, part of day)."""

    first_name: str
    age_group: str
    categories: Sequence[str]
    districts: Sequence[str]
    slots: Sequence[tuple[int, str]]
    languages: Sequence[str]
    commitment: str
    rhythm: Rhythm  # how often offers come while not paused
    paused: bool
    note: str | None


async def profile_of(session: AsyncSession, user_id: int | None) -> VolunteerProfile | None:
    query = select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
    return (await session.exec(query)).first()


async def values_of(session: AsyncSession, profile: VolunteerProfile) -> ProfileValues:
    pid = profile.id

    async def values(column: Any, model: Any) -> list[Any]:
        return list((await session.exec(select(column).where(model.profile_id == pid))).all())

    slots = (await session.exec(select(VolunteerSlot).where(VolunteerSlot.profile_id == pid))).all()
    return ProfileValues(
        first_name=profile.first_name,
        age_group=profile.age_group,
        categories=await values(VolunteerCategory.category, VolunteerCategory),
        districts=await values(VolunteerDistrict.district, VolunteerDistrict),
        slots=[(s.weekday, s.part) for s in slots],
        languages=await values(VolunteerLanguage.language, VolunteerLanguage),
        commitment=profile.commitment,
        rhythm=profile.rhythm,
        paused=profile.paused,
        note=profile.note,
    )


async def languages_of(session: AsyncSession, profile_id: int | None) -> list[str]:
    query = select(VolunteerLanguage.language).where(VolunteerLanguage.profile_id == profile_id)
    return sorted((await session.exec(query)).all())


async def save_profile(
    session: AsyncSession,
    user: User,
    municipality: str,
    values: ProfileValues,
    now: datetime,
) -> VolunteerProfile:
    """Create or update the volunteer's profile and its categories, districts, languages, times.
    The first name and the note are sealed with the volunteer's key."""
    assert user.id is not None
    seal = await sealer(session, user.key)
    columns = _columns(values, now) | {
        "first_name": seal(values.first_name) or "",
        "note": seal(values.note),
    }
    profile = await profile_of(session, user.id)
    if profile is None:
        profile = VolunteerProfile(user_id=user.id, created_at=now, **columns)
    else:
        for name, value in columns.items():
            setattr(profile, name, value)
    session.add(profile)
    await session.flush()
    pid = profile.id
    assert pid is not None
    for model in PROFILE_SETS:
        await session.exec(delete(model).where(col(model.profile_id) == pid))
    session.add_all([VolunteerCategory(profile_id=pid, category=c) for c in values.categories])
    session.add_all(
        [
            VolunteerDistrict(profile_id=pid, municipality=municipality, district=d)
            for d in values.districts
        ]
    )
    session.add_all([VolunteerLanguage(profile_id=pid, language=c) for c in values.languages])
    session.add_all(
        [VolunteerSlot(profile_id=pid, weekday=day, part=part) for day, part in values.slots]
    )
    return profile


def _columns(values: ProfileValues, now: datetime) -> dict[str, Any]:
    return {
        "age_group": values.age_group,
        "commitment": values.commitment,
        "rhythm": values.rhythm,
        "paused": values.paused,
        "updated_at": now,
    }


def set_paused(
    session: AsyncSession,
    profile: VolunteerProfile,
    paused: bool,
    now: datetime,
    *,
    until: date | None = None,
) -> None:
    """Pause offers (until a day, when offers come again by themselves), or resume them."""
    profile.paused, profile.updated_at = paused, now
    profile.paused_until = until if paused else None
    session.add(profile)


def set_daily_limit(session: AsyncSession, profile: VolunteerProfile, limit: int) -> None:
    """At most this many helps a day: more are neither offered nor accepted."""
    profile.daily_limit = max(1, limit)
    session.add(profile)


def set_crisis_calls(session: AsyncSession, profile: VolunteerProfile, on: bool) -> None:
    """Whether calls for helpers in a crisis reach the volunteer."""
    profile.crisis_calls = on
    session.add(profile)


async def back_on_duty(session: AsyncSession, today: date, now: datetime) -> int:
    """Volunteers whose pause ends today get offers again."""
    returning = await session.exec(
        update(VolunteerProfile)
        .where(
            col(VolunteerProfile.paused).is_(True),
            col(VolunteerProfile.paused_until).is_not(None),
            col(VolunteerProfile.paused_until) <= today,
        )
        .values(paused=False, paused_until=None, updated_at=now)
    )
    return int(returning.rowcount or 0)


async def delete_profile(session: AsyncSession, profile: VolunteerProfile) -> None:
    await session.delete(profile)
