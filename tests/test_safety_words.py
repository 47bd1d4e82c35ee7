"""Safety words: thirty distinct words in each asker's language, a readable Latin form of those in
another script, and a drawn word with a number from 10 to 99 in both forms."""

from __future__ import annotations

import re

import pytest

from exchange import safety_words

LANGUAGES = ("de", "en", "ar", "fa", "pl", "ro", "ru", "tr", "uk")
LATIN_SCRIPT = ("de", "en", "pl", "ro", "tr")
OTHER_SCRIPT = ("ar", "fa", "ru", "uk")

READABLE = re.compile(r"[A-Za-zÄÖÜäöü]+(?:[ -][A-Za-zÄÖÜäöü]+)*")
DRAWN = re.compile(r"(?P<word>.+) (?P<number>\d\d)")


def german_words() -> set[str]:
    return {word for word, _ in safety_words.lists()["de"]}


def split(drawn: str) -> tuple[str, int]:
    found = DRAWN.fullmatch(drawn)
    assert found, drawn
    return found["word"], int(found["number"])


def test_every_language_has_a_list() -> None:
    assert set(safety_words.lists()) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_thirty_distinct_words(language: str) -> None:
    pairs = safety_words.lists()[language]
    assert len(pairs) == 30
    assert len({word for word, _ in pairs}) == 30
    assert len({latin for _, latin in pairs}) == 30
    assert all(word.strip() == word and word for word, _ in pairs)


@pytest.mark.parametrize("language", LATIN_SCRIPT)
def test_latin_scripts_are_their_own_transliteration(language: str) -> None:
    for word, latin in safety_words.lists()[language]:
        assert latin == word


@pytest.mark.parametrize("language", OTHER_SCRIPT)
def test_other_scripts_have_a_readable_latin_form(language: str) -> None:
    for word, latin in safety_words.lists()[language]:
        assert READABLE.fullmatch(latin), (word, latin)
        assert latin != word
        assert not READABLE.search(word), word


def test_german_list_is_the_one_in_use() -> None:
    assert [word for word, _ in safety_words.lists()["de"]] == [
        "Apfel", "Birne", "Sonne", "Mond", "Stern", "Blume", "Rose", "Tulpe", "Wolke", "Regen",
        "Fluss", "Rhein", "Berg", "Wald", "Baum", "Vogel", "Fisch", "Katze", "Hase", "Igel",
        "Brot", "Kaffee", "Tee", "Honig", "Zucker", "Kirsche", "Pflaume", "Traube", "Nuss", "Kerze",
    ]  # fmt: skip


def test_arabic_word_in_arabic_script_with_the_same_number_in_latin() -> None:
    arabic = dict(safety_words.lists()["ar"])
    for _ in range(50):
        drawn = safety_words.draw("ar")
        word, number = split(drawn.word)
        latin, latin_number = split(drawn.latin)
        assert all("\u0600" <= letter <= "\u06ff" for letter in word), word
        assert 10 <= number <= 99
        assert latin_number == number
        assert arabic[word] == latin


@pytest.mark.parametrize("language", ["de", "de_simple", "xx", ""])
def test_plain_german_and_unknown_languages_draw_german_words(language: str) -> None:
    for _ in range(50):
        drawn = safety_words.draw(language)
        assert drawn.latin == drawn.word
        word, number = split(drawn.word)
        assert word in german_words()
        assert 10 <= number <= 99


@pytest.mark.parametrize("language", LANGUAGES)
def test_draws_vary(language: str) -> None:
    drawn = [safety_words.draw(language) for _ in range(200)]
    words = {split(each.word)[0] for each in drawn}
    numbers = {split(each.word)[1] for each in drawn}
    assert len(words) > 1
    assert len(numbers) > 1
    assert words <= {word for word, _ in safety_words.lists()[language]}
    assert all(10 <= number <= 99 for number in numbers)
