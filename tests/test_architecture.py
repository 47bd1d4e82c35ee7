"""The arrows of the architecture are checked: the import contracts in pyproject.toml hold, and a
deliberately bad import in a temporary module breaks them."""

from __future__ import annotations

import ast
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


WRITES = {"add", "add_all", "delete", "merge"}
STATEMENTS = {"insert", "update", "delete"}


def writes_in(path: Path) -> list[str]:
    """Rows written in a module: a session's add/delete, or an INSERT/UPDATE/DELETE statement."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sql"):
            found += [f"imports {a.name}" for a in node.names if a.name in STATEMENTS]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and "session" in ast.unparse(node.func.value)
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}")
    return found


def test_only_the_domain_and_storage_write_rows() -> None:
    """Dialogues, pushes, the engine and the CLI change what is stored only by asking `exchange/`
    (or, for the dialogue state and the outbox, `storage/`)."""
    writing = {
        str(path.relative_to(ROOT)): found
        for package in ("bot", "handlers", "push", "vocabulary", "engine")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := writes_in(path))
    }
    assert writing == {}


def test_the_check_for_writes_sees_one() -> None:
    assert writes_in(ROOT / "exchange" / "requests.py")
