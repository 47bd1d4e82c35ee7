"""The tables. Everything durable lives here, so a restart or a second process resumes every dialogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class User(SQLModel, table=True):
    """A person who consented to the privacy notice. Nothing about anyone is stored before that."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    language: str = Field(max_length=16)
    role: str | None = Field(default=None, max_length=20)
    municipality: str | None = Field(default=None, max_length=40)
    consent_version: str = Field(max_length=20)
    consent_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Set when the platform reports the person blocked the bot; nothing is pushed to them then.
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Conversation(SQLModel, table=True):
    """Where a person is in a dialogue: flow, step, draft, the flows to return to, and the valid buttons.

    Keyed by the channel's user key rather than the user id, because a dialogue starts before consent.
    """

    __tablename__ = "conversations"

    key: str = Field(max_length=64, primary_key=True)
    language: str | None = Field(default=None, max_length=16)
    flow: str = Field(max_length=40)
    step: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stack: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)
