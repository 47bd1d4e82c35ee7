"""What we keep of typed text, and how typed text is compared with a button's label."""

from __future__ import annotations

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
