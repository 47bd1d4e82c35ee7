"""Settings from the environment and `.env`; see `.env.example` for every one of them."""

from __future__ import annotations

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

    telegram_bot_token: SecretStr | None = None
    bot_framework: Literal["ptb", "aiogram"] = "ptb"
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    # Run the scheduled pushes inside `ehrenamt run`; switch off on all but one worker, or run
    # `ehrenamt scheduler` as its own process instead.
    run_scheduler: bool = True
    # More messages than this from one person within a minute are answered with a request to wait.
    messages_per_minute: int = Field(default=30, ge=1)
    # A push worker's claim on the messages it is sending, extended while sending takes long;
    # after a crash, the next worker sends what the dead one had claimed but not sent once this
    # many seconds have passed.
    push_lease_seconds: int = Field(default=120, ge=1)
    # How often the scheduler plans and delivers what is due.
    push_tick_seconds: int = Field(default=60, ge=1)

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("use 1 to 256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET, so nobody else can post updates")
        return self

    @property
    def webhook_host_port(self) -> tuple[str, int]:
        host, _sep, port = self.webhook_listen.rpartition(":")
        return host or "0.0.0.0", int(port)
