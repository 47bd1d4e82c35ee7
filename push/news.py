"""Pushed newsletters and campaigns, each in the reader's language where a version exists, and the
count for their author once all went out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from engine.i18n import Msg, Raw, Written, _, paragraphs
from engine.types import Button, Reply
from exchange import documents, newsletters
from storage.models import DeliveryKind, Document, NewsKind, Newsletter, NewsletterStatus
from storage.outbox import Addressee, Due
from vocabulary.actions import SEND_DOCUMENT, STOP_NEWS

if TYPE_CHECKING:
    from push.compose import Batch

STOP: dict[NewsKind, Msg] = {
    NewsKind.EVENTS: _("🔕 No more event news"),
    NewsKind.CAMPAIGNS: _("🔕 No more campaigns"),
    NewsKind.NEWSLETTERS: _("🔕 No more newsletters"),
}


def stop_button(kind: NewsKind) -> Button:
    """The tap on the message itself that stops this kind of news."""
    return Button(f"{STOP_NEWS}{kind.value}", STOP[kind])


async def _newsletter(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    newsletter = await batch.session.get(Newsletter, delivery.subject_id)
    if newsletter is None or newsletter.status == NewsletterStatus.CANCELLED:
        return None
    if not await newsletters.wants(batch.session, user.id, newsletter.kind):
        return None  # stopped meanwhile
    version = await newsletters.version_for(batch.session, newsletter, user.language)
    if version is None:
        return None
    head = _("📣 Campaign") if newsletter.kind == NewsKind.CAMPAIGNS else _("📰 Newsletter")
    text = paragraphs(head, Written(version.text, version.language))
    buttons: tuple[tuple[Button, ...], ...] = ((stop_button(newsletter.kind),),)
    document = (
        await batch.session.get(Document, newsletter.document_id)
        if newsletter.document_id is not None
        else None
    )
    if document is not None and document.removed_at is None:
        label = _("📄 {title}", title=Raw(documents.title(document, user.language)))
        buttons = ((Button(f"{SEND_DOCUMENT}{document.id}", label),), *buttons)
    return Reply(text, user.language, buttons, photo=newsletter.photo)


async def _report(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    newsletter = await batch.session.get(Newsletter, delivery.subject_id)
    if newsletter is None or newsletter.reached is None:
        return None
    text = _(
        "📣 Your message went out: {reached} people reached, {unreachable} could not be reached "
        "(they left the bot or blocked it).",
        reached=newsletter.reached,
        unreachable=newsletter.unreachable or 0,
    )
    return Reply(text, user.language)


COMPOSERS: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.NEWSLETTER: _newsletter,
    DeliveryKind.NEWSLETTER_REPORT: _report,
}
