"""/delete: the person confirms, and everything stored about them is erased (`exchange.privacy`)."""

from __future__ import annotations

from engine.i18n import _
from engine.steps import Ctx, End, Flow, Goto, Outcome, Prompt, Step
from engine.types import Button
from exchange import people, privacy
from handlers.targets import MAIN_MENU, PRIVACY

ERASE = "privacy:erase"
KEEP = "privacy:keep"


def _ask_confirm(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "Do you want us to delete everything we store about you? Your open requests will be "
            "withdrawn and your volunteer profile erased. This cannot be undone."
        ),
        ((Button(ERASE, _("🗑 Yes, delete everything")), Button(KEEP, _("No, keep it"))),),
    )


async def _confirmed(ctx: Ctx, payload: str) -> Outcome:
    if payload == KEEP or ctx.user is None:
        kept = (_("Nothing has been deleted."),)
        # A blocked person has no menu; they may come back with /mydata or /delete.
        return End(notes=kept) if people.is_blocked(ctx.user) else Goto(MAIN_MENU, notes=kept)
    await privacy.erase(ctx.session, ctx.deployment, ctx.user, ctx.now)
    ctx.user = None
    return End(
        notes=(
            _(
                "Everything we stored about you has been deleted. Thank you for your time with us. "
                "If you want to come back, send /start."
            ),
        )
    )


FLOW = Flow(
    PRIVACY,
    start="confirm",
    steps={"confirm": Step(ask=_ask_confirm, on_choice=_confirmed, next=(MAIN_MENU,))},
)
