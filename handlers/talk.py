"""Support for the supporters: a volunteer asks to talk about a help, in confidence.

What they write or say becomes a case only the coordinators see (a district's sponsor does not);
then, as with every call-back, they leave a phone number or ask for an answer in the chat, and are
told who answers and when. A counsellor named in the deployment file is offered besides.
"""

from __future__ import annotations

from engine.i18n import Raw, Text, _, paragraphs
from engine.steps import Action, Ctx, Flow, Goto, Outcome, Prompt, Return, Say, Step
from engine.types import Button
from engine.widgets import too_long
from handlers import contact
from handlers.contact import NOTE_LIMIT
from handlers.targets import CALL_BACK_PHONE, TALK, TALK_FLOW
from storage.models import CaseKind, Role
from vocabulary import actions

BACK = "talk:back"


def _ask_write(ctx: Ctx) -> Prompt:
    parts: list[Text] = [
        _(
            "🤲 What would you like to talk about? Write it here, or send a voice message. Only "
            "the coordinators read it, in confidence. They will get back to you."
        )
    ]
    counsellor = ctx.deployment.agency.counsellor
    if counsellor is not None:
        reach = f"{counsellor.name}, {counsellor.phone}" if counsellor.phone else counsellor.name
        parts.append(_("You can also call: {counsellor}", counsellor=Raw(reach)))
    return Prompt(paragraphs(*parts), ((Button(BACK, _("↩️ Back")),),))


async def _written(ctx: Ctx, text: str) -> Outcome:
    if (refused := too_long(text, NOTE_LIMIT)) is not None:
        return refused
    return await contact.call_back(ctx, note=text.strip(), kind=CaseKind.TALK)


async def _spoken(ctx: Ctx, voice: str) -> Outcome:
    return await contact.call_back(ctx, voice=voice, kind=CaseKind.TALK)


def _back(ctx: Ctx, payload: str) -> Outcome:
    return Return()


async def open_talk(ctx: Ctx, payload: str) -> Outcome:
    """💬 on the message offered after a difficult help."""
    if ctx.user is None or ctx.user.role != Role.VOLUNTEER:
        return Say(_("This button is no longer valid."))
    return Goto(TALK)


ACTIONS: dict[str, Action] = {actions.TALK: open_talk}

FLOW = Flow(
    TALK_FLOW,
    start="write",
    steps={
        "write": Step(
            ask=_ask_write,
            on_choice=_back,
            on_text=_written,
            on_voice=_spoken,
            next=(CALL_BACK_PHONE,),
            cancel=False,
        )
    },
)
