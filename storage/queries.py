"""Small queries used by more than one part of the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import User


async def mark_unreachable(
    sessions: async_sessionmaker[AsyncSession], user_key: str, now: datetime
) -> None:
    """Remember that a person cannot be reached (they blocked the bot), so nothing more is pushed."""
    async with sessions() as session, session.begin():
        await session.exec(
            update(User)
            .where(User.key == user_key)  # type: ignore[arg-type]
            .values(unreachable_at=now)
        )
