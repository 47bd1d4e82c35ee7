"""Translatable texts and the translator that renders them in a reader's language.

Handlers never produce final strings: they build `Text` values (a gettext message with parameters, a
raw user-supplied string, or several lines) that a channel renders for the reader with `Translator`.
Message ids are English; every language, German included, is a catalog.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Protocol

from babel import Locale
from babel.dates import format_skeleton, format_time, get_day_names
from babel.numbers import format_decimal
from babel.support import NullTranslations

from locales import DEFAULT_LANGUAGE, LANGUAGES, load_translations


class Text(Protocol):
    """Something a translator can turn into a string for one language."""

    def render(self, tr: Translator, language: str) -> str: ...


@dataclass(frozen=True)
class Msg:
    """A gettext message (singular or plural) and its named `{placeholders}`."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str | None = None
    n: int = 1

    def render(self, tr: Translator, language: str) -> str:
        if self.plural is None:
            template = tr.gettext(language, self.msgid)
        else:
            template = tr.ngettext(language, self.msgid, self.plural, self.n)
        if not self.params and self.plural is None:
            return template
        values = {name: _render_param(value, tr, language) for name, value in self.params.items()}
        values.setdefault("n", _render_param(self.n, tr, language))
        return _FORMATTER.vformat(template, (), values)


@dataclass(frozen=True)
class Raw:
    """Text that is not translated: user input, proper names, a language's name in itself."""

    text: str

    def render(self, tr: Translator, language: str) -> str:
        return self.text


@dataclass(frozen=True)
class Lines:
    """Several texts shown one below the other."""

    parts: tuple[Text, ...]
    separator: str = "\n"

    def render(self, tr: Translator, language: str) -> str:
        return self.separator.join(part.render(tr, language) for part in self.parts)


@dataclass(frozen=True)
class DateText:
    """A date in words in the reader's language: "Dienstag, 24. November", short "Di., 24. Nov."."""

    value: date
    short: bool = False

    def render(self, tr: Translator, language: str) -> str:
        locale = tr.babel_locale(language)
        if self.short and not tr.is_plain(language):
            return format_skeleton("MMMEd", self.value, locale=locale)
        day = format_skeleton("MMMMd", self.value, locale=locale)
        long = _("{weekday}, {day}", weekday=WeekdayName(self.value.weekday(), "wide"), day=day)
        return long.render(tr, language)


@dataclass(frozen=True)
class TimeText:
    """A time of day in the reader's locale ("14:30"; with `seconds`, "14:30:05")."""

    value: time
    seconds: bool = False

    def render(self, tr: Translator, language: str) -> str:
        form = "medium" if self.seconds else "short"
        return format_time(self.value, format=form, locale=tr.babel_locale(language))


@dataclass(frozen=True)
class WeekdayName:
    """A weekday's name (0 is Monday) in the reader's language."""

    index: int
    width: str = "abbreviated"

    def render(self, tr: Translator, language: str) -> str:
        width = "wide" if tr.is_plain(language) else self.width
        names = get_day_names(width, locale=tr.babel_locale(language))  # type: ignore[arg-type]
        return str(names[self.index])


@dataclass(frozen=True)
class LanguageName:
    """The name of a spoken language (ISO 639 code) in the reader's language."""

    code: str
    capitalized: bool = True

    def render(self, tr: Translator, language: str) -> str:
        name = str(Locale.parse(tr.babel_locale(language)).languages.get(self.code, self.code))
        return name[:1].upper() + name[1:] if self.capitalized else name


@dataclass(frozen=True)
class Written:
    """Free text as its author wrote it, in the reader's quotation marks, and marked with its
    language when the reader reads another ("„Bitte …“ (written in German)")."""

    text: str
    language: str

    def render(self, tr: Translator, language: str) -> str:
        start, end = (LANGUAGES.get(language) or LANGUAGES[tr.default]).quotes
        quoted = f"{start}{self.text}{end}"
        if tr.base_language(self.language) == tr.base_language(language):
            return quoted
        name = LanguageName(tr.base_language(self.language), capitalized=False)
        note = _("(written in {language})", language=name)
        return f"{quoted} {note.render(tr, language)}"


def _(msgid: str, /, **params: object) -> Msg:
    """Mark a message for translation; it is rendered later in the reader's language."""
    return Msg(msgid, params)


def _n(singular: str, plural: str, n: int, /, **params: object) -> Msg:
    """Mark a plural message for translation; `{n}` is available as a placeholder."""
    return Msg(singular, params, plural=plural, n=n)


def lines(*parts: Text) -> Lines:
    """Join texts line by line."""
    return Lines(tuple(parts))


def paragraphs(*parts: Text) -> Lines:
    """Join texts with a blank line between them."""
    return Lines(tuple(parts), "\n\n")


# First Strong Isolate ... Pop Directional Isolate: embedded text keeps its own direction.
FSI, PDI = "\u2068", "\u2069"


def _render_param(value: object, tr: Translator, language: str) -> str:
    """Render a placeholder's value; in right-to-left languages, isolate everything that is not
    itself a translated message (names, numbers, addresses, lists), so it cannot scramble the
    sentence around it."""
    render = getattr(value, "render", None)
    if callable(render):
        text = str(render(tr, language))
    elif isinstance(value, int) and not isinstance(value, bool):
        text = format_decimal(value, locale=tr.babel_locale(language))
    else:
        text = str(value)
    if tr.is_rtl(language) and not isinstance(value, Msg):
        return f"{FSI}{text}{PDI}"
    return text


_FORMATTER = string.Formatter()


class Translator:
    """Loads the compiled catalogs once and translates with the language passed explicitly."""

    def __init__(self, languages: Iterable[str] = LANGUAGES, default: str = DEFAULT_LANGUAGE):
        self.default = default
        self._catalogs: dict[str, NullTranslations] = {}
        for code in languages:
            self._catalogs[code] = load_translations(code)

    @property
    def languages(self) -> list[str]:
        return list(self._catalogs)

    def resolve(self, *candidates: str | None) -> str:
        """Return the first candidate language the bot speaks (`de-AT` counts as `de`), else the default."""
        for candidate in candidates:
            if not candidate:
                continue
            code = candidate.replace("_", "-").split("-")[0].lower()
            if candidate in self._catalogs:
                return candidate
            if code in self._catalogs:
                return code
        return self.default

    @staticmethod
    def base_language(language: str) -> str:
        """The language itself, without variants: plain German is German."""
        return language.split("_", 1)[0]

    def is_plain(self, language: str) -> bool:
        known = LANGUAGES.get(language)
        return known is not None and known.plain

    def is_rtl(self, language: str) -> bool:
        known = LANGUAGES.get(language)
        return known is not None and known.rtl

    def babel_locale(self, language: str) -> str:
        """The Babel locale that formats dates, numbers and names for a language."""
        known = LANGUAGES.get(language) or LANGUAGES[self.default]
        return known.babel_locale

    def _catalog(self, language: str) -> NullTranslations:
        return self._catalogs.get(language) or self._catalogs[self.default]

    def gettext(self, language: str, msgid: str) -> str:
        return self._catalog(language).gettext(msgid)

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        return self._catalog(language).ngettext(singular, plural, n)

    def render(self, text: Text, language: str) -> str:
        return text.render(self, language)
