"""(being built)"""

from __future__ import annotations

from engine.i18n import _
from engine.steps import Action, Ctx, Flow, Outcome, Prompt, Return, Step
from engine.types import Button
from handlers.targets import EVENTS_FLOW

ACTIONS: dict[str, Action] = {}


def _back(ctx: Ctx, payload: str) -> Outcome:
    return Return()


FLOW = Flow(
    EVENTS_FLOW,
    start="list",
    steps={
        "list": Step(
            ask=lambda ctx: Prompt(_("📅 Events"), ((Button("back", _("↩️ Back")),),)),
            on_choice=_back,
            cancel=False,
        )
    },
)
