"""How items of the Spendenbörse read: their kinds, condition and handover, for the dialogue and
the pushes alike (the ids are the domain's, `exchange.donations`)."""

from __future__ import annotations

from engine.i18n import Msg, _

CATEGORIES: dict[str, Msg] = {
    "furniture": _("🛋 Furniture"),
    "clothing": _("👕 Clothing"),
    "household": _("🍳 Household"),
    "toys": _("🧸 Toys"),
    "school": _("🎒 School things"),
    "technology": _("💻 Technology"),
}
CONDITIONS: dict[str, Msg] = {
    "new": _("✨ new"),
    "good": _("👍 good condition"),
    "used": _("♻️ used"),
}
HANDOVERS: dict[str, Msg] = {
    "pickup": _("🚶 to pick up"),
    "delivery": _("🚗 can be brought"),
    "either": _("🔁 pick up or brought"),
}
