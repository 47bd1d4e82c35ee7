"""Planning what to push, once per tick: close what has passed, erase what is kept too long, bring
back volunteers whose pause ended, start the offer rounds that are due, announce new opportunities,
report unconfirmed appointments, send the newsletters that are due, report documents out of date
and expire or pair donations. Each is a rule of the domain; planning
runs them in one transaction, in this order, and reports what they did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import documents, donations, newsletters
from exchange.announcements import announce_opportunities
from exchange.followthrough import alert_unconfirmed
from exchange.privacy import forget_unconsented, purge_finished
from exchange.requests import expire_passed
from exchange.rounds import plan_rounds
from exchange.vetting import remind_expiring
from exchange.volunteers import back_on_duty
from town.deployment import Deployment


@dataclass
class PlanReport:
    offers: int = 0
    exhausted: int = 0
    expired: int = 0
    rounds_started: int = 0
    announcements: int = 0
    # Dialogues of people who never consented, deleted after their time.
    forgotten: int = 0
    # Volunteers reminded that their police certificate runs out soon.
    certificates: int = 0
    # Appointments of tomorrow whose volunteer did not confirm, now in the agency's queue.
    unconfirmed: int = 0
    # Newsletter messages written to the outbox, documents reported out of date, donations
    # that expired or found each other.
    news: int = 0
    documents: int = 0
    donations: int = 0


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> PlanReport:
    """Everything the scheduler plans at `now`, written as rows in the caller's transaction."""
    expired = await expire_passed(session, deployment, now)
    await back_on_duty(session, now.astimezone(deployment.tz).date(), now)
    await purge_finished(session, deployment.agency.retention_days, now)
    forgotten = await forget_unconsented(session, deployment.agency.unconsented_hours, now)
    rounds = await plan_rounds(session, deployment, now)
    announcements = await announce_opportunities(session, deployment, now)
    certificates = await remind_expiring(session, deployment, now)
    unconfirmed = await alert_unconfirmed(session, deployment, now)
    news = await newsletters.plan(session, deployment, now)
    shelf = await documents.plan(session, deployment, now)
    given = await donations.plan(session, deployment, now)
    return PlanReport(
        offers=rounds.offers,
        exhausted=rounds.exhausted,
        expired=expired,
        rounds_started=rounds.rounds_started,
        announcements=announcements,
        forgotten=forgotten,
        certificates=certificates,
        unconfirmed=unconfirmed,
        news=news,
        documents=shelf,
        donations=given,
    )
