"""What we keep of typed text, and how typed text is compared with a button's label."""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """Case, punctuation and spacing aside: "Ja, gerne!" is "ja gerne"."""
    return " ".join("".join(ch for ch in text.casefold() if ch.isalnum() or ch.isspace()).split())


def clean_text(text: str) -> str:
    """What we keep of typed text: normalised, without control and invisible formatting characters.

    Zero-width characters and bidirectional overrides can disguise a name or reorder a sentence,
    and control characters have no place in a message; line breaks stay.
    """
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        ch
        if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        else " "
        if ch == "\t"
        else ""
        for ch in text
    )
    return "\n".join(" ".join(line.split()) for line in kept.strip().splitlines()).strip()


# Between the letters of a name: a space, a hyphen, an apostrophe (O'Neill, D’Angelo).
NAME_JOINERS = frozenset(" -'’")
NAME_WORDS = 4


def is_a_name(text: str) -> bool:
    """A person's name as others will read it: one line of letters (any script), joined by
    spaces, hyphens or apostrophes, in at most a few words. Nothing else can ride along in it, such
    as a line break with a forged safety word, a link, or a whole sentence."""
    if not text or not text[0].isalpha() or not text[-1].isalpha():
        return False
    if any(not (ch.isalpha() or ch in NAME_JOINERS) for ch in text):
        return False
    return len(text.split()) <= NAME_WORDS


# A phone number as people type it: digits, spaces, brackets, slashes and dashes.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()/-]{4,24}$")
