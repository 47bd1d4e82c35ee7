"""The table of dialogues is checked: where a step leads is declared and exists, a step that leads
elsewhere is refused, and a step run twice by a group commit leaves the same state as once."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import App
from engine import core
from engine.core import DialogueCore
from engine.i18n import Raw, _
from engine.navigation import UndeclaredTarget
from engine.steps import Ctx, Dialogues, Entrances, Flow, Goto, Outcome, Prompt, Step, Target
from engine.types import Button, Incoming
from engine.widgets import summary
from handlers import targets
from handlers.dialogues import DIALOGUES
from storage.sealing import keyring_of
from tests.chat import Chat, onboard

StartApp = Callable[[], AbstractAsyncContextManager[App]]


def ask(ctx: Ctx) -> Prompt:
    return Prompt(Raw("?"))


def choose(ctx: Ctx) -> Prompt:
    return Prompt(Raw("?"), ((Button("go", Raw("Go")),),))


def flow(name: str, **steps: Step) -> Flow:
    return Flow(name, start=next(iter(steps)), steps=steps)


HOME = Target("home", "main")
ENTRANCES = Entrances(welcome=HOME, consent=HOME, home=HOME, language=HOME, erase=HOME)


def test_every_entry_point_of_the_shipped_dialogues_exists() -> None:
    entry_points = [value for value in vars(targets).values() if isinstance(value, Target)]
    assert entry_points
    assert all(DIALOGUES.exists(target) for target in entry_points)
    assert set(DIALOGUES.flows) >= {t.flow for t in entry_points}


def test_a_step_leading_to_an_unknown_step_of_its_flow_fails_when_the_flow_is_built() -> None:
    with pytest.raises(ValueError, match=r"unknown steps \['nowhere'\]"):
        flow("home", main=Step(ask=ask, next=("nowhere",)))


def test_a_step_leading_to_an_unknown_flow_fails_when_the_table_is_built() -> None:
    home = flow("home", main=Step(ask=ask, next=(Target("missing"),)))
    with pytest.raises(ValueError, match=r"home\.main -> Target\(flow='missing'"):
        Dialogues([home], {}, ENTRANCES)


def test_an_unknown_step_of_another_flow_fails_too() -> None:
    home = flow("home", main=Step(ask=ask, next=(Target("other", "nope"),)))
    other = flow("other", start=Step(ask=ask))
    with pytest.raises(ValueError, match="nope"):
        Dialogues([home, other], {}, ENTRANCES)


def test_an_unknown_entrance_fails_too() -> None:
    home = flow("home", main=Step(ask=ask))
    with pytest.raises(ValueError, match="entrance language"):
        Dialogues([home], {}, Entrances(HOME, HOME, HOME, Target("language"), HOME))


def test_a_summary_declares_its_edits_and_what_submitting_leads_to() -> None:
    steps = summary(
        lambda ctx: Raw("Name: Erika"),
        fields={"name": _("Name")},
        submit=Button("submit", Raw("Send")),
        on_submit=lambda ctx: Goto(HOME),
        next=(HOME,),
    )
    with pytest.raises(ValueError, match=r"unknown steps \['name'\]"):
        Flow("form", start="summary", steps=steps)


def test_a_table_with_an_unknown_target_fails_at_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_dialogues.py").write_text(
        "from engine.steps import Dialogues, Entrances, Flow, Prompt, Step, Target\n"
        "from engine.i18n import Raw\n"
        "HOME = Target('home', 'main')\n"
        "ask = lambda ctx: Prompt(Raw('?'))\n"
        "home = Flow('home', 'main', {'main': Step(ask=ask, next=(Target('menu', 'mian'),))})\n"
        "DIALOGUES = Dialogues([home], {}, Entrances(HOME, HOME, HOME, HOME, HOME))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="mian"):
        importlib.import_module("broken_dialogues")
    sys.modules.pop("broken_dialogues", None)


async def test_a_step_that_leads_where_it_did_not_declare_is_refused(app: App) -> None:
    def wander(ctx: Ctx, payload: str) -> Outcome:
        return Goto("elsewhere")

    home = flow(
        "home", main=Step(ask=choose, on_choice=wander, cancel=False), elsewhere=Step(ask=ask)
    )
    table = Dialogues([home], {}, ENTRANCES)
    engine = DialogueCore(
        sessions=app.sessions,
        deployment=app.deployment,
        translator=app.translator,
        dialogues=table,
        clock=app.core.clock,
    )
    await engine.handle(Incoming("test:wanderer", text="hello"))
    with pytest.raises(UndeclaredTarget, match=r"home\.main leads to elsewhere"):
        await engine.handle(Incoming("test:wanderer", payload="go"))


# --- a step has no effect outside its session ------------------------------------------------


# Columns made at random each time: generated ids (they differ between databases) and keys.
RANDOM = {"id", "kid", "key", "created_at"}


async def everything(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read as the bot reads it (sealed fields opened), without what
    is made at random."""
    stored: dict[str, list[tuple[Any, ...]]] = {}
    async with app.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            random = RANDOM if table.name == "person_keys" else {"id"}
            columns = [c for c in table.columns if c.name not in random and not c.foreign_keys]
            rows = (await connection.execute(select(*columns))).all()
            stored[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return stored


async def wipe(app: App) -> None:
    async with app.engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(table.delete())
    async with app.sessions() as session:
        keyring_of(session).reset()


async def several_people_at_once(app: App) -> None:
    """Five people onboard and two ask for help, all at the same time."""

    async def one(number: int) -> None:
        person = await onboard(Chat(app, f"p{number}", "de"), "relative")
        if number < 2:
            await person.press("👪 Hilfe für jemanden anfragen")
            await person.send("Helga")
            await person.press("🛒 Einkaufen")

    await asyncio.gather(*(one(number) for number in range(5)))


async def test_a_group_handled_twice_leaves_the_same_state_as_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One group at a time (as on SQLite), so that people who write together share a group.
    monkeypatch.setattr(app.core._together, "parallel", 1)
    await several_people_at_once(app)
    once = await everything(app)
    await wipe(app)

    saving = core.save_states
    failed: list[int] = []

    async def failing_for_groups(session: Any, states: Any) -> None:
        states = list(states)
        await saving(session, states)  # every step of the group ran and wrote its rows
        if len(states) > 1:
            failed.append(len(states))
            raise RuntimeError("the group's commit fails; each message runs again alone")

    monkeypatch.setattr(core, "save_states", failing_for_groups)
    await several_people_at_once(app)
    twice = await everything(app)

    assert failed, "no group was handled twice"
    assert twice == once
    assert len(once["users"]) == 5 and len(once["conversations"]) == 5
