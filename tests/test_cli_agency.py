"""What a coordinator does in the chat, an operator does from the shell: `ehrenamt admin ...`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import App
from storage.models import (
    AuditEvent,
    Case,
    CaseStatus,
    HelpRequest,
    RequestStatus,
    User,
    VolunteerProfile,
)
from tests.chat import Chat, Inbox, onboard
from tests.conftest import FrozenClock
from tests.test_agency import nobody_takes, tutor
from tests.test_push import request_for_mother, volunteer_profile
from tests.test_staff import admin


async def test_the_queue_assigning_widening_and_closing_from_the_shell(
    app: App,
    chat: Callable[..., Chat],
    clock: FrozenClock,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika", slot="Fr. vormittags")
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    await nobody_takes(app, clock, inbox)

    async with app.sessions() as session:
        [case] = (await session.exec(select(Case))).all()
    number, request = str(case.id), str(case.subject_id)
    code, out = await admin(capsys, database_url, "queue")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "KIND", "STATUS", "PLACE", "SINCE", "SUBJECT"]
    assert row.split()[:4] == [number, "unmatched", "open", "bingen/buedesheim"]
    assert row.split()[-1] == request
    assert "Helga" not in out and "06721" not in out

    code, out = await admin(capsys, database_url, "widen", request)
    assert (code, out) == (0, f"Request {request} goes out again in the widest round.\n")
    code, out = await admin(capsys, database_url, "assign", request, "test:nobody")
    assert (code, out) == (1, "There is nobody with the key 'test:nobody'.\n")
    code, out = await admin(capsys, database_url, "assign", request, "test:erika")
    assert (code, out) == (0, f"Assigned request {request}; both sides are told.\n")
    code, out = await admin(capsys, database_url, "assign", request, "test:erika")
    assert (code, out) == (1, f"There is no open request {request}.\n")
    clock.now = max(clock.now, datetime.now(UTC)) + timedelta(seconds=1)  # the shell's clock
    await inbox.run()
    assert "Hauptstraße 5" in inbox.of(erika)[-1].text
    assert "🎉 Gute Nachricht: Erika hilft Helga." in inbox.of(sabine)[-1].text

    code, out = await admin(capsys, database_url, "close-case", number, "solved")
    assert (code, out) == (1, f"There is no open case {number}.\n")  # widening closed it
    code, out = await admin(capsys, database_url, "queue")
    assert out == "Nothing is waiting.\n"
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert request.status == RequestStatus.MATCHED
    assert actions == ["close", "assign"]


async def test_vetting_unblocking_positions_and_invitations_from_the_shell(
    app: App,
    chat: Callable[..., Chat],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await tutor(chat("jonas"), "Jonas")
    code, out = await admin(capsys, database_url, "vet", "test:jonas")
    assert (code, out) == (1, "Give --identity, --interview or --certificate.\n")
    code, out = await admin(
        capsys, database_url, "vet", "test:jonas", "--certificate", "2030-01-01"
    )
    assert (code, out) == (1, "a certificate cannot be issued in the future\n")
    code, out = await admin(
        capsys,
        database_url,
        "vet",
        "test:jonas",
        "--identity",
        "2026-11-23",
        "--certificate",
        "2026-10-01",
    )
    assert (code, out) == (0, "Vetted until 2031-10-01; they are told.\n")
    async with app.sessions() as session:
        profile = (await session.exec(select(VolunteerProfile))).one()
        [case] = (await session.exec(select(Case))).all()
    assert profile.verified and profile.identity_checked_on == date(2026, 11, 23)
    assert case.status == CaseStatus.CLOSED

    olga = await onboard(chat("olga"), "seeker")
    code, out = await admin(capsys, database_url, "unblock-user", "test:olga")
    assert out == "They are not blocked.\n"
    await admin(capsys, database_url, "block-user", "test:olga")
    assert "gesperrt" in await olga.send("Hallo")
    code, out = await admin(capsys, database_url, "unblock-user", "test:olga")
    assert (code, out) == (0, "Unblocked; they are told.\n")
    assert "gesperrt" not in await olga.send("Hallo")

    code, out = await admin(capsys, database_url, "approve-position", "999999")
    assert (code, out) == (1, "Opportunity 999999 does not wait for approval.\n")
    code, out = await admin(capsys, database_url, "invite", "sponsor", "bingen")
    assert (code, out) == (1, "A sponsor needs districts of the municipality.\n")
    code, out = await admin(capsys, database_url, "invite", "sponsor", "bingen", "kempten")
    assert code == 0 and out.startswith("Start code: inv_")
    start = out.splitlines()[0].removeprefix("Start code: ")
    karin = chat("karin", "en")
    await karin.send(f"/start {start}")
    await karin.press("English")
    answer = await karin.press("✅ I agree")
    assert "as sponsor for Kempten" in answer
    await karin.press("✅ Yes, I accept")
    code, out = await admin(capsys, database_url, "list-staff")
    assert out.splitlines()[1].split() == ["test:karin", "sponsor", "bingen", "kempten"]
    async with app.sessions() as session:
        olga_user = (await session.exec(select(User).where(User.key == "test:olga"))).one()
        actions = [
            (e.via, e.action)
            for e in (await session.exec(select(AuditEvent))).all()
            if e.subject == f"user:{olga_user.id}"
        ]
    assert actions == [("cli", "block"), ("cli", "unblock")]
    assert timedelta(hours=72) == timedelta(hours=app.deployment.agency.invitation_hours)
