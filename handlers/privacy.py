"""The person's rights in the chat: see everything stored about them (/mydata) and erase it
(/delete). What statistics need (kinds of help, districts, dates, hours) stays, without anyone's
name, contact, address or words."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.flow import Ctx, End, Flow, Goto, Outcome, Prompt, Step
from handlers.i18n import _
from handlers.offers import send_back_to_matching
from handlers.types import Button, OutgoingFile
from storage.models import (
    Conversation,
    Delivery,
    HelpRequest,
    Interest,
    Match,
    Opportunity,
    Organisation,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
)
from storage.outbox import enqueue

ERASE = "privacy:erase"
KEEP = "privacy:keep"
PROFILE_SETS = (VolunteerCategory, VolunteerDistrict, VolunteerLanguage, VolunteerSlot)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(model: SQLModel) -> dict[str, Any]:
    return {key: _plain(value) for key, value in model.model_dump().items()}


async def export(session: AsyncSession, key: str) -> dict[str, Any]:
    """Everything stored about the person with this key (GDPR Art. 15 and 20)."""
    data: dict[str, Any] = {}
    conversation = await session.get(Conversation, key)
    if conversation is not None:
        data["conversation"] = _row(conversation)
    user = (await session.exec(select(User).where(User.key == key))).first()
    if user is None:
        return data
    data["user"] = _row(user)
    profile = (
        await session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    ).first()
    if profile is not None:
        data["volunteer_profile"] = _row(profile)
        for model in PROFILE_SETS:
            rows = await session.exec(select(model).where(col(model.profile_id) == profile.id))
            data[str(model.__tablename__)] = [_row(r) for r in rows.all()]
        matches = await session.exec(select(Match).where(Match.profile_id == profile.id))
        data["offers_received"] = [_row(m) for m in matches.all()]
        interests = await session.exec(select(Interest).where(Interest.profile_id == profile.id))
        data["interests"] = [_row(i) for i in interests.all()]
    requests = await session.exec(select(HelpRequest).where(HelpRequest.asker_id == user.id))
    data["help_requests"] = [_row(r) for r in requests.all()]
    organisations = (
        await session.exec(select(Organisation).where(Organisation.owner_id == user.id))
    ).all()
    data["organisations"] = [_row(o) for o in organisations]
    if organisations:
        ids = [o.id for o in organisations]
        posted = await session.exec(
            select(Opportunity).where(col(Opportunity.organisation_id).in_(ids))
        )
        data["opportunities"] = [_row(o) for o in posted.all()]
    deliveries = await session.exec(select(Delivery).where(Delivery.user_id == user.id))
    data["messages_planned_or_sent"] = [_row(d) for d in deliveries.all()]
    return data


async def my_data(ctx: Ctx) -> OutgoingFile:
    content = json.dumps(
        await export(ctx.session, ctx.conversation.key), ensure_ascii=False, indent=2
    )
    return OutgoingFile("my-data.json", content.encode("utf-8"), "application/json")


async def erase(session: AsyncSession, user: User, now: datetime) -> None:
    """Erase a person's personal data; tell those who counted on them; keep anonymous counts."""
    assert user.id is not None
    requests = (
        await session.exec(select(HelpRequest).where(HelpRequest.asker_id == user.id))
    ).all()
    for request in requests:
        if request.status in ("open", "matched"):
            accepted = (
                await session.exec(
                    select(Match, VolunteerProfile)
                    .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
                    .where(Match.request_id == request.id, Match.state == "accepted")
                )
            ).first()
            if accepted is not None:
                match, helper = accepted
                match.state = "cancelled"
                session.add(match)
                await enqueue(
                    session,
                    user_id=helper.user_id,
                    kind="request_withdrawn",
                    subject_id=match.id,
                    due_at=now,
                    now=now,
                )
            request.status = "cancelled"
        request.person_name = request.person_phone = request.address = None
        request.description = ""
        request.updated_at = now
        session.add(request)
    profile = (
        await session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    ).first()
    if profile is not None:
        accepted_matches = (
            await session.exec(
                select(Match, HelpRequest)
                .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
                .where(Match.profile_id == profile.id, Match.state == "accepted")
                .where(HelpRequest.status == "matched")
            )
        ).all()
        for match, request in accepted_matches:
            await send_back_to_matching(session, match, request, now)
        await session.exec(
            update(Match)
            .where(col(Match.profile_id) == profile.id, col(Match.state) == "offered")
            .values(state="withdrawn")
        )
        for model in PROFILE_SETS:
            await session.exec(delete(model).where(col(model.profile_id) == profile.id))
        await session.exec(delete(Interest).where(col(Interest.profile_id) == profile.id))
        profile.first_name, profile.note, profile.paused = "", None, True
        session.add(profile)
    await session.exec(delete(Organisation).where(col(Organisation.owner_id) == user.id))
    await session.exec(delete(Delivery).where(col(Delivery.user_id) == user.id))
    # The row stays for the anonymous counts, under a key that no longer names anyone.
    user.key = f"deleted:{uuid.uuid4().hex}"
    user.role = None
    user.consent_version = ""
    user.unreachable_at = now
    session.add(user)


def _ask_confirm(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "Do you want us to delete everything we store about you? Your open requests will be "
            "withdrawn and your volunteer profile erased. This cannot be undone."
        ),
        ((Button(ERASE, _("🗑 Yes, delete everything")), Button(KEEP, _("No, keep it"))),),
    )


async def _confirmed(ctx: Ctx, payload: str) -> Outcome:
    if payload == KEEP or ctx.user is None:
        return Goto("main", flow="menu", notes=(_("Nothing has been deleted."),))
    await erase(ctx.session, ctx.user, ctx.now)
    ctx.user = None
    return End(
        notes=(
            _(
                "Everything we stored about you has been deleted. Thank you for your time with us. "
                "If you want to come back, send /start."
            ),
        )
    )


FLOW = Flow(
    "privacy", start="confirm", steps={"confirm": Step(ask=_ask_confirm, on_choice=_confirmed)}
)
