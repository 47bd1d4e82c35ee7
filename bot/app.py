"""The one place that wires settings, deployment, database, translator and dialogue core together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from engine.core import DialogueCore, utcnow
from engine.i18n import Translator
from handlers.dialogues import DIALOGUES
from push.jobs import Pushing
from storage import create_engine, make_sessionmaker, migrate, pool_size
from town.deployment import Deployment


@dataclass(frozen=True)
class App:
    settings: Settings
    deployment: Deployment
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    translator: Translator
    core: DialogueCore

    @property
    def pushing(self) -> Pushing:
        """What the scheduled work needs of the app."""
        lease = timedelta(seconds=self.settings.push_lease_seconds)
        every = timedelta(seconds=self.settings.push_tick_seconds)
        return Pushing(self.sessions, self.deployment, self.core.clock, lease, every)


@asynccontextmanager
async def running_app(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[App]:
    """Build the app on a migrated database and dispose of the engine afterwards."""
    deployment = settings.deployment()
    engine = create_engine(
        settings.database_url.get_secret_value(), data_key=settings.data_key_bytes
    )
    try:
        await migrate(engine)
        sessions = make_sessionmaker(engine)
        translator = Translator()
        core = DialogueCore(
            sessions=sessions,
            deployment=deployment,
            translator=translator,
            dialogues=DIALOGUES,
            clock=clock,
            messages_per_minute=settings.messages_per_minute,
            transactions_at_once=pool_size(engine),
            reply_lease=timedelta(seconds=settings.reply_lease_seconds),
        )
        yield App(settings, deployment, engine, sessions, translator, core)
    finally:
        await engine.dispose()
