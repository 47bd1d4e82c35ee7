"""Leading a conversation: applying a step's outcome to the stored state and asking what comes next.

The navigator knows the registered dialogues: it moves the conversation to the step an outcome
names (in this flow, another flow, a called flow and back), checks that a step leads only where it
declared, adds Back and Cancel to every question and remembers the buttons on offer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.i18n import Raw, Text, _, paragraphs
from engine.steps import (
    EDITING,
    SUMMARY,
    Call,
    Ctx,
    Dialogues,
    End,
    Goto,
    Outcome,
    Prompt,
    Retry,
    Return,
    Say,
    Step,
    Target,
    resolve,
)
from engine.types import Button, Reply, Turn

BACK = "nav:back"
CANCEL = "nav:cancel"


class UndeclaredTarget(AssertionError):
    """A step led somewhere it did not declare: a mistake in a dialogue's table."""


class Navigator:
    def __init__(self, dialogues: Dialogues) -> None:
        self.dialogues = dialogues
        self.flows = dialogues.flows
        self.entrances = dialogues.entrances

    def step(self, ctx: Ctx) -> Step:
        return self.flows[ctx.conversation.flow].steps[ctx.conversation.step]

    def declared(self, ctx: Ctx, outcome: Outcome) -> Outcome:
        """A step's outcome, if it leads where the step said it would (`Step.next`)."""
        match outcome:
            case Goto(to=to) | Call(to=to):
                flow, step = self.flows[ctx.conversation.flow], ctx.conversation.step
                if not flow.leads_to(step, to):
                    raise UndeclaredTarget(f"{flow.name}.{step} leads to {to}, not in its next")
        return outcome

    async def buttons(self, ctx: Ctx) -> list[Button]:
        prompt = await self.prompt(ctx)
        return [button for row in prompt.choices for button in row]

    def back_target(self, ctx: Ctx, step: Step) -> str | None:
        steps = self.flows[ctx.conversation.flow].steps
        if ctx.data.get(EDITING) and SUMMARY in steps:
            return SUMMARY
        target = step.back
        while target is not None:
            candidate = steps[target]
            if candidate.skip is None or not candidate.skip(ctx):
                return target
            target = candidate.back
        return None

    async def apply(self, ctx: Ctx, outcome: Outcome) -> Turn:
        conversation = ctx.conversation
        match outcome:
            case Retry(error=error):
                return await self.ask(ctx, (error,))
            case Say(
                text=text,
                buttons=buttons,
                file=file,
                venue=venue,
                alone=alone,
                broadcast=broadcast,
            ) if buttons or file is not None or venue is not None or alone:
                card = Reply(
                    text=text,
                    language=ctx.language,
                    buttons=buttons,
                    file=file,
                    venue=venue,
                    broadcast=broadcast,
                )
                if alone:
                    return Turn(replies=[card], language=ctx.language)
                turn = await self.ask(ctx, ())
                return replace(turn, replies=[card, *turn.replies])
            case Say(text=text):
                return await self.ask(ctx, (text,))
            case Goto(to=Target() as target, notes=notes, data=data, cards=cards):
                if target.flow != conversation.flow:
                    conversation.flow = target.flow
                    conversation.data = dict(data or {})
                elif data is not None:
                    conversation.data = dict(data)
                conversation.step = self.dialogues.step_of(target)
                return self._after(ctx, cards, await self._enter(ctx, notes))
            case Goto(to=str() as step, notes=notes, data=data, cards=cards):
                if data is not None:
                    conversation.data = dict(data)
                conversation.step = step
                return self._after(ctx, cards, await self._enter(ctx, notes))
            case Call(to=target, notes=notes, data=data):
                caller: dict[str, Any] = {
                    "flow": conversation.flow,
                    "step": conversation.step,
                    "data": conversation.data,
                }
                conversation.stack = [*conversation.stack, caller]
                conversation.flow = target.flow
                conversation.step = self.dialogues.step_of(target)
                conversation.data = dict(data or {})
                return await self._enter(ctx, notes)
            case Return(notes=notes):
                if not conversation.stack:
                    home = Goto(self.entrances.home, notes=notes)
                    return await self.apply(ctx, home if ctx.user else End(notes))
                *rest, frame = conversation.stack
                conversation.stack = rest
                conversation.flow, conversation.step = frame["flow"], frame["step"]
                conversation.data = dict(frame["data"])
                return await self._enter(ctx, notes)
            case End(notes=notes):
                conversation.flow = conversation.step = ""
                conversation.options = []
                text = paragraphs(*notes) if notes else _("Goodbye!")
                return Turn(
                    replies=[Reply(text=text, language=ctx.language)], language=ctx.language
                )
        raise AssertionError(f"unknown outcome {outcome!r}")

    def _after(self, ctx: Ctx, cards: tuple[Say, ...], turn: Turn) -> Turn:
        """The turn, with cards of their own (files a step made) sent before it."""
        sent = [
            Reply(text=card.text, language=ctx.language, buttons=card.buttons, file=card.file)
            for card in cards
        ]
        return replace(turn, replies=[*sent, *turn.replies])

    async def _enter(self, ctx: Ctx, notes: tuple[Text, ...]) -> Turn:
        """Ask the current step, skipping forward over steps that do not apply."""
        step = self.step(ctx)
        if step.skip is not None and step.skip(ctx):
            raise AssertionError(
                f"step {ctx.conversation.step} is skipped; its predecessor must route past it"
            )
        return await self.ask(ctx, notes)

    async def ask(self, ctx: Ctx, notes: tuple[Text, ...] | list[Text]) -> Turn:
        prompt = await self.prompt(ctx)
        ctx.conversation.options = [b.payload for row in prompt.choices for b in row]
        text = paragraphs(*notes, prompt.text) if notes else prompt.text
        reply = Reply(
            text=text,
            language=ctx.language,
            buttons=prompt.choices,
            request_location=prompt.request_location,
        )
        return Turn(replies=[*_forwarded(ctx, prompt), reply], language=ctx.language)

    async def prompt(self, ctx: Ctx) -> Prompt:
        """The current step's question with Back and Cancel added."""
        step = self.step(ctx)
        prompt: Prompt = await resolve(step.ask(ctx))
        nav: list[Button] = []
        if self.back_target(ctx, step) is not None:
            nav.append(Button(BACK, _("« Back")))
        if step.cancel:
            nav.append(Button(CANCEL, _("✖ Cancel")))
        if not nav:
            return prompt
        return replace(prompt, choices=(*prompt.choices, tuple(nav)))


def _forwarded(ctx: Ctx, prompt: Prompt) -> list[Reply]:
    """The photo and the voice message a question shows, each sent before it."""
    forwarded = []
    if prompt.photo is not None:
        forwarded.append(Reply(Raw(""), ctx.language, photo=prompt.photo))
    if prompt.voice is not None:
        forwarded.append(Reply(_("🎤 Voice message"), ctx.language, voice=prompt.voice))
    return forwarded
