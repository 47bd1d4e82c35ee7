"""The plain-German check: the rules of Leichte Sprache that a machine can see in `de_simple`.

"Einfaches Deutsch" follows the rules of the Netzwerk Leichte Sprache: one statement per short
sentence, no passive, no genitive. No maintained library checks German text against those rules
(readability scores such as Flesch measure syllables, not grammar, and German parsers are far too
heavy for a catalog check), so this is a heuristic over the words themselves, strict enough to
catch a long sentence, a passive or a genitive slipping back in, and loose enough to need no
list of exceptions per message:

- a sentence (ended by . ! ? : ; a line break, or a dash between spaces) has at most
  `MAX_WORDS` words; a placeholder such as {name} counts as one word;
- a passive: a form of "werden" together with a past participle (ge…t, ge…en, …iert);
- a genitive: an article or preposition that asks for one (des, eines, wegen, während …);
- a plain entry identical to its standard German (`de`) entry of more than `IDENTICAL_OVER`
  words, which was copied rather than written plainly.

Common words, abbreviations and the medial dot need a reader: the catalog is reviewed for them.
"""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog

from locales.catalogs import Problem

PLAIN = "de_simple"
# Words in one sentence: Leichte Sprache aims at about eight, this allows a few more.
MAX_WORDS = 12
# Words in the standard German entry above which the plain entry must be written differently.
IDENTICAL_OVER = 8

_SENTENCE = re.compile(r"[.!?:;\n]+|\s[–-]\s")
# A placeholder, or letters joined by a hyphen, an apostrophe or the medial dot (Ehren·amt).
_WORD = re.compile(r"\{[^}]*\}|[^\W_]+(?:[-'·][^\W_]+)*")
_AUXILIARY = re.compile(r"\b(wird|werden|wirst|werde|wurde|wurden|worden)\b", re.IGNORECASE)
_PARTICIPLE = re.compile(r"\b(ge\w{3,}(?:t|en)|\w+iert)\b", re.IGNORECASE)
# Words that look like a participle but are not one.
_NOT_PARTICIPLES = frozenset(
    {
        "gegen",
        "gehen",
        "geben",
        "gelten",
        "genug",
        "gestern",
        "gerne",
        "gewinnen",
        "gefallen",
        "gehört",
        "gesundheit",
        "gemeinsam",
        "genau",
        "gerade",
        "gebiet",
    }
)
_GENITIVE = re.compile(
    r"\b(des|eines|meines|deines|seines|ihres|unseres|eures|wegen|trotz|während|innerhalb|"
    r"außerhalb|anhand|mithilfe|laut|statt|anstatt)\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """The sentences of a text, without the marks between them."""
    return [sentence for sentence in _SENTENCE.split(text) if sentence.strip()]


def words(sentence: str) -> list[str]:
    """The words of a sentence; a placeholder is one word, punctuation and emoji are none."""
    return _WORD.findall(sentence)


def problems(plain: str, standard: str | None) -> list[str]:
    """What breaks the rules in one plain-German text; `standard` is its standard German."""
    found: list[str] = []
    for sentence in sentences(plain):
        shown = repr(sentence.strip()[:60])
        count = len(words(sentence))
        if count > MAX_WORDS:
            found.append(f"{count} words in one sentence: {shown}")
        if _AUXILIARY.search(sentence) and any(
            participle.lower() not in _NOT_PARTICIPLES
            for participle in _PARTICIPLE.findall(sentence)
        ):
            found.append(f"passive: {shown}")
        if genitive := _GENITIVE.search(sentence):
            found.append(f"genitive marker {genitive.group(0)!r}: {shown}")
    if (
        standard is not None
        and plain.strip() == standard.strip()
        and len(words(standard)) > IDENTICAL_OVER
    ):
        found.append("identical to standard German")
    return found


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_plain(
    plain_catalog: Catalog, standard_catalog: Catalog, code: str = PLAIN
) -> list[Problem]:
    """Every plain-German entry that breaks the rules, compared with its standard German entry
    (a plural form with the standard form of the same number, else the last)."""
    found: list[Problem] = []
    for message in plain_catalog:
        if not message.id:
            continue
        msgid = _forms(message.id)[0]
        standard = standard_catalog.get(msgid)
        standard_forms = _forms(standard.string) if standard is not None else []
        for index, string in enumerate(_forms(message.string)):
            if not string:
                continue  # untranslated: check_catalog reports it
            compared = (
                standard_forms[min(index, len(standard_forms) - 1)] if standard_forms else None
            )
            found += [Problem(code, msgid, what) for what in problems(string, compared)]
    return found
