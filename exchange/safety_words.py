"""Safety words in each asker's language, with a Latin transliteration for volunteers who read
another script."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# Transliterations are spelt for a German reader: sch, tsch, ch, j for the y-sound, w for v, z = ts.

Pairs = tuple[tuple[str, str], ...]


def _latin(*words: str) -> Pairs:
    """A list in a Latin script: each word is its own transliteration."""
    return tuple((word, word) for word in words)


_DE = _latin(
    "Apfel", "Birne", "Sonne", "Mond", "Stern", "Blume", "Rose", "Tulpe", "Wolke", "Regen",
    "Fluss", "Rhein", "Berg", "Wald", "Baum", "Vogel", "Fisch", "Katze", "Hase", "Igel",
    "Brot", "Kaffee", "Tee", "Honig", "Zucker", "Kirsche", "Pflaume", "Traube", "Nuss", "Kerze",
)  # fmt: skip

_EN = _latin(
    "Apple", "Pear", "Sun", "Moon", "Star", "Flower", "Rose", "Tulip", "Cloud", "Rain",
    "River", "Lake", "Mountain", "Forest", "Tree", "Bird", "Fish", "Cat", "Rabbit", "Hedgehog",
    "Bread", "Coffee", "Tea", "Honey", "Sugar", "Cherry", "Plum", "Grape", "Walnut", "Lemon",
)  # fmt: skip

# Words a German reader says well enough: few of sz, cz, rz, ś, ż.
_PL = _latin(
    "Sarna", "Pies", "Ryba", "Ptak", "Lis", "Sowa", "Kawa", "Herbata", "Miód", "Cukier",
    "Chleb", "Mleko", "Ser", "Banan", "Cytryna", "Malina", "Morela", "Melon", "Arbuz", "Pomidor",
    "Tulipan", "Róża", "Kwiat", "Las", "Góra", "Gwiazda", "Chmura", "Lato", "Zima", "Lampa",
)  # fmt: skip

_RO = _latin(
    "Soare", "Stea", "Floare", "Nor", "Ploaie", "Munte", "Copac", "Iepure", "Arici", "Cafea",
    "Ceai", "Miere", "Prună", "Strugure", "Lalea", "Trandafir", "Pară", "Banană", "Morcov", "Lapte",
    "Vulpe", "Cal", "Fluture", "Măr", "Lună", "Nucă", "Pădure", "Pasăre", "Portocală", "Lampă",
)  # fmt: skip

# Words without c, ç, ş and ğ, which a German reader would say wrongly.
_TR = _latin(
    "Elma", "Armut", "Limon", "Muz", "Kiraz", "Erik", "Ayva", "Karpuz", "Domates", "Portakal",
    "Biber", "Lale", "Papatya", "Bulut", "Nehir", "Orman", "Deniz", "Göl", "Balık", "Kedi",
    "Kirpi", "Tilki", "Ördek", "Ekmek", "Kahve", "Bal", "Peynir", "Süt", "Üzüm", "Lamba",
)  # fmt: skip

_AR: Pairs = (
    ("تفاحة", "Tuffaha"), ("شمس", "Schams"), ("قمر", "Kamar"), ("نجمة", "Nadschma"),
    ("وردة", "Warda"), ("فراولة", "Farawla"), ("حصان", "Hisan"), ("زرافة", "Sarafa"),
    ("نهر", "Nahr"), ("جبل", "Dschabal"), ("شجرة", "Schadschara"), ("عصفور", "Usfur"),
    ("سمكة", "Samaka"), ("قطة", "Kitta"), ("أرنب", "Arnab"), ("خبز", "Chubs"),
    ("قهوة", "Kahwa"), ("شاي", "Schai"), ("عسل", "Asal"), ("سكر", "Sukkar"),
    ("كرز", "Karas"), ("عنب", "Inab"), ("ليمون", "Laimun"), ("برتقال", "Burtukal"),
    ("بطيخ", "Battich"), ("مشمش", "Mischmisch"), ("بحر", "Bahr"), ("حليب", "Halib"),
    ("فراشة", "Farascha"), ("بطة", "Batta"),
)  # fmt: skip

_FA: Pairs = (
    ("سیب", "Sib"), ("گلابی", "Golabi"), ("خورشید", "Chorschid"), ("ستاره", "Setare"),
    ("گل", "Gol"), ("لاله", "Lale"), ("ابر", "Abr"), ("باران", "Baran"),
    ("رود", "Rud"), ("اردک", "Ordak"), ("درخت", "Deracht"), ("پرنده", "Parande"),
    ("ماهی", "Mahi"), ("گربه", "Gorbe"), ("خرگوش", "Chargusch"), ("نان", "Nan"),
    ("قهوه", "Ghahwe"), ("چای", "Tschai"), ("عسل", "Asal"), ("شکر", "Schekar"),
    ("گیلاس", "Gilas"), ("آلو", "Alu"), ("انگور", "Angur"), ("گردو", "Gerdu"),
    ("لیمو", "Limu"), ("پرتقال", "Portegal"), ("هندوانه", "Hendewane"), ("دریا", "Darja"),
    ("پنیر", "Panir"), ("پروانه", "Parwane"),
)  # fmt: skip

_RU: Pairs = (
    ("Яблоко", "Jabloko"), ("Груша", "Gruscha"), ("Солнце", "Solnze"), ("Луна", "Luna"),
    ("Звезда", "Swesda"), ("Цветок", "Zwetok"), ("Роза", "Rosa"), ("Тюльпан", "Tjulpan"),
    ("Облако", "Oblako"), ("Река", "Reka"), ("Гора", "Gora"), ("Лес", "Les"),
    ("Дерево", "Derewo"), ("Птица", "Ptiza"), ("Рыба", "Riba"), ("Кошка", "Koschka"),
    ("Заяц", "Sajaz"), ("Ёж", "Josch"), ("Хлеб", "Chleb"), ("Кофе", "Kofe"),
    ("Чай", "Tschai"), ("Мёд", "Mjod"), ("Сахар", "Sachar"), ("Вишня", "Wischnja"),
    ("Арбуз", "Arbus"), ("Виноград", "Winograd"), ("Орех", "Orech"), ("Лимон", "Limon"),
    ("Малина", "Malina"), ("Море", "More"),
)  # fmt: skip

# Ukrainian г is an h; и is written i, as a German reader would hear it.
_UK: Pairs = (
    ("Яблуко", "Jabluko"), ("Груша", "Hruscha"), ("Сонце", "Sonze"), ("Зірка", "Sirka"),
    ("Квітка", "Kwitka"), ("Троянда", "Trojanda"), ("Тюльпан", "Tjulpan"), ("Хмара", "Chmara"),
    ("Річка", "Ritschka"), ("Гора", "Hora"), ("Ліс", "Lis"), ("Дерево", "Derewo"),
    ("Пташка", "Ptaschka"), ("Риба", "Riba"), ("Кішка", "Kischka"), ("Заєць", "Sajez"),
    ("Їжак", "Jischak"), ("Хліб", "Chlib"), ("Кава", "Kawa"), ("Чай", "Tschai"),
    ("Мед", "Med"), ("Цукор", "Zukor"), ("Вишня", "Wischnja"), ("Кавун", "Kawun"),
    ("Виноград", "Winohrad"), ("Горіх", "Horich"), ("Лимон", "Limon"), ("Малина", "Malina"),
    ("Море", "More"), ("Сова", "Sowa"),
)  # fmt: skip

_LISTS: dict[str, Pairs] = {
    "de": _DE, "en": _EN, "ar": _AR, "fa": _FA, "pl": _PL,
    "ro": _RO, "ru": _RU, "tr": _TR, "uk": _UK,
}  # fmt: skip


@dataclass(frozen=True)
class SafetyWord:
    word: str  # in the asker's language and script, with the number: "Солнце 42"
    latin: str  # the same in Latin script ("Solnze 42"); equal to `word` for Latin scripts


def draw(language: str) -> SafetyWord:
    """A word of the language's list and a number from 10 to 99, drawn with `secrets`."""
    word, latin = secrets.choice(_LISTS.get(language.split("_", 1)[0], _DE))
    number = secrets.randbelow(90) + 10
    return SafetyWord(word=f"{word} {number}", latin=f"{latin} {number}")


def lists() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every language's list (for tests)."""
    return dict(_LISTS)
