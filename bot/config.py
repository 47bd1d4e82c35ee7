"""Settings from the environment and `.env`; see `.env.example` for every one of them."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL
from town.deployment import DEFAULT_DEPLOYMENT

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    deployment_file: Path = DEFAULT_DEPLOYMENT
    log_level: str = "INFO"

    # Wraps the keys that seal each person's personal fields, so that the database's log and its
    # backups hold no usable key: 32 random bytes, base64 (`openssl rand -base64 32` makes one).
    data_key: SecretStr | None = None

    telegram_bot_token: SecretStr | None = None
    bot_framework: Literal["ptb", "aiogram"] = "ptb"
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    # Run the scheduled pushes inside `ehrenamt run`; switch off on all but one worker, or run
    # `ehrenamt scheduler` as its own process instead.
    run_scheduler: bool = True
    # Messages per second the bot sends in all (Telegram: about 30; up to 1,000 with paid
    # broadcasts). Replies to people in a dialogue go before scheduled pushes.
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    # More messages than this from one person within a minute are answered with a request to wait.
    messages_per_minute: int = Field(default=30, ge=1)
    # A push worker's claim on the messages it is sending; after a crash, the next worker sends
    # what the dead one had claimed but not sent once this many seconds have passed.
    push_lease_seconds: int = Field(default=120, ge=1)
    # How long the process that handled a step holds its replies; if it dies before sending
    # them, another process (or the same one, restarted) sends them once this has passed.
    reply_lease_seconds: int = Field(default=20, ge=1)

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("use 1 to 256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("data_key")
    @classmethod
    def _data_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                raw = base64.b64decode(value.get_secret_value(), validate=True)
            except binascii.Error:
                raw = b""
            if len(raw) != 32:
                raise ValueError("use 32 random bytes, base64-encoded (44 characters)")
        return value

    @property
    def data_key_bytes(self) -> bytes | None:
        if self.data_key is None:
            return None
        return base64.b64decode(self.data_key.get_secret_value())

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET, so nobody else can post updates")
        return self

    @property
    def webhook_host_port(self) -> tuple[str, int]:
        host, _sep, port = self.webhook_listen.rpartition(":")
        return host or "0.0.0.0", int(port)
