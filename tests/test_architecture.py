"""The arrows of the architecture are checked: the import contracts in pyproject.toml hold, and a
deliberately bad import in a temporary module breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "bot", "handlers", "push", "vocabulary", "engine", "exchange", "matching", "storage", "town",
    "locales",
)  # fmt: skip
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("engine/_bad.py", "import handlers.privacy", "Layers"),  # the engine importing a flow
        ("handlers/_bad.py", "import push.deliver", "Layers"),  # two siblings of one layer
        ("exchange/_bad.py", "import engine.core", "Layers"),  # the domain reaching up
        ("town/_bad.py", "import storage.models", "Layers"),  # the floor importing the project
        ("exchange/_bad.py", "import aiogram", "Chat frameworks only in bot/"),
        ("matching/_bad.py", "import telegram", "Chat frameworks only in bot/"),
    ],
)
def test_a_bad_import_breaks_a_contract(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.po", "*.mo")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / module).write_text(f"{bad_import}\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert f"{contract}" in done.stdout
    assert "BROKEN" in done.stdout
