"""Reusable kinds of steps: single choice, multi-select with ✓, free text, and the summary/edit loop.

A long flow collects answers in its draft (`ctx.data`) and ends with a summary. Editing a field from
the summary runs that field's step once and comes back to the summary: `after()` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from handlers.flow import EDITING, SUMMARY, Ctx, Goto, MaybeAwaitable, Outcome, Prompt, Retry, Step
from handlers.i18n import Msg, Text, _
from handlers.types import Button

PICK = "pick:"
DONE = "done"
SKIP = "skip"

Options = Callable[[Ctx], Sequence[tuple[str, Text]]]
Next = Callable[[Ctx], MaybeAwaitable[Outcome]]


def after(ctx: Ctx, next_step: str) -> Goto:
    """Go on to `next_step`, or back to the summary when the person is editing one answer."""
    if ctx.data.pop(EDITING, False):
        return Goto(SUMMARY)
    return Goto(next_step)


def goto(next_step: str) -> Next:
    return lambda ctx: after(ctx, next_step)


def rows(buttons: Sequence[Button], columns: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))


def checked(label: Text, on: bool) -> Text:
    return _("✓ {label}", label=label) if on else label


def single_choice(
    key: str,
    question: Callable[[Ctx], Text],
    options: Options,
    then: Next,
    *,
    back: str | None = None,
    columns: int = 1,
) -> Step:
    """A question answered by one button; the choice is stored under `key`."""

    def ask(ctx: Ctx) -> Prompt:
        current = ctx.data.get(key)
        buttons = [
            Button(PICK + value, checked(label, value == current)) for value, label in options(ctx)
        ]
        return Prompt(question(ctx), rows(buttons, columns))

    def chosen(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        ctx.data[key] = payload.removeprefix(PICK)
        return then(ctx)

    return Step(ask=ask, on_choice=chosen, back=back)


def multi_select(
    key: str,
    question: Callable[[Ctx], Text],
    options: Options,
    then: Next,
    *,
    back: str | None = None,
    columns: int = 2,
    required: Msg | None = None,
    on_location: Callable[[Ctx, float, float], MaybeAwaitable[Outcome]] | None = None,
) -> Step:
    """Toggle any number of options (✓ marks the chosen ones), then Continue.

    With `required`, continuing with nothing chosen is answered with that message.
    """

    def ask(ctx: Ctx) -> Prompt:
        selected = set(ctx.data.get(key, []))
        buttons = [
            Button(PICK + value, checked(label, value in selected)) for value, label in options(ctx)
        ]
        done = (Button(DONE, _("➡️ Continue")),)
        return Prompt(question(ctx), (*rows(buttons, columns), done))

    def chosen(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        if payload == DONE:
            if required is not None and not ctx.data.get(key):
                return Retry(required)
            return then(ctx)
        value = payload.removeprefix(PICK)
        selected = list(ctx.data.get(key, []))
        if value in selected:
            selected.remove(value)
        else:
            selected.append(value)
        valid = [v for v, _label in options(ctx)]
        ctx.data[key] = [v for v in valid if v in selected]  # keep the options' order
        return Goto(ctx.conversation.step)

    return Step(ask=ask, on_choice=chosen, back=back, on_location=on_location)


def free_text(
    key: str,
    question: Callable[[Ctx], Text],
    then: Next,
    *,
    max_length: int,
    back: str | None = None,
    optional: bool = False,
    validate: Callable[[Ctx, str], Text | None] | None = None,
    skip: Callable[[Ctx], bool] | None = None,
) -> Step:
    """A question answered in words, at most `max_length` characters; optional ones can be skipped."""

    def ask(ctx: Ctx) -> Prompt:
        choices = ((Button(SKIP, _("Skip")),),) if optional else ()
        return Prompt(question(ctx), choices)

    def typed(ctx: Ctx, text: str) -> MaybeAwaitable[Outcome]:
        text = " ".join(text.split()) if "\n" not in text else text.strip()
        if len(text) > max_length:
            return Retry(
                _(
                    "That is {length} characters; please write at most {limit}.",
                    length=len(text),
                    limit=max_length,
                )
            )
        if validate is not None:
            problem = validate(ctx, text)
            if problem is not None:
                return Retry(problem)
        ctx.data[key] = text
        return then(ctx)

    def skipped(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        ctx.data[key] = None
        return then(ctx)

    return Step(
        ask=ask, on_text=typed, on_choice=skipped if optional else None, back=back, skip=skip
    )
