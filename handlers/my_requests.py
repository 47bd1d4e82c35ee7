"""A person's own requests: their status, withdrawing one, or asking for the same help again."""

from __future__ import annotations

from sqlmodel import col, select

from handlers import request
from handlers.flow import EDITING, Ctx, Flow, Goto, Outcome, Prompt, Step
from handlers.i18n import DateText, Msg, Text, _, _n, paragraphs
from handlers.types import Button
from handlers.vocabulary import CategoryLabel, category
from storage.models import HelpRequest, Match, VolunteerProfile
from storage.outbox import enqueue

PREFIX = "req:"
NEW = "requests:new"
MENU = "requests:menu"
WITHDRAW = "requests:withdraw"
AGAIN = "requests:again"
CONFIRM = "requests:withdraw:yes"
KEEP = "requests:withdraw:no"
LIST_LIMIT = 20

STATUS: dict[str, Msg] = {
    "open": _("🔎 looking for a volunteer"),
    "matched": _("🤝 volunteer found"),
    "done": _("✔️ done"),
    "cancelled": _("✖ withdrawn"),
    "expired": _("⌛ date passed"),
}
ACTIVE = ("open", "matched")


async def _own_requests(ctx: Ctx) -> list[HelpRequest]:
    assert ctx.user is not None
    query = (
        select(HelpRequest)
        .where(HelpRequest.asker_id == ctx.user.id)
        .order_by(col(HelpRequest.created_at).desc())
        .limit(LIST_LIMIT)
    )
    return list((await ctx.session.exec(query)).all())


async def _request(ctx: Ctx) -> HelpRequest | None:
    """The request this dialogue is about, only if it belongs to the person."""
    found = await ctx.session.get(HelpRequest, ctx.data.get("request_id"))
    if found is None or ctx.user is None or found.asker_id != ctx.user.id:
        return None
    return found


def _label(ctx: Ctx, item: HelpRequest) -> Text:
    kind = category(ctx.deployment, item.category)
    when: Text = DateText(item.day, short=True) if item.day else _("flexible")
    return _(
        "{kind} · {when} · {status}",
        kind=CategoryLabel(kind) if kind else item.category,
        when=when,
        status=STATUS.get(item.status, STATUS["open"]),
    )


async def _ask_list(ctx: Ctx) -> Prompt:
    items = await _own_requests(ctx)
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
        return Goto("main", flow="menu")
    if payload == NEW:
        return request.start(ctx.user is not None and ctx.user.role == "relative")
    ctx.data["request_id"] = int(payload.removeprefix(PREFIX))
    return Goto("detail")


async def _ask_detail(ctx: Ctx) -> Prompt:
    item = await _request(ctx)
    if item is None:
        return Prompt(_("This request no longer exists."), ())
    draft = request.draft_of(item)
    draft.update(
        day=item.day.isoformat() if item.day else None,
        part=item.part_of_day,
        at_time=item.at_time.strftime("%H:%M") if item.at_time else None,
    )
    status = _("Status: {status}", status=STATUS.get(item.status, STATUS["open"]))
    buttons: list[tuple[Button, ...]] = []
    if item.status in ACTIVE:
        buttons.append((Button(WITHDRAW, _("✖ Withdraw request")),))
    buttons.append((Button(AGAIN, _("🔁 Ask for this help again")),))
    return Prompt(paragraphs(request.summary_text(ctx, draft), status), tuple(buttons))


async def _detail_chosen(ctx: Ctx, payload: str) -> Outcome:
    item = await _request(ctx)
    if item is None:
        return Goto("list")
    if payload == WITHDRAW:
        return Goto("withdraw")
    draft = {**request.draft_of(item), EDITING: True}
    return Goto("day", flow="request", data=draft)


async def _tell_volunteer(ctx: Ctx, item: HelpRequest) -> None:
    """The volunteer who accepted learns that they need not come."""
    found = (
        await ctx.session.exec(
            select(Match, VolunteerProfile)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
            .where(Match.request_id == item.id, Match.state == "accepted")
        )
    ).first()
    if found is None:
        return
    match, profile = found
    match.state = "cancelled"
    ctx.session.add(match)
    await enqueue(
        ctx.session,
        user_id=profile.user_id,
        kind="request_withdrawn",
        subject_id=match.id,
        due_at=ctx.now,
        now=ctx.now,
    )


def _ask_withdraw(ctx: Ctx) -> Prompt:
    return Prompt(
        _("Do you really want to withdraw this request?"),
        ((Button(CONFIRM, _("Yes, withdraw it")), Button(KEEP, _("No, keep it"))),),
    )


async def _withdraw_chosen(ctx: Ctx, payload: str) -> Outcome:
    item = await _request(ctx)
    if payload == KEEP or item is None:
        return Goto("detail")
    if item.status in ACTIVE:
        if item.status == "matched":
            await _tell_volunteer(ctx, item)
        item.status = "cancelled"
        item.updated_at = ctx.now
        ctx.session.add(item)
    return Goto("list", notes=(_("The request has been withdrawn."),))


FLOW = Flow(
    "requests",
    start="list",
    steps={
        "list": Step(ask=_ask_list, on_choice=_list_chosen, cancel=False),
        "detail": Step(ask=_ask_detail, on_choice=_detail_chosen, back="list"),
        "withdraw": Step(ask=_ask_withdraw, on_choice=_withdraw_chosen, back="detail"),
    },
)
