"""The full privacy notice in every language offered: the check that finds one missing, and readers
of Persian and Ukrainian who read it in their own language."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from locales import LANGUAGES
from locales.catalogs import TELEGRAM_TEXT_LIMIT, Problem, check_deployment
from tests.chat import Chat
from town.deployment import DEFAULT_DEPLOYMENT, load_deployment

SHIPPED = sorted(DEFAULT_DEPLOYMENT.parent.glob("*.toml"))


def _without(text: str, code: str) -> str:
    """The deployment file's text without the notice of one language."""
    changed, found = re.subn(rf'(?ms)^{code} = """\n.*?\n"""\n', "", text)
    assert found == 1, code
    return changed


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_deployment_has_the_notice_in_every_language_it_offers(path: Path) -> None:
    assert check_deployment(path) == []
    deployment = load_deployment(path)
    offered = [c for c in LANGUAGES if c in deployment.languages] or list(LANGUAGES)
    for code in offered:
        notice = deployment.agency.privacy_notice[code]
        assert 0 < len(notice) <= TELEGRAM_TEXT_LIMIT, code
        assert "/mydata" in notice and "/delete" in notice, code


def test_the_check_finds_a_language_without_its_notice(tmp_path: Path) -> None:
    text = DEFAULT_DEPLOYMENT.read_text(encoding="utf-8")
    copy = tmp_path / "town.toml"
    copy.write_text(_without(text, "fa"), encoding="utf-8")
    load_deployment(copy)  # still a valid deployment file: only the check objects
    assert check_deployment(copy) == [
        Problem("fa", "town.toml [agency.privacy_notice]", "no full privacy notice")
    ]


def test_the_check_finds_an_empty_or_overlong_notice(tmp_path: Path) -> None:
    text = DEFAULT_DEPLOYMENT.read_text(encoding="utf-8")
    copy = tmp_path / "town.toml"
    copy.write_text(
        _without(_without(text, "uk"), "ro").replace(
            "[agency.privacy_notice]\n",
            f'[agency.privacy_notice]\nuk = " "\nro = "{"x" * (TELEGRAM_TEXT_LIMIT + 1)}"\n',
        ),
        encoding="utf-8",
    )
    assert [(p.language, p.what) for p in check_deployment(copy)] == [
        ("uk", "no full privacy notice"),
        ("ro", "privacy notice longer than Telegram allows"),
    ]


def test_a_language_the_deployment_does_not_offer_needs_no_notice(tmp_path: Path) -> None:
    text = DEFAULT_DEPLOYMENT.read_text(encoding="utf-8")
    copy = tmp_path / "town.toml"
    copy.write_text(
        _without(text, "fa").replace("languages = []", 'languages = ["de", "en", "uk"]'),
        encoding="utf-8",
    )
    assert check_deployment(copy) == []
    copy.write_text(
        _without(text, "uk").replace("languages = []", 'languages = ["de", "en", "uk"]'),
        encoding="utf-8",
    )
    assert [p.language for p in check_deployment(copy)] == ["uk"]


def _english_of_the_notice() -> list[str]:
    """The lines of the English notice, none of which a Persian or Ukrainian reader should see."""
    notice = load_deployment(DEFAULT_DEPLOYMENT).agency.privacy_notice["en"]
    return [line for line in notice.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("code", "endonym", "phrases"),
    [
        (
            "fa",
            "فارسی / دری",
            (
                "اطلاعیهٔ حریم خصوصی Ehrenamtsbörse Bingen",
                "مقررات عمومی حفاظت از داده‌ها (GDPR)",
                "با /mydata همهٔ اطلاعاتی را",
            ),
        ),
        (
            "uk",
            "Українська",
            (
                "Повідомлення про захист даних Ehrenamtsbörse Bingen",
                "Загального регламенту захисту даних (GDPR)",
                "Ваші права: /mydata надсилає вам усе",
            ),
        ),
    ],
)
async def test_the_full_notice_is_read_in_persian_and_ukrainian(
    chat: Callable[..., Chat], code: str, endonym: str, phrases: tuple[str, ...]
) -> None:
    person = chat("reader", code)

    def in_their_language(answer: str) -> None:
        for phrase in phrases:
            assert phrase in answer
        for line in _english_of_the_notice():
            assert line not in answer
        assert "Privacy notice" not in answer and "Datenschutzhinweis" not in answer

    await person.send("/start")
    await person.press(endonym)
    assert person.last.labels[2].startswith("📄")  # the full notice, one tap from the consent
    in_their_language(await person.press(person.last.labels[2]))
    in_their_language(await person.send("/privacy"))  # before consent
    await person.press(person.last.labels[0])  # agree
    in_their_language(await person.send("/privacy"))  # and after
