"""Loading and storing one person's dialogue state, the hot path of every incoming message.

Every message reads the person and their conversation and writes the conversation back. Both
reads are one statement, and the conversation travels as a plain `DialogueState` written with
one Core statement: the ORM's unit of work costs more than the rest of a turn. Nothing is
cached between messages, so any number of bot processes can share the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, bindparam, delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation, User, table_of

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


def _turn_query() -> Any:
    """The person (an ORM object, as steps change it) and their conversation row, in one statement.

    Either may be missing (a dialogue starts before consent; a registered person may have no open
    dialogue), so both are joined to the wanted key rather than to each other.
    """
    wanted = select(bindparam("key", type_=String).label("key")).subquery("wanted")
    return (
        select(User, *(CONVERSATIONS.c[name] for name in ("key", *_STATE_COLUMNS)))
        .select_from(wanted)
        .outerjoin(User, User.key == wanted.c.key)  # type: ignore[arg-type]
        .outerjoin(CONVERSATIONS, CONVERSATIONS.c.key == wanted.c.key)
    )


# Built once: building a statement and its cache key costs more than running it on SQLite.
_LOAD = _turn_query()
_UPDATE = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.key == bindparam("state_key"))
    .values({name: bindparam(name) for name in _STATE_COLUMNS})
)
_INSERT = insert(CONVERSATIONS).values({name: bindparam(name) for name in ("key", *_STATE_COLUMNS)})
_DELETE = delete(CONVERSATIONS).where(CONVERSATIONS.c.key == bindparam("state_key"))


async def load_turn(session: AsyncSession, key: str) -> tuple[User | None, DialogueState]:
    """The person behind `key` (None before consent) and their dialogue state (empty if none)."""
    row = (await session.exec(_LOAD, params={"key": key})).one()
    user: User | None = row[0]
    if row[1] is None:
        return user, DialogueState(key=key)
    language, flow, step, data, stack, options, updated_at = row[2:]
    return user, DialogueState(
        key=key,
        flow=flow,
        step=step,
        updated_at=updated_at,
        language=language,
        data=data,
        stack=stack,
        options=options,
        stored=True,
    )


async def save_state(session: AsyncSession, state: DialogueState) -> None:
    """Write the state in the caller's transaction: update, insert, or delete once it ended."""
    # Plain Core statements on the session's connection: the ORM has nothing to track here.
    connection = await session.connection()
    if not state.flow:
        if state.stored:
            await connection.execute(_DELETE, {"state_key": state.key})
            state.stored = False
        return
    values = {name: getattr(state, name) for name in _STATE_COLUMNS}
    if state.stored:
        await connection.execute(_UPDATE, {"state_key": state.key, **values})
    else:
        await connection.execute(_INSERT, {"key": state.key, **values})
        state.stored = True
