"""Einfaches Deutsch keeps to the rules of Leichte Sprache that a machine can see: short
sentences, no passive, no genitive, and no long entry copied from standard German."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.app import App
from locales import catalog_path, catalogs
from locales.catalogs import Problem
from locales.plain import MAX_WORDS, check_plain, problems, words
from tests.chat import Chat


def _catalog(code: str) -> Catalog:
    with catalog_path(code).open("rb") as file:
        return read_po(file, locale=code)


def _pair(plain: str, standard: str, msgid: str = "A message.") -> tuple[Catalog, Catalog]:
    plain_catalog, standard_catalog = Catalog(locale="de"), Catalog(locale="de")
    plain_catalog.add(msgid, plain)
    standard_catalog.add(msgid, standard)
    return plain_catalog, standard_catalog


def test_the_shipped_catalog_keeps_the_rules() -> None:
    assert [str(p) for p in check_plain(_catalog("de_simple"), _catalog("de"))] == []


def test_a_sentence_of_sixteen_words_fails() -> None:
    long = (
        "Bitte schreiben Sie uns heute noch eine kurze Nachricht mit Ihrem Namen "
        "und Ihrer Telefon·nummer hier."
    )
    assert len(words(long)) == 16
    [found] = problems(long, None)
    assert found.startswith("16 words in one sentence")


def test_a_long_entry_fails_in_the_catalog_check() -> None:
    long = " ".join(["Wort"] * 16) + "."
    plain, standard = _pair(long, "Etwas anderes.")
    assert check_plain(plain, standard) == [
        Problem("de_simple", "A message.", f"16 words in one sentence: {long[:-1][:60]!r}")
    ]


def test_the_same_words_on_separate_lines_pass() -> None:
    split = "Bitte schreiben Sie uns eine kurze Nachricht.\nSchreiben Sie Ihren Namen dazu."
    assert problems(split, None) == []


def test_a_passive_fails() -> None:
    assert problems("Ihre Anfrage wird geprüft.", None) == ["passive: 'Ihre Anfrage wird geprüft'"]
    assert problems("Wir prüfen Ihre Anfrage.", None) == []


def test_werden_without_a_participle_is_no_passive() -> None:
    assert problems("Die Tage werden kürzer.", None) == []


def test_a_genitive_fails() -> None:
    assert problems("Wir rufen wegen des Termins an.", None) == [
        "genitive marker 'wegen': 'Wir rufen wegen des Termins an'"
    ]
    assert problems("Wir rufen zum Termin an.", None) == []


def test_an_entry_identical_to_a_long_standard_entry_fails() -> None:
    standard = "Bitte wählen Sie eine Zahl von 1 bis {limit}."
    plain, german = _pair(standard, standard)
    assert [p.what for p in check_plain(plain, german)] == ["identical to standard German"]


def test_a_short_identical_entry_passes() -> None:
    plain, german = _pair("Ja", "Ja", msgid="Yes")
    assert check_plain(plain, german) == []


def test_a_placeholder_counts_as_one_word() -> None:
    assert words("Hallo {name}, Sie haben {count} neue Nachrichten.") == [
        "Hallo",
        "{name}",
        "Sie",
        "haben",
        "{count}",
        "neue",
        "Nachrichten",
    ]
    assert words("{volunteer} hilft {name:>10}.") == ["{volunteer}", "hilft", "{name:>10}"]
    at_most = " ".join(["{name}"] * MAX_WORDS)
    assert problems(at_most, None) == []
    assert len(problems(f"{at_most} {{name}}", None)) == 1


def test_a_word_with_a_medial_dot_is_one_word() -> None:
    assert words("Ihr Sicherheits·wort und die Erste-Hilfe-Kurs·karte") == [
        "Ihr",
        "Sicherheits·wort",
        "und",
        "die",
        "Erste-Hilfe-Kurs·karte",
    ]


def test_each_plural_form_is_compared_with_its_own_standard_form() -> None:
    plain, standard = Catalog(locale="de"), Catalog(locale="de")
    same = "Sie haben {n} neue Anfragen in Ihrem Stadtteil bekommen, bitte schauen."
    plain.add(("{n} request", "{n} requests"), ("{n} Anfrage.", same))
    standard.add(("{n} request", "{n} requests"), ("{n} Anfrage.", same))
    assert [(p.msgid, p.what) for p in check_plain(plain, standard)] == [
        ("{n} request", "identical to standard German")
    ]


def test_the_catalog_check_reports_a_plain_german_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m locales.catalogs check` (and `make i18n-check`) fails on a broken rule."""
    catalog = _catalog("de_simple")
    message = catalog["Thank you!"]
    message.string = "Ihre Nachricht wird gelesen."
    broken = tmp_path / "messages.po"
    with broken.open("wb") as file:
        write_po(file, catalog, width=100, sort_output=True, include_lineno=False)
    shipped = catalog_path
    monkeypatch.setattr(
        catalogs, "catalog_path", lambda code: broken if code == "de_simple" else shipped(code)
    )
    assert [str(p) for p in catalogs.check()] == [
        str(Problem("de_simple", "Thank you!", "passive: 'Ihre Nachricht wird gelesen'"))
    ]


async def test_plain_german_shows_at_most_two_buttons_in_a_row(app: App) -> None:
    helga = Chat(app, "helga", None)
    await helga.send("/start")
    await helga.press("Einfaches Deutsch")
    await helga.press("✅ Ich bin einverstanden")
    await helga.press_payload("role:volunteer")
    await helga.send("Helga")
    await helga.press_payload(helga.last.buttons[0][0][1])  # the age
    await helga.press_payload("pick:shopping")
    await helga.press("➡️ Weiter")  # the districts, then the week's grid of times
    await helga.press_payload("pick:buedesheim")
    await helga.press("➡️ Weiter")
    shown = [message for message in helga.history if message.buttons]
    assert len(shown) >= 6
    assert max(len(row) for message in shown for row in message.buttons) == 2
    grid = helga.last
    assert sum(len(row) for row in grid.buttons) > 21  # every time of the week, two in a row
