"""Reusable kinds of steps: single choice, multi-select with ✓, free text, and the summary/edit loop.

A long flow collects answers in its draft (`ctx.data`) and ends with a summary. Editing a field from
the summary runs that field's step once and comes back to the summary: `after()` decides. Each
widget takes `next`, where it leads: a step name (then it goes there) or, with `then` deciding at
run time, every place `then` may lead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from engine.i18n import Msg, Text, _, paragraphs
from engine.steps import (
    EDITING,
    SUMMARY,
    Ctx,
    Goto,
    MaybeAwaitable,
    Outcome,
    Prompt,
    Retry,
    Step,
    Target,
)
from engine.types import Button

PICK = "pick:"
CONTINUE = "continue"
SKIP = "skip"
EDIT = "edit"
FIELD = "field:"

Options = Callable[[Ctx], Sequence[tuple[str, Text]]]
Next = Callable[[Ctx], MaybeAwaitable[Outcome]]
Leads = str | Target | tuple[str | Target, ...]


def after(ctx: Ctx, next_step: str) -> Goto:
    """Go on to `next_step`, or back to the summary when the person is editing one answer."""
    if ctx.data.pop(EDITING, False):
        return Goto(SUMMARY)
    return Goto(next_step)


def goto(next_step: str) -> Next:
    return lambda ctx: after(ctx, next_step)


def _route(next: Leads, then: Next | None) -> tuple[Next, tuple[str | Target, ...]]:
    """The callback that continues, and the targets it may lead to."""
    declared = next if isinstance(next, tuple) else (next,)
    if then is not None:
        return then, declared
    if not isinstance(next, str):
        raise TypeError("a step leading to several places, or to another flow, needs `then`")
    return goto(next), declared


def too_long(text: str, limit: int) -> Retry | None:
    """The answer to text longer than `limit` characters, or None when it fits."""
    if len(text) <= limit:
        return None
    return Retry(
        _(
            "That is {length} characters; please write at most {limit}.",
            length=len(text),
            limit=limit,
        )
    )


def rows(buttons: Sequence[Button], columns: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))


def checked(label: Text, on: bool) -> Text:
    return _("✓ {label}", label=label) if on else label


def single_choice(
    key: str,
    question: Callable[[Ctx], Text],
    options: Options,
    *,
    next: Leads,
    then: Next | None = None,
    back: str | None = None,
    columns: int = 1,
    skip: Callable[[Ctx], bool] | None = None,
) -> Step:
    """A question answered by one button; the choice is stored under `key`."""
    proceed, declared = _route(next, then)

    def ask(ctx: Ctx) -> Prompt:
        current = ctx.data.get(key)
        buttons = [
            Button(PICK + value, checked(label, value == current)) for value, label in options(ctx)
        ]
        return Prompt(question(ctx), rows(buttons, columns))

    def chosen(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        ctx.data[key] = payload.removeprefix(PICK)
        return proceed(ctx)

    return Step(ask=ask, on_choice=chosen, next=declared, back=back, skip=skip)


def multi_select(
    key: str,
    question: Callable[[Ctx], Text],
    options: Options,
    *,
    next: Leads,
    then: Next | None = None,
    back: str | None = None,
    columns: int = 2,
    required: Msg | None = None,
    on_location: Callable[[Ctx, float, float], MaybeAwaitable[Outcome]] | None = None,
) -> Step:
    """Toggle any number of options (✓ marks the chosen ones), then Continue.

    With `required`, continuing with nothing chosen is answered with that message.
    """
    proceed, declared = _route(next, then)

    def ask(ctx: Ctx) -> Prompt:
        selected = set(ctx.data.get(key, []))
        buttons = [
            Button(PICK + value, checked(label, value in selected)) for value, label in options(ctx)
        ]
        done = (Button(CONTINUE, _("➡️ Continue")),)
        return Prompt(question(ctx), (*rows(buttons, columns), done))

    def chosen(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        if payload == CONTINUE:
            if required is not None and not ctx.data.get(key):
                return Retry(required)
            return proceed(ctx)
        value = payload.removeprefix(PICK)
        selected = list(ctx.data.get(key, []))
        if value in selected:
            selected.remove(value)
        else:
            selected.append(value)
        valid = [v for v, _label in options(ctx)]
        ctx.data[key] = [v for v in valid if v in selected]  # keep the options' order
        return Goto(ctx.conversation.step)

    return Step(ask=ask, on_choice=chosen, next=declared, back=back, on_location=on_location)


def free_text(
    key: str,
    question: Callable[[Ctx], Text],
    *,
    next: Leads,
    then: Next | None = None,
    max_length: int,
    back: str | None = None,
    optional: bool = False,
    one_line: bool = False,
    validate: Callable[[Ctx, str], Text | None] | None = None,
    skip: Callable[[Ctx], bool] | None = None,
    skip_label: Msg | None = None,
) -> Step:
    """A question answered in words, at most `max_length` characters; optional ones can be skipped
    (with a button labelled `skip_label`, "Skip" by default).

    `one_line` keeps a name or a title on one line, whatever line breaks were typed.
    """
    proceed, declared = _route(next, then)

    def ask(ctx: Ctx) -> Prompt:
        choices = ((Button(SKIP, skip_label or _("Skip")),),) if optional else ()
        return Prompt(question(ctx), choices)

    def typed(ctx: Ctx, text: str) -> MaybeAwaitable[Outcome]:
        text = " ".join(text.split()) if one_line or "\n" not in text else text.strip()
        if (refused := too_long(text, max_length)) is not None:
            return refused
        if validate is not None:
            problem = validate(ctx, text)
            if problem is not None:
                return Retry(problem)
        ctx.data[key] = text
        return proceed(ctx)

    def skipped(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        ctx.data[key] = None
        return proceed(ctx)

    return Step(
        ask=ask,
        on_text=typed,
        on_choice=skipped if optional else None,
        next=declared,
        back=back,
        skip=skip,
    )


def summary(
    text: Callable[[Ctx], Text],
    *,
    fields: Mapping[str, Msg],
    submit: Button,
    on_submit: Next,
    next: tuple[str | Target, ...],
    shown: Callable[[Ctx], Iterable[str]] | None = None,
    direct: Callable[[Ctx], Iterable[str]] | None = None,
) -> dict[str, Step]:
    """The end of a long flow: the answers to check, `submit` to commit them, or one to change.

    `fields` are the steps that ask each answer, with their labels in the list of what can be
    changed (`shown` leaves some out for some people); `on_submit` commits and leads to `next`.
    `direct` names the fields changed right from the summary, one button each: the answers the
    flow did not ask but set to a default. The steps are named SUMMARY and "edit".
    """

    def ask_summary(ctx: Ctx) -> Prompt:
        keys = list(direct(ctx)) if direct is not None else []
        shortcuts = [Button(FIELD + key, _("✏️ {field}", field=fields[key])) for key in keys]
        buttons = ((submit,), *rows(shortcuts, 2), (Button(EDIT, _("✏️ Change something")),))
        return Prompt(paragraphs(text(ctx), _("Is everything right?")), buttons)

    def summary_chosen(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        if payload == EDIT:
            return Goto(EDIT)
        if payload.startswith(FIELD):
            return edit_chosen(ctx, payload)
        return on_submit(ctx)

    def ask_edit(ctx: Ctx) -> Prompt:
        keys = list(shown(ctx)) if shown is not None else list(fields)
        buttons = [Button(FIELD + key, fields[key]) for key in keys]
        return Prompt(_("What would you like to change?"), rows(buttons, 2))

    def edit_chosen(ctx: Ctx, payload: str) -> Outcome:
        ctx.data[EDITING] = True
        return Goto(payload.removeprefix(FIELD))

    return {
        SUMMARY: Step(ask=ask_summary, on_choice=summary_chosen, next=(EDIT, *fields, *next)),
        EDIT: Step(ask=ask_edit, on_choice=edit_chosen, next=tuple(fields), back=SUMMARY),
    }
