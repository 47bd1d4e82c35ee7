"""Pushed messages of a call for helpers: the call with its two answers, "enough people came",
a place that became free, and the coordinator's message to everyone with a place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from engine.i18n import Written, _, lines, paragraphs
from engine.types import Button, Reply
from storage.models import (
    CrisisAnswer,
    CrisisAnswerState,
    CrisisCall,
    CrisisCallStatus,
    CrisisGroup,
    CrisisPost,
    DeliveryKind,
)
from storage.outbox import Addressee, Due
from vocabulary.actions import (
    CRISIS_CANCEL,
    CRISIS_NO,
    CRISIS_OFF,
    CRISIS_YES,
    SCOUT_ARRIVED,
    SCOUT_WRITE,
)
from vocabulary.crisis import card, group_text, online_task, venue

if TYPE_CHECKING:
    from push.compose import Batch


async def _open_call(
    batch: Batch, call_id: int | None, *, not_begun: bool = True
) -> CrisisCall | None:
    """The call, while it is open (and, for the call itself, has not begun)."""
    call = await batch.session.get(CrisisCall, call_id) if call_id is not None else None
    if call is None or call.status != CrisisCallStatus.OPEN:
        return None
    return None if not_begun and call.starts_at <= batch.now else call


def _full(call: CrisisCall, user: Addressee) -> Reply:
    text = paragraphs(
        _("🙏 Thank you! Enough people have come forward for this call:"),
        _("🚨 {what}", what=Written(call.what, call.language)),
        *online_task(call),
    )
    return Reply(text, user.language, broadcast=True)


async def _call(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    call = await _open_call(batch, delivery.subject_id)
    if call is None:
        return None
    if call.confirmed >= call.needed:  # full before this message went out
        return _full(call, user)
    text = paragraphs(
        _("🚨 Call for helpers from {agency}", agency=batch.deployment.agency.name),
        card(call, batch.deployment),
        _("Can you come? Please answer with a button."),
    )
    buttons = (
        (
            Button(f"{CRISIS_YES}{call.id}", _("✅ I'm coming")),
            Button(f"{CRISIS_NO}{call.id}", _("❌ Not this time")),
        ),
        (Button(CRISIS_OFF, _("🔕 No more calls like this")),),
    )
    # The place on the map comes with the answer "I'm coming": sent with the call to thousands,
    # it would double the messages (and, as paid broadcasts, the cost).
    return Reply(text, user.language, buttons, broadcast=True)


async def _full_now(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    call = await _open_call(batch, delivery.subject_id)
    return None if call is None else _full(call, user)


async def _moved_up(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    answer = await batch.session.get(CrisisAnswer, delivery.subject_id)
    if answer is None or answer.state != CrisisAnswerState.CONFIRMED:
        return None
    call = await _open_call(batch, answer.call_id, not_begun=False)
    if call is None:
        return None
    text = paragraphs(
        _("🎉 A place became free for you:"),
        _("🚨 {what}", what=Written(call.what, call.language)),
        group_text(call, answer.group_number, batch.deployment),
    )
    buttons = ((Button(f"{CRISIS_CANCEL}{call.id}", _("❌ I cannot come after all")),),)
    return Reply(text, user.language, buttons, venue=venue(call), broadcast=True)


async def _post(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    post = await batch.session.get(CrisisPost, delivery.subject_id)
    call = await _open_call(batch, post.call_id, not_begun=False) if post is not None else None
    if post is None or call is None:
        return None
    heading = (
        _("📣 About the call {what}:", what=Written(call.what, call.language))
        if post.group_number is None
        else _("🧭 Your scout writes to group {group}:", group=post.group_number)
    )
    return Reply(lines(heading, Written(post.text, post.language)), user.language, broadcast=True)


async def _group(batch: Batch, delivery: Due) -> tuple[CrisisGroup, CrisisCall] | None:
    group = await batch.session.get(CrisisGroup, delivery.subject_id)
    call = await _open_call(batch, group.call_id, not_begun=False) if group is not None else None
    return None if group is None or call is None else (group, call)


async def _scout(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    found = await _group(batch, delivery)
    if found is None or found[0].scout_id != user.id:
        return None
    group, call = found
    text = paragraphs(
        _(
            "🧭 You are the scout of group {group} for the call {what}.",
            group=group.number,
            what=Written(call.what, call.language),
        ),
        _(
            "Please lead your group to the meeting point. You can write to your group here, "
            "and tell us when everyone has arrived."
        ),
    )
    buttons = (
        (Button(f"{SCOUT_WRITE}{group.id}", _("📣 Write to my group")),),
        (Button(f"{SCOUT_ARRIVED}{group.id}", _("✅ My group has arrived")),),
    )
    return Reply(text, user.language, buttons)


async def _arrived(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    found = await _group(batch, delivery)
    if found is None or found[0].arrived_at is None:
        return None
    group, call = found
    text = _(
        "🧭 Group {group} has arrived at the meeting point: {what}",
        group=group.number,
        what=Written(call.what, call.language),
    )
    return Reply(text, user.language)


COMPOSERS: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.CRISIS_CALL: _call,
    DeliveryKind.CRISIS_FULL: _full_now,
    DeliveryKind.CRISIS_MOVED_UP: _moved_up,
    DeliveryKind.CRISIS_POST: _post,
    DeliveryKind.CRISIS_SCOUT: _scout,
    DeliveryKind.CRISIS_ARRIVED: _arrived,
}
