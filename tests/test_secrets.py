"""Secrets stay secret: the bot token, the webhook secret and the database password reach no log,
no error message and no `repr`, and a bad setting or deployment file is named in one clear line."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.logs import SecretsFilter, json_formatter
from tests.standin import BotApiStandin
from tests.telegram_bot import WEBHOOK_SECRET, BotProcess, free_port
from town.deployment import DEFAULT_DEPLOYMENT

# The part after the colon is what makes a token secret; the number before it is the bot's id.
TOKEN = "424242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
PASSWORD = "hunter2"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin(token=TOKEN) as api:
        yield api


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_bot_token_never_reaches_a_log_even_at_debug(
    framework: str, mode: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(standin, framework, mode, database_url, tmp_path)
    bot.env["LOG_LEVEL"] = "DEBUG"
    await bot.start()
    try:
        person = standin.user(2001, "Quinn", language_code="en")
        await person.send_text("/start")  # a phone in English: straight to consent in English
        assert "Do you agree?" in (await person.wait_for_message()).text
    finally:
        await bot.stop()
    log = bot.log.read_text()
    assert "DEBUG" in log  # the bot did log at DEBUG
    assert TOKEN_SECRET not in log
    assert WEBHOOK_SECRET not in log
    if framework == "ptb":
        # python-telegram-bot logs the Bot API URL at DEBUG: it is there, without the token.
        assert f"{standin.url}/bot<redacted>" in log


@pytest.mark.parametrize(
    "logger", ["telegram.Bot", "httpx", "httpcore.http11", "aiogram.event", "ehrenamt.anything"]
)
def test_a_secret_is_redacted_whichever_logger_logs_it(logger: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretsFilter([TOKEN, PASSWORD]))
    log = logging.getLogger(logger)
    log.addHandler(handler)
    old_level, log.level = log.level, logging.DEBUG
    try:
        log.debug("Set Bot API URL: %s", f"https://api.telegram.org/bot{TOKEN}")
        log.debug("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
        log.debug("connecting with %s", {"password": PASSWORD, "url": f"/bot{TOKEN}/getMe"})
        try:
            raise RuntimeError(f"Client error for url 'https://api.telegram.org/bot{TOKEN}/getMe'")
        except RuntimeError:
            log.exception("request failed")
    finally:
        log.removeHandler(handler)
        log.level = old_level
    output = stream.getvalue()
    assert TOKEN_SECRET not in output and PASSWORD not in output
    assert "Set Bot API URL: https://api.telegram.org/bot<redacted>" in output
    assert "url 'https://api.telegram.org/bot<redacted>/getMe'" in output  # in the traceback too


def test_json_log_lines_are_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretsFilter([TOKEN]))
    handler.setFormatter(json_formatter())
    log = logging.getLogger("ehrenamt.json")
    log.addHandler(handler)
    try:
        log.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"Client error for url 'https://api.telegram.org/bot{TOKEN}/getMe'")
        except RuntimeError:
            log.exception("request failed")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "WARNING" and first["logger"] == "ehrenamt.json"
    assert first["message"] == "calling https://api.telegram.org/bot<redacted>/getMe"
    assert "bot<redacted>/getMe" in second["exc_info"] and TOKEN_SECRET not in stream.getvalue()


def test_the_database_password_is_not_in_the_settings_repr() -> None:
    settings = Settings(database_url=f"postgresql://u:{PASSWORD}@h/db", _env_file=None)  # type: ignore[call-arg]
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
    assert settings.database_url.get_secret_value() == f"postgresql://u:{PASSWORD}@h/db"


# --- a bad configuration ------------------------------------------------------------------

BROKEN_TOML = '[agency\nname = "Ehrenamtsbörse"\n'


def _invalid_deployment(tmp_path: Path) -> str:
    text = DEFAULT_DEPLOYMENT.read_text(encoding="utf-8")
    path = tmp_path / "town.toml"
    path.write_text(text.replace("retention_days = 90", "retention_days = 0"), encoding="utf-8")
    return str(path)


def _broken_deployment(tmp_path: Path) -> str:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN_TOML, encoding="utf-8")
    return str(path)


# Each case: the command, the environment it adds, and what the one line on stderr must name.
BAD_CONFIGURATIONS = [
    pytest.param("run", {"MESSAGES_PER_MINUTE": "abc"}, ["MESSAGES_PER_MINUTE"], id="not a number"),
    pytest.param("migrate", {"PUSH_LEASE_SECONDS": "0"}, ["PUSH_LEASE_SECONDS"], id="out of range"),
    pytest.param("run", {"LOG_LEVEL": "LOUD"}, ["LOG_LEVEL"], id="unknown log level"),
    pytest.param(
        "migrate", {"BOT_FRAMEWORK": "telethon"}, ["BOT_FRAMEWORK"], id="unknown framework"
    ),
    pytest.param(
        "run",
        {"WEBHOOK_URL": "https://bot.example.org/telegram"},
        ["WEBHOOK_URL", "WEBHOOK_SECRET"],
        id="webhook without its secret",
    ),
    pytest.param(
        "migrate",
        {"WEBHOOK_SECRET": f"{PASSWORD} with spaces"},
        ["WEBHOOK_SECRET"],
        id="webhook secret Telegram refuses",
    ),
    pytest.param(
        "migrate",
        {"DATABASE_URL": f"postgresql://u:{PASSWORD}@h:port/db"},
        ["DATABASE_URL"],
        id="not a database URL",
    ),
    pytest.param(
        "run",
        {"DATABASE_URL": f"mysql://u:{PASSWORD}@h/db"},
        ["DATABASE_URL", "mysql"],
        id="a database the bot cannot use",
    ),
    pytest.param(
        "migrate",
        {"DEPLOYMENT_FILE": "{tmp}/nowhere.toml"},
        ["DEPLOYMENT_FILE", "nowhere.toml", "does not exist"],
        id="deployment file missing",
    ),
    pytest.param(
        "run",
        {"DEPLOYMENT_FILE": "{broken}"},
        ["broken.toml", "TOML", "line 1"],
        id="deployment file not TOML",
    ),
    pytest.param(
        "migrate",
        {"DEPLOYMENT_FILE": "{invalid}"},
        ["town.toml", "agency.retention_days"],
        id="deployment file not valid",
    ),
]


def _without_settings() -> dict[str, str]:
    """The environment of the tests without any of the bot's settings."""
    names = {name.upper() for name in Settings.model_fields}
    return {k: v for k, v in os.environ.items() if k not in names}


