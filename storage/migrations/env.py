"""Alembic environment: runs on a connection handed over by the bot, or on DATABASE_URL from the CLI."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on the metadata)
from storage.db import DEFAULT_DATABASE_URL, create_engine

target_metadata = SQLModel.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
elif context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run against a database.")
else:
    asyncio.run(run_from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)))
