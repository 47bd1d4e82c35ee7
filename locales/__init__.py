"""Translation catalogs of the bot and the table of languages it ships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
