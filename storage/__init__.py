"""Persistence: SQLModel tables, async sessions and migrations."""

from storage.db import create_engine, make_sessionmaker, migrate, pool_size
from storage.models import Conversation, User

__all__ = ["Conversation", "User", "create_engine", "make_sessionmaker", "migrate", "pool_size"]
