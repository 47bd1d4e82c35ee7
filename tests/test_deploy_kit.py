"""The deployment kit: compose.yaml is valid where the docker CLI has compose; the image installs
exactly one Telegram framework, chosen by a build argument, and runs as an unprivileged user."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_compose_file_is_valid(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    has_compose = docker is not None and (
        subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    if not has_compose:
        print("skipped: no docker CLI with the compose plugin here")
        pytest.skip("no docker CLI with the compose plugin here")
    assert docker is not None
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=test\nTELEGRAM_BOT_TOKEN=1:x\n")
    result = subprocess.run(
        [
            docker,
            "compose",
            "-f",
            str(ROOT / "compose.yaml"),
            "--env-file",
            str(env),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_installs_one_framework_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG FRAMEWORK=ptb" in dockerfile
    assert '".[${FRAMEWORK}]"' in dockerfile  # only the extra of the chosen framework
    assert "compile_catalogs()" in dockerfile
    assert "USER ehrenamt" in dockerfile
    compose = (ROOT / "compose.yaml").read_text()
    for service in ("postgres:", "migrate:", "bot:", "scheduler:"):
        assert f"\n  {service}" in compose
    assert 'RUN_SCHEDULER: "false"' in compose and "replicas: 2" in compose
    assert "service_completed_successfully" in compose and "service_healthy" in compose
