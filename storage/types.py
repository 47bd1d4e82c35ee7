"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
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
