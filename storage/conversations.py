"""Loading and storing one person's dialogue state, the hot path of every incoming message.

Every message reads the person and their conversation and writes the conversation back. Messages
that are handled together (see `DialogueCore`) are read with one statement and written with one
statement per kind of write; the conversation travels as a plain `DialogueState` written with Core
statements, since the ORM's unit of work costs more than the rest of a turn. Nothing is cached
between messages, so any number of bot processes can share the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, bindparam, delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation, User, table_of
from storage.sealing import keyring_of

CONVERSATIONS: Table = table_of(Conversation)
_STATE_COLUMNS = ("language", "flow", "step", "data", "stack", "options", "updated_at")


@dataclass(slots=True)
class DialogueState:
    """Where a person is in a dialogue (the `conversations` row), while one message is handled.

    `stored` tells whether the row exists, so saving knows whether to insert, update or delete.
    """

    key: str
    flow: str = ""
    step: str = ""
    updated_at: datetime | None = None
    language: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    stack: list[dict[str, Any]] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    stored: bool = False


def _turns_query() -> Any:
    """People (ORM objects, as steps change them) and their conversation rows, in one statement.

    Either may be missing (a dialogue starts before consent; a registered person may have no open
    dialogue), so both are joined to the wanted keys that exist in either table.
    """
    keys = bindparam("keys", type_=String, expanding=True)
    wanted = (
        select(CONVERSATIONS.c.key.label("key"))
        .where(CONVERSATIONS.c.key.in_(keys))
        .union(select(User.key.label("key")).where(User.key.in_(keys)))  # type: ignore[attr-defined]
        .subquery("wanted")
    )
    return (
        select(wanted.c.key, User, *(CONVERSATIONS.c[name] for name in ("key", *_STATE_COLUMNS)))
        .select_from(wanted)
        .outerjoin(User, User.key == wanted.c.key)  # type: ignore[arg-type]
        .outerjoin(CONVERSATIONS, CONVERSATIONS.c.key == wanted.c.key)
    )


# Built once: building a statement and its cache key costs more than running it on SQLite.
_LOAD = _turns_query()
_UPDATE = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.key == bindparam("state_key"))
    .values({name: bindparam(name) for name in _STATE_COLUMNS})
)
_INSERT = insert(CONVERSATIONS).values({name: bindparam(name) for name in ("key", *_STATE_COLUMNS)})
_DELETE = delete(CONVERSATIONS).where(CONVERSATIONS.c.key == bindparam("state_key"))


async def load_turns(
    session: AsyncSession, keys: Sequence[str]
) -> dict[str, tuple[User | None, DialogueState]]:
    """For each key, the person behind it (None before consent) and their dialogue state."""
    loaded: dict[str, tuple[User | None, DialogueState]] = {
        key: (None, DialogueState(key=key)) for key in keys
    }
    for row in await session.exec(_LOAD, params={"keys": list(keys)}):
        key, user = row[0], row[1]
        if row[2] is None:  # no conversation row
            loaded[key] = (user, DialogueState(key=key))
            continue
        language, flow, step, data, stack, options, updated_at = row[3:]
        loaded[key] = (
            user,
            DialogueState(
                key=key,
                flow=flow,
                step=step,
                updated_at=updated_at,
                language=language,
                data=data,
                stack=stack,
                options=options,
                stored=True,
            ),
        )
    return loaded


async def save_states(session: AsyncSession, states: Iterable[DialogueState]) -> None:
    """Write the states in the caller's transaction: update, insert, or delete those that ended.

    Each kind of write is one statement for all states, whatever their number.
    """
    # Plain Core statements on the session's connection: the ORM has nothing to track here.
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    # Drafts hold names, addresses and descriptions: sealed with the person's key.
    keyring = keyring_of(session)
    kids = await keyring.kids_of(session, [s.key for s in states if s.flow and (s.data or s.stack)])
    for state in states:
        if not state.flow:
            if state.stored:
                deletes.append({"state_key": state.key})
                state.stored = False
            continue
        values = {name: getattr(state, name) for name in _STATE_COLUMNS}
        kid = kids.get(state.key)
        if kid is not None:
            values["data"] = keyring.seal_json(kid, state.data) if state.data else {}
            values["stack"] = keyring.seal_json(kid, state.stack) if state.stack else []
        if state.stored:
            updates.append({"state_key": state.key, **values})
        else:
            inserts.append({"key": state.key, **values})
            state.stored = True
    connection = await session.connection()
    for statement, rows in ((_DELETE, deletes), (_UPDATE, updates), (_INSERT, inserts)):
        if rows:
            await connection.execute(statement, rows)
