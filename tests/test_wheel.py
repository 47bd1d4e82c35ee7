"""An installed bot speaks German: the wheel built from a clean checkout (no compiled catalogs:
they are not in git) answers `ehrenamt chat` in German, since the catalogs compile at start."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from engine.i18n import Translator
from locales import LANGUAGES, MissingCatalog, catalog_path, load_translations

ROOT = Path(__file__).resolve().parent.parent


def test_a_catalog_without_its_compiled_file_is_compiled_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(catalog_path("de"), po)
    monkeypatch.setattr(
        "locales.catalog_path", lambda code: tmp_path / code / "LC_MESSAGES" / "messages.po"
    )
    assert load_translations("de").gettext("Hours") == "Stunden"
    with pytest.raises(MissingCatalog, match="'tr'"):
        load_translations("tr")
    with pytest.raises(MissingCatalog):
        Translator(languages=list(LANGUAGES))


def test_the_wheel_from_a_clean_checkout_answers_in_german(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        target = checkout / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert not list(checkout.glob("locales/*/LC_MESSAGES/*.mo"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(checkout)],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("ehrenamtsboerse-*.whl")
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel)],
        check=True,
        capture_output=True,
    )
    # The libraries come from this environment; the bot only from the wheel (not from here).
    libraries = sysconfig.get_paths()["purelib"]
    answer = subprocess.run(
        [str(python), "-m", "bot", "chat", "--database", f"sqlite:///{tmp_path / 'chat.db'}"],
        input="/start\n1\n1\n1\n/menu\n",  # the profile starts; /menu leaves it
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": libraries, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    where = subprocess.run(
        [str(python), "-c", "import bot; print(bot.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": libraries, "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    assert where.startswith(site), where  # the installed wheel, not this checkout
    assert answer.returncode == 0, answer.stderr
    assert "Hauptmenü" in answer.stdout, answer.stdout
    assert (Path(site) / "locales" / "de" / "LC_MESSAGES" / "messages.po").exists()
