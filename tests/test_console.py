"""`ehrenamt chat`, as a person uses it: a real process reading piped input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def chat(tmp_path: Path, script: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    assert result.stderr == ""
    return result.stdout


def test_scripted_onboarding_completes_in_german_by_default(tmp_path: Path) -> None:
    transcript = chat(tmp_path, "/start\n1\n1\n1\n/menu\n")
    assert transcript.startswith("💡 Schreiben Sie /start, um zu beginnen.")  # before any prompt
    assert "Willkommen bei Ehrenamtsbörse Bingen" in transcript
    assert "[1] Deutsch   [2] Einfaches Deutsch" in transcript
    assert "✓ ✅ Ich stimme zu" in transcript
    assert "Wie ist Ihr Vorname?" in transcript  # the volunteer's profile starts at once
    assert "🏠 Hauptmenü" in transcript


def test_two_people_and_a_restart_against_one_database(tmp_path: Path) -> None:
    chat(tmp_path, "/start\n1\n", "--user", "sam", "--language", "en")  # English is proposed first
    chat(tmp_path, "/start\n1\n1\n2\n", "--user", "erika")

    # A new process has shown no keyboard yet: "1" is plain text and the open question comes again.
    transcript = chat(tmp_path, "1\n1\n2\n/menu\n", "--user", "sam", "--language", "en")
    assert "Please choose one of the buttons below." in transcript
    assert "Do you agree?" in transcript
    assert "How would you like to take part?" in transcript
    assert "What kind of help do you need?" in transcript  # the request starts at once
    assert "🏠 Main menu" in transcript
    assert "looking for help" in transcript

    transcript = chat(tmp_path, "/start\n", "--user", "erika")
    assert "Willkommen zurück!" in transcript
    assert "Sie suchen Hilfe" in transcript


def test_stickers_and_locations_can_be_played(tmp_path: Path) -> None:
    transcript = chat(tmp_path, "/start\n:sticker\n:location 49.95 7.91\n")
    assert "nur Textnachrichten und Tasten" in transcript
    assert "mit den Tasten oder mit einer Textnachricht" in transcript
