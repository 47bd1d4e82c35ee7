"""Coordinators and district sponsors: granted and taken by an operator, scoped to their
municipality or districts, alerted when nobody can help, and every grant in the audit record."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import cli
from bot.app import App
from exchange import staff
from storage.models import AuditEvent, HelpRequest, StaffRole, User
from tests.chat import Chat, Inbox, onboard
from tests.conftest import FrozenClock
from tests.test_push import request_for_mother


async def admin(
    capsys: pytest.CaptureFixture[str], database_url: str, *args: str
) -> tuple[int, str]:
    code = await asyncio.to_thread(cli.main, ["admin", *args, "--database", database_url])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def person(app: App, key: str) -> User:
    async with app.sessions() as session:
        return (await session.exec(select(User).where(User.key == key))).one()


async def test_a_coordinator_granted_by_an_operator_is_alerted_when_nobody_can_help(
    app: App,
    chat: Callable[..., Chat],
    clock: FrozenClock,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    koordination = await onboard(chat("koordination"), "volunteer")
    code, out = await admin(
        capsys, database_url, "grant-coordinator", "test:koordination", "bingen"
    )
    assert (code, out) == (0, "Granted: coordinator of bingen.\n")
    code, out = await admin(
        capsys, database_url, "grant-coordinator", "test:koordination", "bingen"
    )
    assert (code, out) == (0, "They hold that role already.\n")

    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    for _ in range(6):  # nobody volunteers: the rounds widen, then give up
        await inbox.run()
        clock.advance(timedelta(hours=25))
    async with app.sessions() as session:
        assert (await session.exec(select(HelpRequest))).one().exhausted
    [sorry] = [shown for shown in inbox.of(sabine) if "Bisher konnte niemand" in shown.text]
    assert "Die Koordination von Ehrenamtsbörse Bingen weiß davon" in sorry.text
    [alert] = inbox.of(koordination)
    assert alert.text.startswith("🗂 Niemand hat eine Anfrage übernommen: 🛒 Einkaufen in Büdesheim")
    assert alert.labels == ["📂 Öffnen"]  # the card, in the agency's queue
    assert "Helga" not in alert.text  # the alert names no one

    code, out = await admin(capsys, database_url, "list-staff")
    assert out.splitlines()[1].split() == ["test:koordination", "coordinator", "bingen", "(all)"]
    code, out = await admin(capsys, database_url, "audit")
    user = await person(app, "test:koordination")
    assert out.splitlines()[1].split()[1:4] == ["cli", "grant", "coordinator"]
    assert f"user:{user.id}" in out.splitlines()[1]
    assert "test:koordination" not in out  # the record names people by id only


async def test_without_a_coordinator_the_asker_is_sent_to_the_agency_not_promised_a_call(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    for _ in range(6):
        await inbox.run()
        clock.advance(timedelta(hours=25))
    [sorry] = [shown for shown in inbox.of(sabine) if "Bisher konnte niemand" in shown.text]
    assert "Koordination" not in sorry.text
    assert (
        f"Bitte wenden Sie sich direkt an Ehrenamtsbörse Bingen: {app.deployment.agency.contact}."
        in sorry.text
    )


async def test_a_sponsor_acts_on_their_districts_only_and_loses_the_role_when_revoked(
    app: App, chat: Callable[..., Chat], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await onboard(chat("pate"), "volunteer")
    code, out = await admin(
        capsys, database_url, "grant-sponsor", "test:pate", "bingen", "buedesheim", "kempten"
    )
    assert (code, out) == (0, "Granted: sponsor of buedesheim, kempten.\n")
    pate = await person(app, "test:pate")
    async with app.sessions() as session:
        scope = await staff.scope_of(session, app.deployment, pate)
    assert scope and not scope.coordinator
    assert scope.covers("bingen", "buedesheim") and scope.covers("bingen", "kempten")
    assert not scope.covers("bingen", "gaulsheim")
    assert not scope.covers("bingen")  # the municipality as a whole is the coordinators'

    code, out = await admin(capsys, database_url, "grant-sponsor", "test:pate", "bingen", "mainz")
    assert code == 1 and "Not granted: bingen has no district 'mainz'." in out
    code, out = await admin(capsys, database_url, "grant-coordinator", "test:pate", "ingelheim")
    assert code == 1 and "no municipality 'ingelheim'" in out
    code, out = await admin(
        capsys, database_url, "grant-sponsor", "test:nobody", "bingen", "kempten"
    )
    assert code == 1 and "There is nobody with the key test:nobody." in out

    code, out = await admin(capsys, database_url, "revoke-staff", "test:pate")
    assert (code, out) == (0, "Took 2 roles.\n")
    async with app.sessions() as session:
        assert not await staff.scope_of(session, app.deployment, pate)
        actions = [e.action for e in (await session.exec(select(AuditEvent))).all()]
    assert actions == ["grant sponsor", "revoke staff"]  # refused grants change nothing


async def test_the_deployment_files_coordinators_count_without_a_grant(
    app: App, chat: Callable[..., Chat]
) -> None:
    await onboard(chat("seed"), "volunteer")
    seeded = app.deployment.model_copy(
        update={
            "municipalities": tuple(
                m.model_copy(update={"coordinators": ("test:seed",)})
                for m in app.deployment.municipalities
            )
        }
    )
    seed = await person(app, "test:seed")
    async with app.sessions() as session:
        assert (await staff.scope_of(session, seeded, seed)).covers("bingen")
        assert not await staff.scope_of(session, app.deployment, seed)
        assert await staff.coordinators_of(session, seeded, "bingen") == [seed.id]


async def test_a_coordinator_who_erases_their_data_is_no_coordinator_any_more(
    app: App, chat: Callable[..., Chat], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    anna = await onboard(chat("anna"), "volunteer")
    await admin(capsys, database_url, "grant-coordinator", "test:anna", "bingen")
    await anna.send("/delete")
    await anna.press(anna.last.labels[0])  # yes, delete everything
    async with app.sessions() as session:
        assert (await session.exec(select(StaffRole))).all() == []
