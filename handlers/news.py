"""(being built)"""

from __future__ import annotations

from engine.i18n import _
from engine.steps import Action, Ctx, Flow, Outcome, Prompt, Return, Step
from engine.types import Button
from handlers.targets import NEWS_FLOW

ACTIONS: dict[str, Action] = {}


def _back(ctx: Ctx, payload: str) -> Outcome:
    return Return()


FLOW = Flow(
    NEWS_FLOW,
    start="settings",
    steps={
        "settings": Step(
            ask=lambda ctx: Prompt(_("🔔 News"), ((Button("back", _("↩️ Back")),),)),
            on_choice=_back,
            cancel=False,
        )
    },
)
