"""The deployment kit: compose.yaml is valid where compose is installed; the image installs exactly
one Telegram framework, chosen by a build argument, and runs as an unprivileged user; the lock
files agree with each other and hold only what each install needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> list[str] | None:
    """The compose command here: the docker CLI's plugin, or the standalone docker-compose."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_the_compose_file_is_valid(tmp_path: Path) -> None:
    compose = _compose()
    if compose is None:
        print("skipped: neither `docker compose` nor `docker-compose` is installed here")
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here")
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=test\nTELEGRAM_BOT_TOKEN=1:x\n")
    # The operator's .env sits beside compose.yaml; here it is the test's own.
    files = ["-f", str(ROOT / "compose.yaml"), "--project-directory", str(tmp_path)]
    result = subprocess.run(
        [*compose, *files, "--env-file", str(env), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "compose.yaml").read_text().replace("restart:", "restrat:", 1))
    refused = subprocess.run(
        [*compose, "-f", str(broken), "--project-directory", str(tmp_path), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert refused.returncode != 0, "a misspelt key must not validate"


def test_the_image_installs_one_framework_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG FRAMEWORK=ptb" in dockerfile
    assert '-r "requirements/${FRAMEWORK}.lock"' in dockerfile  # that framework's locked versions
    assert "compile_catalogs()" in dockerfile
    assert "USER ehrenamt" in dockerfile
    compose = (ROOT / "compose.yaml").read_text()
    for service in ("postgres:", "migrate:", "bot:", "scheduler:"):
        assert f"\n  {service}" in compose
    assert 'RUN_SCHEDULER: "false"' in compose and "replicas: 2" in compose
    assert "service_completed_successfully" in compose and "service_healthy" in compose


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", text, re.MULTILINE))


def test_every_lock_has_the_same_versions_and_only_what_it_needs() -> None:
    full = _pins("dev")
    base, ptb, aiogram = _pins("base"), _pins("ptb"), _pins("aiogram")
    for name, lock in (("base", base), ("ptb", ptb), ("aiogram", aiogram)):
        assert {p: v for p, v in lock.items() if full.get(p) != v} == {}, name
        assert not {"pytest", "ruff", "mypy", "pip-tools"} & lock.keys(), name
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    required = {re.split(r"[<>=\[ ;]", d)[0].lower() for d in project["dependencies"]}
    assert required <= base.keys()
    assert "python-telegram-bot" in ptb and "aiogram" not in ptb
    assert "aiogram" in aiogram and "python-telegram-bot" not in aiogram
    assert not {"aiogram", "python-telegram-bot"} & base.keys()
    assert base.keys() < ptb.keys() < full.keys() and base.keys() < aiogram.keys()
