"""People: registering with consent, their language, role and municipality, and reachability."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Role, User


async def by_key(session: AsyncSession, key: str) -> User | None:
    return (await session.exec(select(User).where(User.key == key))).first()


def register(
    session: AsyncSession,
    *,
    key: str,
    language: str,
    municipality: str | None,
    consent_version: str,
    now: datetime,
) -> User:
    """A person agreed to the privacy notice: only now is anything about them stored."""
    user = User(
        key=key,
        language=language,
        municipality=municipality,
        consent_version=consent_version,
        consent_at=now,
        created_at=now,
    )
    session.add(user)
    return user


def is_blocked(user: User | None) -> bool:
    """Blocked by a coordinator: the person keeps only their rights to see and erase their data."""
    return user is not None and user.blocked_at is not None


def needs_consent(user: User | None, privacy_version: str) -> bool:
    """Whether a registered person has yet to agree to the current privacy notice."""
    return user is not None and user.consent_version != privacy_version


def renew_consent(session: AsyncSession, user: User, version: str, now: datetime) -> None:
    user.consent_version, user.consent_at = version, now
    session.add(user)


def set_language(session: AsyncSession, user: User, language: str) -> None:
    user.language = language
    session.add(user)


def set_municipality(session: AsyncSession, user: User, municipality: str) -> None:
    user.municipality = municipality
    session.add(user)


def set_quiet_hours(session: AsyncSession, user: User, quiet_from: time, quiet_until: time) -> None:
    """No pushes between these local times (urgent same-day requests aside, if they chose so)."""
    user.quiet_from, user.quiet_until = quiet_from, quiet_until
    session.add(user)


def set_role(session: AsyncSession, user: User, role: Role) -> None:
    user.role = role
    session.add(user)


def wrote_to_us(session: AsyncSession, user: User) -> None:
    """Someone who wrote can be reached again, even if the platform once said otherwise."""
    if user.unreachable_at is not None:
        user.unreachable_at = None
        session.add(user)


async def mark_unreachable(session: AsyncSession, key: str, now: datetime) -> None:
    """The platform reports that the person blocked the bot: nothing more is pushed to them."""
    await session.exec(update(User).where(col(User.key) == key).values(unreachable_at=now))
