"""Every shipped language is complete and in step with the source."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from engine.i18n import Translator, _, _n
from locales import LANGUAGES, LOCALES_DIR, catalog_path
from locales.catalogs import TEMPLATE, check, check_catalog, extract_deployment, fill_english


def _template_ids() -> set[str]:
    with TEMPLATE.open("rb") as file:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(file) if m.id}


def _catalog(code: str) -> Catalog:
    with catalog_path(code).open("rb") as file:
        return read_po(file, locale=code)


def test_all_catalogs_are_complete_and_current() -> None:
    assert [str(problem) for problem in check()] == []


def test_the_pybabel_update_leaves_a_new_message_untranslated_in_every_language_but_english(
    tmp_path: Path,
) -> None:
    """`make i18n-update`'s steps: pybabel merges the template, English is filled from the ids,
    and every translation there was stays."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.py", "*.mo", "__*"))
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    template.add("A brand-new message.", locations=[("handlers/new.py", None)])
    with (locales / "messages.pot").open("wb") as file:
        write_po(file, template, width=100, sort_output=True, include_lineno=False)
    update = ["pybabel", "-q", "update", "-i", str(locales / "messages.pot"), "-d", str(locales)]
    CommandLineInterface().run([*update, "-D", "messages", "-w", "100", "--ignore-obsolete"])
    fill_english(locales / "en" / "LC_MESSAGES" / "messages.po")

    for code in LANGUAGES:
        with (locales / code / "LC_MESSAGES" / "messages.po").open("rb") as file:
            merged = read_po(file, locale=code)
        new = merged["A brand-new message."].string
        assert new == ("A brand-new message." if code == "en" else ""), code
        assert merged["Thank you!"].string == _catalog(code)["Thank you!"].string, code


def test_check_fails_when_an_entry_is_removed() -> None:
    catalog = _catalog("de")
    victim = next(m.id for m in catalog if isinstance(m.id, str) and m.id)
    catalog.delete(victim)
    problems = check_catalog("de", catalog, _template_ids())
    assert [(p.msgid, p.what) for p in problems] == [(victim, "missing; run make i18n-update")]


def test_check_fails_on_untranslated_fuzzy_and_broken_placeholders() -> None:
    catalog = _catalog("de")
    messages = [m for m in catalog if isinstance(m.id, str) and m.id]
    untranslated, fuzzy = messages[0], messages[1]
    with_placeholder = next(m for m in messages if "{agency}" in m.id)
    untranslated.string = ""
    fuzzy.flags.add("fuzzy")
    with_placeholder.string = with_placeholder.string.replace("{agency}", "{agentur}")
    problems = {(p.msgid, p.what) for p in check_catalog("de", catalog, _template_ids())}
    assert (untranslated.id, "untranslated") in problems
    assert (fuzzy.id, "fuzzy") in problems
    assert any(msgid == with_placeholder.id and "placeholders" in what for msgid, what in problems)


def test_check_fails_on_a_plural_with_a_missing_form() -> None:
    catalog = Catalog(locale="de")
    catalog.add(("{n} request", "{n} requests"), ("{n} Anfrage", ""))
    problems = check_catalog("de", catalog, {"{n} request"})
    assert [p.what for p in problems] == ["untranslated"]


def test_check_fails_on_text_longer_than_telegram_allows() -> None:
    catalog = Catalog(locale="de")
    catalog.add("Hello", "Hallo" * 1000)
    assert [p.what for p in check_catalog("de", catalog, {"Hello"})] == [
        "longer than Telegram allows"
    ]


def test_german_is_a_catalog_like_any_other() -> None:
    tr = Translator()
    assert tr.gettext("de", "✅ I agree") == "✅ Ich stimme zu"
    assert tr.gettext("en", "✅ I agree") == "✅ I agree"
    assert set(tr.languages) == set(LANGUAGES)


def test_messages_render_placeholders_and_plurals_in_the_readers_language() -> None:
    tr = Translator()
    message = _("I do not know the command /{command}.", command="foo")
    assert tr.render(message, "de") == "Den Befehl /foo kenne ich nicht."
    assert tr.render(message, "en") == "I do not know the command /foo."
    assert tr.render(_n("{n} request", "{n} requests", 3), "en") == "3 requests"


def test_language_resolution_prefers_known_languages_then_german() -> None:
    tr = Translator()
    assert tr.resolve("en-US") == "en"
    assert tr.resolve("pt-BR", None, "en") == "en"
    assert tr.resolve(None, "fr") == "de"


def test_every_shipped_plural_has_the_forms_its_language_needs() -> None:
    for code in LANGUAGES:
        catalog = _catalog(code)
        plurals = [m for m in catalog if m.pluralizable]
        assert plurals, "the catalogs contain plural messages"
        for message in plurals:
            assert len(message.string) == catalog.num_plurals


def test_names_and_numbers_are_isolated_in_right_to_left_text() -> None:
    from engine.i18n import FSI, PDI, Raw

    class Arabic(Translator):
        def is_rtl(self, language: str) -> bool:
            return True

    message = _("📍 District: {district}", district=Raw("Büdesheim"))
    assert tr_render(Arabic(), message) == f"📍 District: {FSI}Büdesheim{PDI}"
    assert tr_render(Translator(), message) == "📍 District: Büdesheim"


def tr_render(tr: Translator, message: object) -> str:
    return tr.render(message, "en")  # type: ignore[arg-type]


def test_the_deployment_extractor_reads_labels_as_toml_strings() -> None:
    """Non-ASCII labels, single-quoted, multi-line and escaped strings arrive as written."""
    source = (
        '[[categories]]\nid = "a"\nlabel = "Café visits"\n'
        "[[categories]]\nid = \"b\"\nlabel = 'Shopping \\ errands'\n"
        '[[categories]]\nid = "c"\nlabel = """Two\nlines"""\n'
        '[[categories]]\nid = "d"\nlabel = "Esc\\u00e4pe \\"q\\""\n'
    )
    found = list(extract_deployment(io.BytesIO(source.encode()), None, None, None))
    assert [(line, text) for line, _f, text, _c in found] == [
        (3, "Café visits"),
        (6, "Shopping \\ errands"),
        (9, "Two\nlines"),
        (13, 'Escäpe "q"'),
    ]
