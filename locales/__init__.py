"""Translation catalogs of the bot and the table of languages it ships."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
DEFAULT_LANGUAGE = "de"


@dataclass(frozen=True)
class Language:
    """A language the bot speaks: its catalog code, its name in itself and its writing direction."""

    code: str
    endonym: str
    babel_locale: str
    rtl: bool = False
    quotes: tuple[str, str] = ("“", "”")
    # Plain language: no abbreviations, so weekdays and months are written out.
    plain: bool = False


# The order is the order of the language menu (after the language proposed to the user).
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("de", "Deutsch", "de_DE", quotes=("„", "“")),
        Language("de_simple", "Einfaches Deutsch", "de_DE", quotes=("„", "“"), plain=True),
        Language("en", "English", "en_GB"),
        Language("tr", "Türkçe", "tr_TR"),
        Language("ar", "العربية", "ar_SY", rtl=True, quotes=("«", "»")),
        Language("uk", "Українська", "uk_UA", quotes=("«", "»")),
        Language("ru", "Русский", "ru_RU", quotes=("«", "»")),
        Language("fa", "فارسی / دری", "fa_IR", rtl=True, quotes=("«", "»")),
        Language("pl", "Polski", "pl_PL", quotes=("„", "”")),
        Language("ro", "Română", "ro_RO", quotes=("„", "”")),
    )
}


def catalog_path(code: str) -> Path:
    """Return the path of the .po catalog of a shipped language."""
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


class MissingCatalog(RuntimeError):
    """A shipped language without its catalog: the bot would answer in English unnoticed."""


def load_translations(code: str) -> Translations:
    """The compiled catalog of a shipped language; compiled from its .po in memory when the .mo
    is missing or older (an installed wheel, a checkout without `make`), so no install step can
    leave a language untranslated. Raises `MissingCatalog` when there is no catalog at all."""
    po = catalog_path(code)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as file:
            return Translations(file, domain=DOMAIN)
    if not po.exists():
        raise MissingCatalog(f"no translation catalog for {code!r} ({po})")
    with po.open("rb") as file:
        catalog = read_po(file, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
