"""The fixed answers several dialogues share: ids stored in the database and their labels."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.flow import Ctx
from handlers.i18n import LanguageName, Msg, Raw, Text, Translator, WeekdayName, _
from town.deployment import Category, Deployment, Municipality

PARTS_OF_DAY: dict[str, Msg] = {
    "morning": _("morning"),
    "afternoon": _("afternoon"),
    "evening": _("evening"),
}

# Languages people in the town speak, offered when asking which languages someone speaks.
SPOKEN_LANGUAGES = (
    "de", "en", "tr", "ar", "uk", "ru", "fa", "pl", "ro", "ku", "sq", "fr", "it", "es",
)  # fmt: skip


class CategoryLabel:
    """A help category with its emoji, translated for the reader."""

    def __init__(self, category: Category) -> None:
        self.category = category

    def render(self, tr: Translator, language: str) -> str:
        return f"{self.category.emoji} {tr.gettext(language, self.category.label)}"


class Joined:
    """Several texts in one line, separated by commas; a dash when there are none."""

    def __init__(self, parts: Sequence[Text]) -> None:
        self.parts = tuple(parts)

    def render(self, tr: Translator, language: str) -> str:
        return ", ".join(part.render(tr, language) for part in self.parts) or "–"


def category_options(deployment: Deployment) -> list[tuple[str, Text]]:
    return [(c.id, CategoryLabel(c)) for c in deployment.categories]


def category(deployment: Deployment, category_id: str) -> Category | None:
    return deployment.categories_by_id.get(category_id)


def home_municipality(ctx: Ctx) -> Municipality:
    """The person's municipality, or the first of the deployment if they have none yet."""
    chosen = ctx.user.municipality if ctx.user is not None else None
    return ctx.deployment.municipality(chosen) or ctx.deployment.municipalities[0]


def district_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(d.id, Raw(d.name)) for d in home_municipality(ctx).districts]


def district_names(ctx: Ctx, ids: Sequence[str]) -> Joined:
    municipality = home_municipality(ctx)
    names = [Raw(d.name) for d in municipality.districts if d.id in ids]
    return Joined(names)


def language_options(_ctx: Ctx) -> list[tuple[str, Text]]:
    return [(code, LanguageName(code)) for code in SPOKEN_LANGUAGES]


def language_names(codes: Sequence[str]) -> Joined:
    return Joined([LanguageName(code) for code in codes])


def slot_id(weekday: int, part: str) -> str:
    return f"{weekday}-{part}"


def slot_label(slot: str) -> Text:
    weekday, part = slot.split("-", 1)
    return _("{weekday} {part}", weekday=WeekdayName(int(weekday)), part=PARTS_OF_DAY[part])


def slot_options(_ctx: Ctx) -> list[tuple[str, Text]]:
    return [
        (slot_id(weekday, part), slot_label(slot_id(weekday, part)))
        for weekday in range(7)
        for part in PARTS_OF_DAY
    ]
