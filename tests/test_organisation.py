"""Organisations register, a coordinator approves them, and they post and manage opportunities."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date
from pathlib import Path

import pytest
import tomli_w
from sqlmodel import col, select

from bot import cli
from bot.app import App, running_app
from bot.config import Settings
from handlers import opportunity, organisation
from storage.models import Opportunity, OpportunityStatus, Organisation, OrganisationStatus, User
from tests.chat import Chat, onboard
from tests.conftest import FrozenClock
from town.deployment import DEFAULT_DEPLOYMENT

StartApp = Callable[[], AbstractAsyncContextManager[App]]

# The test clock's today is Monday 23 November 2026.
TITLE = "Reading buddy for our library"
DESCRIPTION = "Read aloud to children on Saturday mornings in the parish library."


# --- helpers ----------------------------------------------------------------------------------


async def organisations(app: App) -> list[Organisation]:
    async with app.sessions() as session:
        query = select(Organisation).order_by(col(Organisation.id))
        return list((await session.exec(query)).all())


async def opportunities(app: App) -> list[Opportunity]:
    async with app.sessions() as session:
        query = select(Opportunity).order_by(col(Opportunity.id))
        return list((await session.exec(query)).all())


async def user_id(app: App, person: Chat) -> int:
    async with app.sessions() as session:
        user = (await session.exec(select(User).where(User.key == person.user_key))).one()
        assert user.id is not None
        return user.id


async def set_status(app: App, organisation_id: int, status: OrganisationStatus) -> None:
    async with app.sessions() as session, session.begin():
        stored = await session.get(Organisation, organisation_id)
        assert stored is not None
        stored.status = status
        session.add(stored)


async def register(person: Chat, name: str = "Leseclub Büdesheim") -> None:
    """Register an organisation in English from the main menu."""
    await person.press("🏛️ Our organisation")
    await person.send(name)
    await person.press("Club or association")
    await person.send("Anna Schmidt")
    await person.press("📨 Register")


async def approved(app: App, person: Chat, name: str = "Leseclub Büdesheim") -> int:
    """An English-speaking representative whose registered organisation is approved; its id."""
    await onboard(person, "organisation", "en")
    await register(person, name)
    [org] = [o for o in await organisations(app) if o.name == name]
    assert org.id is not None
    await cli.decide_organisation(app.settings, org.id, approve=True)
    return org.id


async def post(person: Chat, title: str = TITLE) -> None:
    """Post a weekly opportunity in English from the organisation's card."""
    await person.press("🏛️ Our organisation")
    await person.press("➕ New opportunity")
    await person.send(title)
    await person.press("☕ Visits and conversation")
    await person.send(DESCRIPTION)
    await person.press("Büdesheim")
    await person.press("➡️ Continue")
    await person.press("🔁 Every week")
    await person.press("2")
    await person.press("➡️ Continue")
    await person.press("➡️ Continue")
    await person.press("📢 Publish")


# --- registration -----------------------------------------------------------------------------


