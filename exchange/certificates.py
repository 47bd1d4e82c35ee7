"""The Ehrenamtsnachweis: a record of confirmed hours, kept so that its code can be checked.

What the document says (period, confirmed hours and helps per kind of help, trainings attended)
is stored under a random code; the volunteer's name is typed when the document is made and
printed on it only. Never the names of the people helped.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import recognition
from exchange.events import attended_learning
from storage.models import Certificate, HelpRequest, Match, MatchState

# Letters and digits that cannot be mistaken for one another when typed from paper.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


@dataclass(frozen=True)
class Facts:
    """What a certificate states."""

    code: str
    period_from: date
    period_to: date
    kinds: dict[str, tuple[float, int]]  # kind of help -> (confirmed hours, helps)
    trainings: int
    issued_at: datetime
    signed: bool = False  # issued and signed off by a coordinator

    @property
    def hours(self) -> float:
        return sum(hours for hours, _helps in self.kinds.values())


async def _confirmed_hours(
    session: AsyncSession, profile_id: int, start: date, end: date
) -> dict[str, tuple[float, int]]:
    confirmed = recognition.confirmed()
    rows = await session.exec(
        select(
            HelpRequest.category,
            func.coalesce(func.sum(case((confirmed, Match.hours), else_=0.0)), 0.0),
            func.sum(case((confirmed, 1), else_=0)),
        )
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .where(Match.profile_id == profile_id, Match.state == MatchState.DONE)
        .where(col(Match.answered_at) >= datetime.combine(start, time(0), tzinfo=UTC))
        .where(col(Match.answered_at) < datetime.combine(end, time(23, 59, 59), tzinfo=UTC))
        .group_by(col(HelpRequest.category))
        .order_by(col(HelpRequest.category))
    )
    return {
        category: (float(hours or 0.0), int(helps or 0))
        for category, hours, helps in rows.all()
        if helps
    }


async def issue(
    session: AsyncSession,
    *,
    user_id: int,
    profile_id: int,
    period_from: date,
    period_to: date,
    now: datetime,
    signed_by: int | None = None,
) -> Facts:
    """Count the confirmed hours of the period and keep them under a new code; `signed_by` is
    the coordinator who issues it and signs it off for the agency."""
    kinds = await _confirmed_hours(session, profile_id, period_from, period_to)
    trainings = await attended_learning(session, user_id, (period_from, period_to))
    code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        Certificate(
            code=code,
            user_id=user_id,
            period_from=period_from,
            period_to=period_to,
            kinds={kind: [hours, helps] for kind, (hours, helps) in kinds.items()},
            trainings=trainings,
            issued_at=now,
            signed_by=signed_by,
        )
    )
    await session.flush()
    return Facts(code, period_from, period_to, kinds, trainings, now, signed_by is not None)


async def verify(session: AsyncSession, code: str) -> Facts | None:
    """What the certificate with this code states, if one was issued."""
    cleaned = "".join(code.split()).upper().replace("-", "")
    found = await session.get(Certificate, cleaned) if cleaned else None
    if found is None:
        return None
    kinds = {kind: (float(values[0]), int(values[1])) for kind, values in found.kinds.items()}
    return Facts(
        found.code,
        found.period_from,
        found.period_to,
        kinds,
        found.trainings,
        found.issued_at,
        found.signed_by is not None,
    )
