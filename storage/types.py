"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored as naive UTC and read back as aware UTC on every database.

    SQLite keeps no time zone, PostgreSQL converts to the session's zone; normalising here keeps
    comparisons and arithmetic the same on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """Convert as usual, but the same point in time passed again (a run's `now` on tens of
        thousands of rows written in bulk) is converted once."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        last: list[tuple[Any, Any]] = [(None, None)]

        def remembering(value: Any) -> Any:
            seen, converted = last[0]  # one tuple, replaced whole: safe across threads
            if value is seen and value is not None:
                return converted
            converted = process(value)
            last[0] = (value, converted)
            return converted

        return remembering

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class EnumText(TypeDecorator[Any]):
    """A `StrEnum` stored as its value in a plain text column and read back as the enum member.

    A value that is not a member fails when it is written, so no misspelt state reaches the table.
    Subclasses name the enum and the column's length (`enum_text`).
    """

    impl = String
    cache_ok = True
    enum: type[StrEnum]

    # Processors rather than process_bind_param/process_result_value: no method call per row,
    # and planning writes and reads tens of thousands.
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        enum = self.enum

        def process(value: Any) -> str | None:
            if value is None:
                return None
            return (value if type(value) is enum else enum(value)).value

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any]:
        enum, members = self.enum, self.enum._value2member_map_

        def process(value: Any) -> StrEnum | None:
            if value is None:
                return None
            member = members.get(value)
            return member if member is not None else enum(value)  # type: ignore[return-value]

        return process


def enum_text(enum: type[StrEnum], length: int) -> type[EnumText]:
    """The column type of one enum, stored in a text column of `length` characters."""
    members = {"enum": enum, "impl": String(length), "cache_ok": True}
    return type(f"{enum.__name__}Text", (EnumText,), members)


# How a sealed value starts (see `storage.sealing`): `enc1:<key id>:<base64>`.
PREFIX = "enc1:"


class Sealed(str):
    """A personal value on its way into the database, with the key id of the person it is of."""

    kid: str

    def __new__(cls, value: str, kid: str) -> Sealed:
        sealed = super().__new__(cls, value)
        sealed.kid = kid
        return sealed


class SealedText(TypeDecorator[str]):
    """A personal text column: a `Sealed` value is written encrypted with its person's key, and
    read back as plain text. Other values are written as they are (empty, or from before)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if isinstance(value, Sealed):
            sealed: str = dialect.keyring.seal(value.kid, str(value))  # type: ignore[attr-defined]
            return sealed
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if isinstance(value, str) and value.startswith(PREFIX):
            opened: str = dialect.keyring.open(value)  # type: ignore[attr-defined]
            return opened
        return value  # type: ignore[no-any-return]


class SealedJSON(TypeDecorator[Any]):
    """A JSON column that may hold a sealed document (a JSON string `enc1:...`, written by
    `Keyring.seal_json`): read back as the document it seals."""

    impl = JSON
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return dialect.keyring.open_json(value)  # type: ignore[attr-defined]
        return value