async def test_an_organisation_registers_in_english(app: App, chat: Callable[..., Chat]) -> None:
    ann = await onboard(chat("ann", language_code="en"), "organisation", "en")
    assert "🏛️ Our organisation" in ann.last.labels

    answer = await ann.press("🏛️ Our organisation")
    assert "What is the name of your organisation?" in answer
    assert ann.last.labels == ["✖ Cancel"]

    answer = await ann.send("M" * 101)
    assert "That is 101 characters; please write at most 100." in answer
    answer = await ann.send_attachment("sticker")
    assert "I can only read text messages and button presses here." in answer
    answer = await ann.send("1234")
    assert "Please type the name of your organisation in letters." in answer

    answer = await ann.send("  Leseclub\n  Büdesheim ")
    assert "What kind of organisation is it?" in answer
    assert ann.last.labels == [
        "Club or association",
        "Parish",
        "Care association",
        "School (music school etc.)",
        "Other",
        "« Back",
        "✖ Cancel",
    ]
    answer = await ann.press("Parish")
    # Bingen is the only municipality: it is set without asking.
    assert "Who is the contact person?" in answer
    assert "The coordinators see it" in answer
    answer = await ann.press("« Back")
    assert "What kind of organisation is it?" in answer
    assert "✓ Parish" in ann.last.labels
    await ann.send("parish")  # a typed answer naming a button counts as the button
    answer = await ann.send("Anna Schmidt")

    assert "🏛️ Your organisation" in answer
    assert "Name: Leseclub Büdesheim" in answer
    assert "Kind: Parish" in answer
    assert "Municipality: Bingen am Rhein" in answer
    assert "Contact person: Anna Schmidt" in answer
    assert ann.last.labels == ["📨 Register", "✏️ Change something", "✖ Cancel"]
    assert await organisations(app) == []

    await ann.press("✏️ Change something")
    assert ann.last.labels == ["Name", "Kind", "Contact person", "« Back", "✖ Cancel"]
    await ann.press("Kind")
    answer = await ann.press("Club or association")
    assert "Kind: Club or association" in answer
    assert "📨 Register" in ann.last.labels

    answer = await ann.press("📨 Register")
    assert "📨 Registered. A coordinator of Ehrenamtsbörse Bingen will check" in answer
    assert "As soon as it is approved, you can post opportunities" in answer
    assert "🏠 Main menu" in answer

    [org] = await organisations(app)
    assert org.owner_id == await user_id(app, ann)
    assert org.name == "Leseclub Büdesheim"
    assert org.kind == "club"
    assert org.municipality == "bingen"
    assert org.contact_name == "Anna Schmidt"
    assert org.status == OrganisationStatus.PENDING
    assert org.created_at == app.core.clock()
    assert org.approved_at is None

    answer = await ann.press("🏛️ Our organisation")
    assert "🏛️ Leseclub Büdesheim" in answer
    assert "waiting for approval by a coordinator" in answer
    assert ann.last.labels == ["🏠 Main menu"]
    answer = await ann.press("🏠 Main menu")
    assert "🏠 Main menu" in answer


