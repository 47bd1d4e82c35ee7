"""Settings from the environment and `.env`; see `.env.example` for every one of them."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL

DEFAULT_DEPLOYMENT = Path(__file__).resolve().parent / "deployments" / "bingen.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    deployment_file: Path = DEFAULT_DEPLOYMENT
    log_level: str = "INFO"
