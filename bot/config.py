"""Settings from the environment and `.env`; see `.env.example` for every one of them.

Secrets (the bot token, the webhook secret, the database URL with its password) are `SecretStr`:
`repr(settings)` and validation errors show them as stars. A bad setting or deployment file
becomes a `ConfigError` whose message is one line naming the setting or file and what is wrong,
never a value.
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url

from storage.db import DEFAULT_DATABASE_URL, check_url
from town.deployment import DEFAULT_DEPLOYMENT, DEFAULT_FILES_DIR, Deployment, load_deployment

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    deployment_file: Path = DEFAULT_DEPLOYMENT
    # Where uploaded files are kept (the documents shelf), not in the database; relative paths
    # are relative to the working directory.
    storage_dir: Path = DEFAULT_FILES_DIR
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # "json": one JSON object per line, for log collectors.
    log_format: Literal["text", "json"] = "text"

    # Wraps the keys that seal each person's personal fields, so that the database's log and its
    # backups hold no usable key: 32 random bytes, base64 (`openssl rand -base64 32` makes one).
    data_key: SecretStr | None = None

    telegram_bot_token: SecretStr | None = None
    bot_framework: Literal["ptb", "aiogram"] = "ptb"
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    # In polling mode, where to serve /healthz, /readyz and /metrics (off when unset); in webhook
    # mode they are served on WEBHOOK_LISTEN.
    health_listen: str | None = None
    # /readyz fails when more pushes than this are due and not sent.
    ready_max_backlog: int = Field(default=10_000, ge=0)
    # Run the scheduled pushes inside `ehrenamt run`; switch off on all but one worker, or run
    # `ehrenamt scheduler` as its own process instead.
    run_scheduler: bool = True
    # Messages per second the bot sends in all (Telegram: about 30; up to 1,000 with paid
    # broadcasts). Replies to people in a dialogue go before scheduled pushes.
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    # Calls for helpers as Telegram's paid broadcasts (allow_paid_broadcast: each message costs
    # Stars from the bot's balance), at up to this many per second on top of the budget above,
    # at most 1,000; 0 (the default) sends them within the budget above.
    telegram_paid_broadcasts_per_second: float = Field(default=0.0, ge=0, le=1000)
    # More messages than this from one person within a minute are answered with a request to wait.
    messages_per_minute: int = Field(default=30, ge=1)
    # A push worker's claim on the messages it is sending, extended while sending takes long;
    # after a crash, the next worker sends what the dead one had claimed but not sent once this
    # many seconds have passed.
    push_lease_seconds: int = Field(default=120, ge=1)
    # How often the scheduler plans and delivers what is due.
    push_tick_seconds: int = Field(default=60, ge=1)
    # How long the process that handled a step holds its replies; if it dies before sending
    # them, another process (or the same one, restarted) sends them once this has passed.
    reply_lease_seconds: int = Field(default=20, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: SecretStr) -> SecretStr:
        check_url(value.get_secret_value())
        return value

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

    def deployment(self) -> Deployment:
        """The deployment file's town as this process runs it: with the storage directory."""
        return load_deployment(self.deployment_file).model_copy(
            update={"files_dir": self.storage_dir}
        )

    @property
    def webhook_host_port(self) -> tuple[str, int]:
        return _host_port(self.webhook_listen)

    @property
    def health_host_port(self) -> tuple[str, int] | None:
        return _host_port(self.health_listen) if self.health_listen else None

    def secrets(self) -> list[str]:
        """The values no log line may show: the token, the webhook secret, the database password,
        the data key."""
        password = make_url(self.database_url.get_secret_value()).password
        values = (self.telegram_bot_token, self.webhook_secret, password, self.data_key)
        return [v.get_secret_value() if isinstance(v, SecretStr) else v for v in values if v]


class ConfigError(Exception):
    """A setting or the deployment file is unusable; the message says which, and why, in one line."""


def _host_port(listen: str) -> tuple[str, int]:
    host, _sep, port = listen.rpartition(":")
    return host or "0.0.0.0", int(port)


def load_settings(*, database: str | None = None) -> Settings:
    """The settings from the environment and `.env`, with `database` (`--database`) over
    DATABASE_URL; ConfigError if one is unusable."""
    overrides: dict[str, Any] = {} if database is None else {"database_url": database}
    try:
        return Settings(**overrides)
    except ValidationError as error:
        where = "--database" if database is not None else None
        raise ConfigError(_explain_settings(error, database_option=where)) from None
    except SettingsError as error:
        raise ConfigError(f"settings (environment or .env): {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f".env cannot be read: {error}") from None


def check_deployment(path: Path) -> Deployment:
    """Load the deployment file; ConfigError if it is missing, not TOML or not valid."""
    where = f"deployment file {path} (DEPLOYMENT_FILE)"
    try:
        return load_deployment(path)
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except OSError as error:
        raise ConfigError(f"{where} cannot be read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text") from None
    except ValidationError as error:
        problems = (
            f"{'.'.join(str(part) for part in problem['loc']) or 'the file'}: {_reason(problem)}"
            for problem in error.errors()
        )
        raise ConfigError(f"{where} is not valid: {'; '.join(problems)}") from None


def _explain_settings(error: ValidationError, *, database_option: str | None) -> str:
    """Each of pydantic's errors as the variable's name and the reason, no value, on one line."""
    problems = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if field == "database_url" and database_option:
            where = database_option
        else:
            where = f"{field.upper() or 'settings'} (environment or .env)"
        problems.append(f"{where}: {_reason(problem)}")
    return "; ".join(problems)


def _reason(problem: ErrorDetails) -> str:
    """Pydantic's message of one error, without its "Value error, " prefix, on one line."""
    message = str(problem["msg"]).removeprefix("Value error, ")
    return " ".join(message.split())