async def test_a_registration_in_german_stores_the_organisation(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = await onboard(chat("karl", language_code="de"), "organisation", "de")
    await karl.press_payload(organisation.MENU_ORGANISATION)
    assert karl.last.labels == ["✖ Abbrechen"]
    await karl.send("Musikschule Bingen")
    assert len(karl.last.labels) == len(organisation.KINDS) + 2  # kinds, Back, Cancel
    await karl.press_payload("pick:school")
    await karl.send("Karl Meier")
    assert len(karl.last.labels) == 3  # register, change, cancel
    await karl.press_payload("register")
    assert karl.last.labels[-1] == "❓ Hilfe"  # back in the (German) main menu

    [org] = await organisations(app)
    assert (org.name, org.kind, org.municipality, org.contact_name, org.status) == (
        "Musikschule Bingen",
        "school",
        "bingen",
        "Karl Meier",
        OrganisationStatus.PENDING,
    )


async def test_one_organisation_per_representative(app: App, chat: Callable[..., Chat]) -> None:
    ann = await onboard(chat("ann", language_code="en"), "organisation", "en")
    await ann.press("🏛️ Our organisation")
    await ann.send("Leseclub Büdesheim")
    await ann.press("Club or association")
    await ann.send("Anna Schmidt")
    # Meanwhile an organisation of hers was stored, say from a second window of the chat.
    async with app.sessions() as session, session.begin():
        session.add(
            Organisation(
                owner_id=await user_id(app, ann),
                name="Leseclub",
                kind="club",
                municipality="bingen",
                contact_name="Anna Schmidt",
                created_at=app.core.clock(),
            )
        )

    answer = await ann.press("📨 Register")
    assert "You have already registered an organisation." in answer
    assert "🏛️ Leseclub" in answer
    assert [o.name for o in await organisations(app)] == ["Leseclub"]


async def test_several_municipalities_ask_where_the_organisation_is_active(
    tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    deployment = tomllib.loads(DEFAULT_DEPLOYMENT.read_text(encoding="utf-8"))
    deployment["municipalities"].append(
        {
            "id": "ingelheim",
            "name": "Ingelheim am Rhein",
            "districts": [
                {
                    "id": "frei-weinheim",
                    "name": "Frei-Weinheim",
                    "latitude": 49.98,
                    "longitude": 8.06,
                },
                {
                    "id": "gross-winternheim",
                    "name": "Groß-Winternheim",
                    "latitude": 49.93,
                    "longitude": 8.08,
                },
            ],
        }
    )
    path = tmp_path / "two-towns.toml"
    path.write_text(tomli_w.dumps(deployment), encoding="utf-8")
    settings = Settings(database_url=database_url, deployment_file=path, _env_file=None)  # type: ignore[call-arg]
    async with running_app(settings, clock=clock) as app:
        ann = Chat(app, "ann", "en")
        await ann.send("/start")
        await ann.press("English")
        await ann.press("✅ I agree")
        await ann.press("Bingen am Rhein")  # where she lives
        await ann.press("🏛️ I represent an organisation")
        await ann.press("🏛️ Our organisation")
        await ann.send("Turnverein Ingelheim")
        answer = await ann.press("Club or association")
        assert "In which municipality is your organisation active?" in answer
        await ann.press("Ingelheim am Rhein")
        answer = await ann.press("« Back")  # from the contact person to the municipality
        assert "✓ Ingelheim am Rhein" in ann.last.labels
        await ann.press("✓ Ingelheim am Rhein")
        answer = await ann.send("Anna Schmidt")
        assert "Municipality: Ingelheim am Rhein" in answer
        await ann.press("✏️ Change something")
        assert "Municipality" in ann.last.labels
        await ann.press("« Back")
        await ann.press("📨 Register")
        [org] = await organisations(app)
        assert org.municipality == "ingelheim"
        assert org.id is not None
        await cli.decide_organisation(settings, org.id, approve=True)

        # The districts offered are the organisation's, not those of where Ann lives.
        await ann.press("🏛️ Our organisation")
        await ann.press("➕ New opportunity")
        await ann.send("Trainer for the children's group")
        await ann.press("📚 Homework and tutoring")
        await ann.send(DESCRIPTION)
        assert ann.last.labels[:2] == ["Frei-Weinheim", "Groß-Winternheim"]


# --- approval -------------------------------------------------------------------------------


async def test_a_coordinator_approves_with_the_cli(
    app: App, chat: Callable[..., Chat], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = await onboard(chat("ann", language_code="en"), "organisation", "en")
    await register(ann)
    [org] = await organisations(app)
    capsys.readouterr()

    code = await asyncio.to_thread(
        cli.main, ["admin", "list-orgs", "--status", "pending", "--database", database_url]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "STATUS", "NAME", "KIND", "MUNICIPALITY"]
    assert out.splitlines()[1].split() == [
        str(org.id),
        OrganisationStatus.PENDING.value,
        "Leseclub",
        "Büdesheim",
        "club",
        "bingen",
    ]
    assert "Anna Schmidt" not in out  # no personal data

    code = await asyncio.to_thread(
        cli.main, ["admin", "approve-org", str(org.id), "--database", database_url]
    )
    assert code == 0
    assert f"Approved organisation {org.id}: Leseclub Büdesheim" in capsys.readouterr().out
    [org] = await organisations(app)
    assert org.status == OrganisationStatus.APPROVED
    assert org.approved_at is not None and org.approved_at.tzinfo is not None

    # Only pending registrations can be decided; the message says why.
    code = await asyncio.to_thread(
        cli.main, ["admin", "--database", database_url, "reject-org", str(org.id)]
    )
    assert code == 1
    assert "is approved; only pending organisations" in capsys.readouterr().err
    [org] = await organisations(app)
    assert org.status == OrganisationStatus.APPROVED

    answer = await ann.press("🏛️ Our organisation")
    assert "What would you like to do?" in answer
    assert ann.last.labels == ["➕ New opportunity", "📋 Our opportunities", "🏠 Main menu"]


async def test_the_admin_command_runs_as_a_process(
    app: App, chat: Callable[..., Chat], database_url: str, tmp_path: Path
) -> None:
    ann = await onboard(chat("ann", language_code="en"), "organisation", "en")
    await register(ann)
    bob = await onboard(chat("bob", language_code="en"), "organisation", "en")
    await register(bob, "Caritas Bingen")
    _first, second = await organisations(app)

    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)  # this checkout's code
        return subprocess.run(
            [sys.executable, "-m", "bot", "admin", *args, "--database", database_url],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    done = await asyncio.to_thread(admin, "reject-org", str(second.id))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"Rejected organisation {second.id}: Caritas Bingen\n"

    listed = await asyncio.to_thread(admin, "list-orgs", "--status", "pending")
    assert listed.returncode == 0
    assert "Leseclub Büdesheim" in listed.stdout and "Caritas" not in listed.stdout

    unknown = await asyncio.to_thread(admin, "approve-org", "999")
    assert unknown.returncode == 1
    assert unknown.stderr == "There is no organisation with id 999.\n"

    assert [o.status for o in await organisations(app)] == [
        OrganisationStatus.PENDING,
        OrganisationStatus.REJECTED,
    ]
    answer = await bob.press("🏛️ Our organisation")
    assert "could not approve this registration" in answer
    assert app.deployment.agency.contact in answer
    assert bob.last.labels == ["🏠 Main menu"]


# --- posting --------------------------------------------------------------------------------


async def test_a_pending_organisation_cannot_post(app: App, chat: Callable[..., Chat]) -> None:
    ann = await onboard(chat("ann", language_code="en"), "organisation", "en")
    await register(ann)
    await ann.press("🏛️ Our organisation")
    assert "➕ New opportunity" not in ann.last.labels
    answer = await ann.press_payload(organisation.NEW_OPPORTUNITY)
    assert "This button is no longer valid." in answer
    assert ann.last.labels == ["🏠 Main menu"]

    # Approved, then withdrawn while she is typing the title: the first step checks again.
    [org] = await organisations(app)
    assert org.id is not None
    await set_status(app, org.id, OrganisationStatus.APPROVED)
    await ann.press("🏠 Main menu")
    await ann.press("🏛️ Our organisation")
    answer = await ann.press("➕ New opportunity")
    assert "What do you need volunteers for?" in answer
    await set_status(app, org.id, OrganisationStatus.PENDING)
    answer = await ann.send(TITLE)
    assert "still waiting for approval by a coordinator" in answer
    assert ann.last.labels == ["🏠 Main menu", "✖ Cancel"]
    assert await opportunities(app) == []
    answer = await ann.press("🏠 Main menu")
    assert "🏠 Main menu" in answer


async def test_an_approved_organisation_posts_an_opportunity(
    app: App, chat: Callable[..., Chat]
) -> None:
    ann = Chat(app, "ann", "en")
    org_id = await approved(app, ann)
    await ann.press("🏛️ Our organisation")
    answer = await ann.press("➕ New opportunity")
    assert "What do you need volunteers for?" in answer

    answer = await ann.send("R" * 81)
    assert "That is 81 characters; please write at most 80." in answer
    answer = await ann.send_attachment("sticker")
    assert "I can only read text messages" in answer
    answer = await ann.send(TITLE)
    assert "What kind of help is it?" in answer
    await ann.press("📚 Homework and tutoring")
    answer = await ann.send("Read")
    assert "Please describe in a sentence or two" in answer
    answer = await ann.send("D" * 501)
    assert "That is 501 characters; please write at most 500." in answer
    answer = await ann.send(DESCRIPTION)
    assert "In which districts?" in answer

    answer = await ann.press("➡️ Continue")
    assert "Please tick at least one district." in answer
    await ann.press("Büdesheim")
    await ann.send("Kempten")  # a district typed by name
    assert {"✓ Büdesheim", "✓ Kempten"} <= set(ann.last.labels)
    answer = await ann.press("➡️ Continue")
    assert "When are volunteers needed?" in answer
    assert ann.last.labels[:4] == ["📅 On one day", "🔁 Every week", "🗓 Every month", "🤷 Flexible"]

    answer = await ann.press("📅 On one day")
    assert "On which day?" in answer
    assert len(ann.last.labels) == 14 + 2  # two weeks of days, Back, Cancel
    answer = await ann.send("20.11.2026")
    assert "That day has passed. Please choose a date from today on." in answer
    answer = await ann.send("01.01.2028")
    assert "Please choose a date within the next twelve months." in answer
    answer = await ann.send("next week")
    assert "Please type a date like 24.12. or choose a day below." in answer
    answer = await ann.send("5.12.")
    assert "How many volunteers do you need?" in answer
    assert ann.last.labels == ["1", "2", "3", "5", "10", "« Back", "✖ Cancel"]

    for bad, error in (
        ("0", "Please choose a number from 1 to 99."),
        ("500", "Please choose a number from 1 to 99."),
        ("many", "Please type the number in digits"),
    ):
        answer = await ann.send(bad)
        assert error in answer
        assert "How many volunteers do you need?" in answer
    answer = await ann.send_attachment("sticker")
    assert "I can only read text messages" in answer
    answer = await ann.send("4")
    assert "What must volunteers bring?" in answer
    await ann.press("Police clearance certificate")
    await ann.press("Minimum age 18")
    await ann.press("➡️ Continue")
    answer = await ann.press("➡️ Continue")  # no language needed: German is enough

    assert f"📢 {TITLE}" in answer
    assert "Help: 📚 Homework and tutoring" in answer
    assert "Districts: Büdesheim, Kempten" in answer
    assert "When: Saturday, 5 December" in answer
    assert "Volunteers needed: 4" in answer
    assert "Requirements: Police clearance certificate, Minimum age 18" in answer
    assert "Languages: German is enough" in answer
    assert f"Description: {DESCRIPTION}" in answer
    assert ann.last.labels == ["📢 Publish", "✏️ Change something", "✖ Cancel"]

    # Change the date to a weekly schedule, look at the number without changing it, then publish.
    await ann.press("✏️ Change something")
    await ann.press("When")
    assert "✓ 📅 On one day" in ann.last.labels
    answer = await ann.press("🔁 Every week")
    assert "When: regularly, every week" in answer
    await ann.press("✏️ Change something")
    await ann.press("Volunteers needed")
    assert "✓ 4" not in ann.last.labels  # 4 was typed; no button for it
    answer = await ann.press("« Back")
    assert "Volunteers needed: 4" in answer
    await ann.press("✏️ Change something")
    await ann.press("Languages")
    await ann.press("English")
    answer = await ann.press("➡️ Continue")
    assert "Languages: English" in answer
    assert await opportunities(app) == []

    # Homework help with a police certificate: it waits for a coordinator's approval.
    answer = await ann.press("📢 Publish")
    assert "A coordinator checks it first. We will write to you when it is open." in answer
    assert "🏛️ Leseclub Büdesheim" in answer  # back on the organisation's card

    [posted] = await opportunities(app)
    assert posted.organisation_id == org_id
    assert posted.title == TITLE
    assert posted.category == "tutoring"
    assert posted.description == DESCRIPTION
    assert posted.districts == ["buedesheim", "kempten"]
    assert posted.day is None
    assert posted.schedule == "weekly"
    assert posted.volunteers_needed == 4
    assert posted.requirements == ["police_clearance", "adults"]
    assert posted.languages == ["en"]
    assert posted.status == OpportunityStatus.PENDING
    assert posted.created_at == posted.updated_at == app.core.clock()

    # A second one, on one day, cancelled before publishing: nothing is stored.
    await ann.press("➕ New opportunity")
    await ann.send("Christmas market stall")
    answer = await ann.press("✖ Cancel")
    assert "Cancelled." in answer
    assert len(await opportunities(app)) == 1


async def test_a_one_off_opportunity_keeps_its_date(app: App, chat: Callable[..., Chat]) -> None:
    ann = Chat(app, "ann", "en")
    await approved(app, ann)
    await ann.press("🏛️ Our organisation")
    await ann.press("➕ New opportunity")
    await ann.send("Christmas market stall")
    await ann.press("☕ Visits and conversation")
    await ann.send("Serve mulled wine and talk with guests at our stall.")
    await ann.press("Sponsheim")
    await ann.press("➡️ Continue")
    answer = await ann.send("12.12.")  # typed on the first question about the time
    assert "How many volunteers do you need?" in answer
    await ann.press("10")
    await ann.press("➡️ Continue")
    await ann.press("➡️ Continue")
    answer = await ann.press("📢 Publish")
    [posted] = await opportunities(app)
    assert (posted.day, posted.schedule, posted.volunteers_needed) == (date(2026, 12, 12), None, 10)


async def test_posting_in_german_stores_the_opportunity(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = await onboard(chat("karl", language_code="de"), "organisation", "de")
    await karl.press_payload(organisation.MENU_ORGANISATION)
    await karl.send("Musikschule Bingen")
    await karl.press_payload("pick:school")
    await karl.send("Karl Meier")
    await karl.press_payload("register")
    [org] = await organisations(app)
    assert org.id is not None
    await cli.decide_organisation(app.settings, org.id, approve=True)

    await karl.press_payload(organisation.MENU_ORGANISATION)
    assert len(karl.last.labels) == 3  # new, list, main menu
    await karl.press_payload(organisation.NEW_OPPORTUNITY)
    await karl.send("Notenwart für das Orchester")
    assert len(karl.last.labels) == len(app.deployment.categories) + 2
    await karl.press_payload("pick:paperwork")
    await karl.send("Noten sortieren und für die Proben bereitlegen.")
    districts = len(app.deployment.municipalities[0].districts)
    assert len(karl.last.labels) == districts + 3  # districts, Continue, Back, Cancel
    await karl.press_payload("pick:innenstadt")
    await karl.press_payload("continue")
    assert len(karl.last.labels) == 4 + 2
    await karl.press_payload("pick:monthly")
    await karl.send("3")
    assert len(karl.last.labels) == len(opportunity.REQUIREMENTS) + 3
    await karl.press_payload("continue")
    await karl.press_payload("pick:uk")
    await karl.press_payload("continue")
    assert len(karl.last.labels) == 3  # publish, change, cancel
    await karl.press_payload("publish")

    [posted] = await opportunities(app)
    assert (posted.organisation_id, posted.category, posted.districts) == (
        org.id,
        "paperwork",
        ["innenstadt"],
    )
    assert (posted.day, posted.schedule, posted.volunteers_needed) == (None, "monthly", 3)
    assert (posted.requirements, posted.languages, posted.status) == (
        [],
        ["uk"],
        OpportunityStatus.OPEN,
    )


# --- managing -------------------------------------------------------------------------------


async def test_pause_reopen_and_close_from_the_list(app: App, chat: Callable[..., Chat]) -> None:
    ann = Chat(app, "ann", "en")
    await approved(app, ann)
    await ann.press("🏛️ Our organisation")
    answer = await ann.press("📋 Our opportunities")
    assert "has not posted any opportunities yet" in answer
    answer = await ann.press("🏛️ Our organisation")
    assert "What would you like to do?" in answer
    await ann.press("🏠 Main menu")
    await post(ann)
    await ann.press("📋 Our opportunities")
    assert ann.last.labels == [
        f"{TITLE} (🟢 open)",
        "➕ New opportunity",
        "🏛️ Our organisation",
        "🏠 Main menu",
    ]

    answer = await ann.press(f"{TITLE} (🟢 open)")
    assert f"📢 {TITLE}" in answer
    assert "Status: 🟢 open" in answer
    assert ann.last.labels == ["⏸ Pause", "✔️ Close", "« Back", "✖ Cancel"]

    answer = await ann.press("⏸ Pause")
    assert "⏸ Paused." in answer
    assert "Status: ⏸ paused" in answer
    [stored] = await opportunities(app)
    assert stored.status == OpportunityStatus.PAUSED
    assert ann.last.labels[:2] == ["▶️ Reopen", "✔️ Close"]

    answer = await ann.press("▶️ Reopen")
    assert "▶️ Reopened." in answer
    [stored] = await opportunities(app)
    assert stored.status == OpportunityStatus.OPEN

    answer = await ann.press("✔️ Close")
    assert f"Do you really want to close “{TITLE}”?" in answer
    await ann.press("No, keep it")
    [stored] = await opportunities(app)
    assert stored.status == OpportunityStatus.OPEN
    await ann.press("✔️ Close")
    answer = await ann.press("✔️ Yes, close it")
    assert "✔️ Closed." in answer
    assert ann.last.labels[0] == f"{TITLE} (✔️ closed)"
    [stored] = await opportunities(app)
    assert stored.status == OpportunityStatus.CLOSED

    await ann.press(f"{TITLE} (✔️ closed)")
    assert ann.last.labels == ["▶️ Reopen", "« Back", "✖ Cancel"]
    answer = await ann.press("« Back")
    assert "📋 Opportunities of Leseclub Büdesheim" in answer


async def test_the_list_in_german_shows_at_most_twenty(app: App, chat: Callable[..., Chat]) -> None:
    karl = await onboard(chat("karl", language_code="de"), "organisation", "de")
    await karl.press_payload(organisation.MENU_ORGANISATION)
    await karl.send("Musikschule Bingen")
    await karl.press_payload("pick:school")
    await karl.send("Karl Meier")
    await karl.press_payload("register")
    [org] = await organisations(app)
    assert org.id is not None
    await cli.decide_organisation(app.settings, org.id, approve=True)
    now = app.core.clock()
    async with app.sessions() as session, session.begin():
        for i in range(25):
            session.add(
                Opportunity(
                    organisation_id=org.id,
                    title=f"Aufgabe {i}",
                    category="tutoring",
                    description="Etwas Sinnvolles tun.",
                    districts=["innenstadt"],
                    schedule="flexible",
                    volunteers_needed=1,
                    created_at=now,
                    updated_at=now,
                )
            )

    await karl.press_payload(organisation.MENU_ORGANISATION)
    await karl.press_payload(organisation.OUR_OPPORTUNITIES)
    payloads = [p for row in karl.last.buttons for _label, p in row]
    assert len(payloads) == 20 + 3  # the 20 newest, new, organisation, main menu
    newest = max(o.id for o in await opportunities(app) if o.id is not None)
    assert payloads[0] == f"opp:{newest}"
    await karl.press_payload(f"opp:{newest}")
    await karl.press_payload("pause")
    await karl.press_payload("close")
    await karl.press_payload("close:yes")
    stored = {o.id: o.status for o in await opportunities(app)}
    assert stored[newest] == OpportunityStatus.CLOSED
    assert list(stored.values()).count(OpportunityStatus.OPEN) == 24


async def test_another_organisations_opportunity_cannot_be_forged(
    app: App, chat: Callable[..., Chat]
) -> None:
    ann = Chat(app, "ann", "en")
    await approved(app, ann)
    await post(ann)
    [theirs] = await opportunities(app)

    bob = Chat(app, "bob", "en")
    await approved(app, bob, "Caritas Bingen")
    await bob.press("🏛️ Our organisation")
    await bob.press("📋 Our opportunities")
    answer = await bob.press_payload(f"opp:{theirs.id}")
    assert "This button is no longer valid." in answer
    assert "Your organisation has not posted any opportunities yet." in answer
    for forged in ("pause", "close", "close:yes"):
        answer = await bob.press_payload(forged)
        assert "This button is no longer valid." in answer

    [unchanged] = await opportunities(app)
    assert unchanged.status == OpportunityStatus.OPEN
    assert unchanged.updated_at == theirs.updated_at


# --- restarts -------------------------------------------------------------------------------


async def test_a_restart_in_the_middle_resumes_at_the_same_step(start_app: StartApp) -> None:
    async with start_app() as app:
        ann = await onboard(Chat(app, "ann", "en"), "organisation", "en")
        await ann.press("🏛️ Our organisation")
        await ann.send("Leseclub Büdesheim")
        assert "What kind of organisation is it?" in ann.last.text

    async with start_app() as app:
        ann = Chat(app, "ann", "en")
        answer = await ann.send("Parish")  # the question asked before the restart
        assert "Who is the contact person?" in answer
        await ann.send("Anna Schmidt")
        await ann.press("📨 Register")
        [org] = await organisations(app)
        assert org.id is not None
        await cli.decide_organisation(app.settings, org.id, approve=True)
        await ann.press("🏛️ Our organisation")
        await ann.press("➕ New opportunity")
        await ann.send(TITLE)
        await ann.press("📚 Homework and tutoring")
        await ann.send(DESCRIPTION)
        await ann.press("Büdesheim")
        await ann.press("➡️ Continue")
        await ann.press("🤷 Flexible")
        assert "How many volunteers do you need?" in ann.last.text

    async with start_app() as app:
        ann = Chat(app, "ann", "en")
        answer = await ann.send("7")
        assert "What must volunteers bring?" in answer
        await ann.send("/cancel")
        assert await opportunities(app) == []
