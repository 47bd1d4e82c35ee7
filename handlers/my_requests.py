"""A person's own requests: their status, withdrawing one, or asking for the same help again."""

from __future__ import annotations

from typing import Any

from engine.i18n import DateText, Text, _, _n, paragraphs
from engine.steps import EDITING, Ctx, Flow, Goto, Outcome, Prompt, Step
from engine.types import Button
from exchange import requests
from handlers import request
from handlers.targets import (
    MAIN_MENU,
    MY_REQUESTS_FLOW,
    NEW_REQUEST,
    NEW_REQUEST_FOR_SOMEONE,
    REQUEST_AGAIN,
)
from storage.models import HelpRequest, RequestStatus, Role
from vocabulary.labels import REQUEST_STATUSES, kind_label

PREFIX = "req:"
NEW = "requests:new"
MENU = "requests:menu"
WITHDRAW = "requests:withdraw"
AGAIN = "requests:again"
MOVE = "requests:move"
CONFIRM = "requests:withdraw:yes"
KEEP = "requests:withdraw:no"
LIST_LIMIT = 20


def draft_of(request: HelpRequest) -> dict[str, Any]:
    """A stored request as a draft of the request flow, to show it or ask for the same help again."""
    return {
        "for_other": request.for_other,
        "name": request.person_name,
        "phone": request.person_phone,
        "category": request.category,
        "district": request.district,
        "address": request.address,
        "languages": list(request.languages),
        "description": request.description,
    }


def _status(item: HelpRequest) -> Text:
    return REQUEST_STATUSES.get(item.status, REQUEST_STATUSES[RequestStatus.OPEN])


async def _request(ctx: Ctx) -> HelpRequest | None:
    """The request this dialogue is about, only if it belongs to the person."""
    if ctx.user is None or ctx.user.id is None:
        return None
    return await requests.own(ctx.session, ctx.user.id, ctx.data.get("request_id"))


def _label(ctx: Ctx, item: HelpRequest) -> Text:
    when: Text = DateText(item.day, short=True) if item.day else _("flexible")
    return _(
        "{kind} · {when} · {status}",
        kind=kind_label(ctx.deployment, item.category),
        when=when,
        status=_status(item),
    )


async def _ask_list(ctx: Ctx) -> Prompt:
    assert ctx.user is not None and ctx.user.id is not None
    items = await requests.asked_by(ctx.session, ctx.user.id, LIST_LIMIT)
    menu = (Button(MENU, _("🏠 Main menu")),)
    if not items:
        return Prompt(
            _("You have not asked for help yet."), ((Button(NEW, _("🆘 Ask for help")),), menu)
        )
    buttons = tuple((Button(f"{PREFIX}{item.id}", _label(ctx, item)),) for item in items)
    title = _n(
        "📋 You have {n} request. Choose it to see it.",
        "📋 You have {n} requests. Choose one to see it.",
        len(items),
    )
    return Prompt(title, (*buttons, menu))


async def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == MENU:
        return Goto(MAIN_MENU)
    if payload == NEW:
        return request.start(ctx.user is not None and ctx.user.role == Role.RELATIVE)
    ctx.data["request_id"] = int(payload.removeprefix(PREFIX))
    return Goto("detail")


async def _ask_detail(ctx: Ctx) -> Prompt:
    item = await _request(ctx)
    if item is None:
        return Prompt(_("This request no longer exists."), ())
    draft = draft_of(item)
    draft.update(
        day=item.day.isoformat() if item.day else None,
        part=item.part_of_day,
        at_time=item.at_time.strftime("%H:%M") if item.at_time else None,
    )
    status = _("Status: {status}", status=_status(item))
    buttons: list[tuple[Button, ...]] = []
    if item.status in requests.ACTIVE:
        if item.day is not None:
            buttons.append((Button(MOVE, _("🗓 Move to another day")),))
        buttons.append((Button(WITHDRAW, _("✖ Withdraw request")),))
    buttons.append((Button(AGAIN, _("🔁 Ask for this help again")),))
    return Prompt(paragraphs(request.summary_text(ctx, draft), status), tuple(buttons))


async def _detail_chosen(ctx: Ctx, payload: str) -> Outcome:
    item = await _request(ctx)
    if item is None:
        return Goto("list")
    if payload == WITHDRAW:
        return Goto("withdraw")
    draft = {**draft_of(item), EDITING: True}
    if payload == MOVE and item.status in requests.ACTIVE:
        # The same request on another day: sent, it replaces this one (whose volunteer, if any,
        # is told the old appointment is off), and matching starts afresh.
        draft["replaces"] = item.id
    return Goto(REQUEST_AGAIN, data=draft)


def _ask_withdraw(ctx: Ctx) -> Prompt:
    return Prompt(
        _("Do you really want to withdraw this request?"),
        ((Button(CONFIRM, _("Yes, withdraw it")), Button(KEEP, _("No, keep it"))),),
    )


async def _withdraw_chosen(ctx: Ctx, payload: str) -> Outcome:
    item = await _request(ctx)
    if payload == KEEP or item is None:
        return Goto("detail")
    await requests.withdraw(ctx.session, item, ctx.now)
    return Goto("list", notes=(_("The request has been withdrawn."),))


FLOW = Flow(
    MY_REQUESTS_FLOW,
    start="list",
    steps={
        "list": Step(
            ask=_ask_list,
            on_choice=_list_chosen,
            next=(MAIN_MENU, NEW_REQUEST, NEW_REQUEST_FOR_SOMEONE, "detail"),
            cancel=False,
        ),
        "detail": Step(
            ask=_ask_detail,
            on_choice=_detail_chosen,
            next=("list", "withdraw", REQUEST_AGAIN),
            back="list",
        ),
        "withdraw": Step(
            ask=_ask_withdraw, on_choice=_withdraw_chosen, next=("detail", "list"), back="detail"
        ),
    },
)