def _ehrenamt(
    command: str, tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run `ehrenamt COMMAND` in an empty directory, with a token and nothing else set."""
    unreachable = f"http://127.0.0.1:{free_port()}"
    base = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": unreachable,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        capture_output=True,
        text=True,
        env={**_without_settings(), **base, **env},
        cwd=tmp_path,
        timeout=60,
    )


@pytest.mark.parametrize(("command", "added", "named"), BAD_CONFIGURATIONS)
def test_a_bad_configuration_is_named_in_one_line_and_exits_with_2(
    command: str, added: dict[str, str], named: list[str], tmp_path: Path
) -> None:
    files = {
        "tmp": str(tmp_path),
        "broken": _broken_deployment(tmp_path),
        "invalid": _invalid_deployment(tmp_path),
    }
    env = {key: value.format(**files) for key, value in added.items()}
    result = _ehrenamt(command, tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert "Traceback" not in result.stderr
    for word in named:
        assert word in result.stderr, result.stderr
    for secret in (TOKEN_SECRET, PASSWORD):
        assert secret not in result.stderr + result.stdout


def test_a_bad_env_file_is_named_in_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n"
        f"DATABASE_URL=postgresql://u:{PASSWORD}@127.0.0.1/db\n"
        "MESSAGES_PER_MINUTE=abc\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=_without_settings(),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "MESSAGES_PER_MINUTE (environment or .env)" in result.stderr
    assert TOKEN_SECRET not in result.stderr and PASSWORD not in result.stderr


def test_the_database_password_never_reaches_an_error_message(tmp_path: Path) -> None:
    nobody_listens = f"postgresql://u:{PASSWORD}@127.0.0.1:{free_port()}/db"
    result = _ehrenamt("migrate", tmp_path, {"DATABASE_URL": nobody_listens, "LOG_LEVEL": "DEBUG"})
    assert result.returncode != 0
    assert PASSWORD not in result.stderr + result.stdout
