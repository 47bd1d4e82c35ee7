"""(being built)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from town.deployment import Deployment


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """What planning does for this part at `now`; returns how many rows it changed."""
    return 0
