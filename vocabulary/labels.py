"""The fixed answers and states several dialogues and pushes share: stored ids and their labels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from babel import Locale

from engine.i18n import DateText, LanguageName, Msg, Raw, Text, TimeText, Translator, WeekdayName, _
from storage.models import OpportunityStatus, RequestStatus
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

REQUEST_STATUSES: dict[RequestStatus, Msg] = {
    RequestStatus.OPEN: _("🔎 looking for a volunteer"),
    RequestStatus.MATCHED: _("🤝 volunteer found"),
    RequestStatus.DONE: _("✔️ done"),
    RequestStatus.CANCELLED: _("✖ withdrawn"),
    RequestStatus.EXPIRED: _("⌛ date passed"),
}

OPPORTUNITY_STATUSES: dict[OpportunityStatus, Msg] = {
    OpportunityStatus.OPEN: _("🟢 open"),
    OpportunityStatus.PAUSED: _("⏸ paused"),
    OpportunityStatus.CLOSED: _("✔️ closed"),
    OpportunityStatus.PENDING: _("⏳ waits for a coordinator"),
}

# What an organisation may ask volunteers to bring.
REQUIREMENTS: dict[str, Msg] = {
    "police_clearance": _("Police clearance certificate"),
    "driving_licence": _("Driving licence"),
    "first_aid": _("First-aid course"),
    "adults": _("Minimum age 18"),
}

# How often an opportunity recurs, as a choice and in a sentence.
SCHEDULES: dict[str, Msg] = {
    "weekly": _("🔁 Every week"),
    "monthly": _("🗓 Every month"),
    "flexible": _("🤷 Flexible"),
}
SCHEDULE_TEXTS: dict[str, Msg] = {
    "weekly": _("regularly, every week"),
    "monthly": _("regularly, every month"),
    "flexible": _("flexible"),
}


class CategoryLabel:
    """A help category with its emoji, translated for the reader."""

    def __init__(self, category: Category) -> None:
        self.category = category

    def render(self, tr: Translator, language: str) -> str:
        return f"{self.category.emoji} {tr.gettext(language, self.category.label)}"


class Joined:
    """Several texts in one line, as the reader's language lists them (CLDR's pattern between
    items: a comma in German, the Arabic comma in Persian); a dash when there are none."""

    def __init__(self, parts: Sequence[Text], separator: str | None = None) -> None:
        self.parts = tuple(parts)
        self.separator = separator

    def render(self, tr: Translator, language: str) -> str:
        rendered = [part.render(tr, language) for part in self.parts]
        if not rendered:
            return "–"
        if self.separator is not None:
            return self.separator.join(rendered)
        between = Locale.parse(tr.babel_locale(language)).list_patterns["standard"]["middle"]
        joined = rendered[0]
        for item in rendered[1:]:
            joined = between.format(joined, item)
        return joined


def category_options(deployment: Deployment) -> list[tuple[str, Text]]:
    return [(c.id, CategoryLabel(c)) for c in deployment.categories]


def category(deployment: Deployment, category_id: str) -> Category | None:
    return deployment.categories_by_id.get(category_id)


def kind_label(deployment: Deployment, category_id: str) -> Text:
    """The kind of help with its emoji, or its id if the deployment no longer has it."""
    kind = category(deployment, category_id)
    return CategoryLabel(kind) if kind else Raw(category_id)


def district_options(municipality: Municipality) -> list[tuple[str, Text]]:
    return [(d.id, Raw(d.name)) for d in municipality.districts]


def district_names(municipality: Municipality, ids: Sequence[str]) -> Joined:
    return Joined([Raw(d.name) for d in municipality.districts if d.id in ids])


def language_options() -> list[tuple[str, Text]]:
    return [(code, LanguageName(code)) for code in SPOKEN_LANGUAGES]


def language_names(codes: Sequence[str]) -> Joined:
    return Joined([LanguageName(code) for code in codes])


def slot_id(weekday: int, part: str) -> str:
    return f"{weekday}-{part}"


def slot_label(slot: str) -> Text:
    weekday, part = slot.split("-", 1)
    return _("{weekday} {part}", weekday=WeekdayName(int(weekday)), part=PARTS_OF_DAY[part])


def slot_options() -> list[tuple[str, Text]]:
    return [
        (slot_id(weekday, part), slot_label(slot_id(weekday, part)))
        for weekday in range(7)
        for part in PARTS_OF_DAY
    ]


def when_text(day: date | None, part: str | None, at_time: time | None) -> Text:
    """When help is needed, in words: "Dienstag, 24. November, 14:30" or "flexible"."""
    if day is None:
        return _("flexible")
    on = DateText(day)
    if at_time:
        return _("{day}, {time}", day=on, time=TimeText(at_time))
    return _("{day}, {part}", day=on, part=PARTS_OF_DAY[part or "morning"])


def schedule_text(day: date | None, schedule: str | None) -> Text:
    """A one-off date in words, or the schedule: "Tuesday, 24 November", "regularly, every week"."""
    if day is not None:
        return DateText(day)
    return SCHEDULE_TEXTS.get(schedule or "", _("not given"))


def requirement_names(ids: Sequence[str]) -> Joined:
    return Joined([REQUIREMENTS[i] for i in ids if i in REQUIREMENTS])
