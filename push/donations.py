"""The pushes of the Spendenbörse: an offered item fits a wish (to the wisher), someone would like
an item (to the giver), and the giver's answer (to the wisher).

Each composes to None when its pair or items changed meanwhile (taken, withdrawn, expired), so a
message that waited in the outbox never offers what is gone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from engine.i18n import Raw, Text, Written, _, lines, paragraphs
from engine.steps import ACTION_PREFIX
from engine.types import Button, Reply
from exchange import donations, relays
from exchange.donations import Paired
from storage.models import DeliveryKind, Donation, DonationPairState, DonationSide, DonationStatus
from storage.outbox import Addressee, Due
from town.deployment import Deployment
from vocabulary.cards import write_button
from vocabulary.donations import CATEGORIES, CONDITIONS, HANDOVERS
from vocabulary.labels import Joined

if TYPE_CHECKING:
    from push.compose import Batch

# The same labels as `handlers.donations` (a test keeps them equal): push and handlers cannot share.


def _button(verb: str, pair_id: int, label: Text) -> Button:
    return Button(f"{ACTION_PREFIX}{donations.ACTION}:{verb}:{pair_id}", label)


def _district(deployment: Deployment, donation: Donation) -> Text:
    place = deployment.municipality(donation.municipality)
    found = place.district(donation.district) if place is not None else None
    return Raw(found.name if found is not None else donation.district)


def _category(donation: Donation) -> Text:
    return CATEGORIES.get(donation.category) or Raw(donation.category)


def card(deployment: Deployment, offer: Donation) -> Text:
    """An offered item: category and what, then condition, district, handover, photo."""
    facts: list[Text] = []
    if offer.condition in CONDITIONS:
        facts.append(CONDITIONS[offer.condition])
    facts.append(_("📍 {district}", district=_district(deployment, offer)))
    facts.append(HANDOVERS.get(offer.handover) or Raw(offer.handover))
    if offer.photo:
        facts.append(Raw("📷"))
    head = _(
        "{category}: {what}",
        category=_category(offer),
        what=Written(offer.what, offer.language),
    )
    return lines(head, Joined(facts, " · "))


def _someone(deployment: Deployment, donation: Donation, name: str) -> Text:
    """Whom an item belongs to: their first name, else a neutral word (never a surname)."""
    if name:
        return Raw(name)
    if donation.side == DonationSide.OFFER:
        return _("the giver")
    return _("someone in {district}", district=_district(deployment, donation))


async def _pair(batch: Batch, delivery: Due) -> Paired | None:
    return await donations.paired(batch.session, delivery.subject_id)


async def _found(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """To the wisher: an item that fits what they look for, with its photo."""
    found = await _pair(batch, delivery)
    if found is None or found.wish.user_id != user.id:
        return None
    if found.pair.state != DonationPairState.FOUND or not found.still_open:
        return None
    name = await donations.name_of(batch.session, found.offer.user_id)
    parts: list[Text] = [
        _("🎁 Something you are looking for is offered:"),
        card(batch.deployment, found.offer),
    ]
    if name:
        parts.append(_("👤 Offered by {name}", name=Raw(name)))
    parts.append(_("Nothing is sold. Would you like it? Then we ask for you."))
    buttons = (
        (
            _button(donations.WANT, found.pair_id, _("🙋 I would like it")),
            _button(donations.PASS, found.pair_id, _("✖ No, thanks")),
        ),
    )
    about = (found.offer.user_id,) if name else ()
    return Reply(paragraphs(*parts), user.language, buttons, photo=found.offer.photo, about=about)


async def _asked(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """To the giver: someone would like their item; they say yes or no."""
    found = await _pair(batch, delivery)
    if found is None or found.offer.user_id != user.id:
        return None
    if found.pair.state != DonationPairState.ASKED or not found.still_open:
        return None
    name = await donations.name_of(batch.session, found.wish.user_id)
    who = _someone(batch.deployment, found.wish, name)
    parts: list[Text] = [_("🙋 Someone would like your item:"), card(batch.deployment, found.offer)]
    if name:
        parts.append(_("👤 {name}", name=who))
    if found.wish.what:
        parts.append(
            _("They are looking for: {what}", what=Written(found.wish.what, found.wish.language))
        )
    parts.append(
        _("Would you like to give it to them? Then you arrange the handover here through the bot.")
    )
    buttons = (
        (
            _button(donations.GIVE, found.pair_id, _("✅ Yes, give it")),
            _button(donations.NO, found.pair_id, _("✖ No")),
        ),
    )
    about = (found.wish.user_id,) if name else ()
    return Reply(paragraphs(*parts), user.language, buttons, about=about)


async def _answered(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """To the wisher: the giver's answer. Yes: arrange the pickup through the bot; no (or it
    went to someone else): we keep looking."""
    found = await _pair(batch, delivery)
    if found is None or found.wish.user_id != user.id:
        return None
    item = _(
        "{category}: {what}",
        category=_category(found.offer),
        what=Written(found.offer.what, found.offer.language),
    )
    if found.pair.state == DonationPairState.DECLINED:
        if found.wish.status != DonationStatus.OPEN:
            return None
        text = _(
            "😔 Sorry, this item is not available for you: {item}. We tell you when something "
            "else fits.",
            item=item,
        )
        return Reply(text, user.language)
    promised = found.offer.status == DonationStatus.PROMISED
    if found.pair.state != DonationPairState.PROMISED or not promised:
        return None
    relay = await relays.of_donation_pair(batch.session, found.pair.id)
    if relay is None or relay.id is None or relay.closes_at is None or relay.closes_at <= batch.now:
        return None
    name = await donations.name_of(batch.session, found.offer.user_id)
    giver = _someone(batch.deployment, found.offer, name)
    news = paragraphs(
        _("🎉 Good news: you get the item!"),
        card(batch.deployment, found.offer),
        _("Please arrange the handover here through the bot. Nobody sees your phone number."),
    )
    buttons = ((write_button(relay.id, giver),),)
    about = (found.offer.user_id,) if name else ()
    return Reply(news, user.language, buttons, photo=found.offer.photo, about=about)


COMPOSERS: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.DONATION_FOUND: _found,
    DeliveryKind.DONATION_ASKED: _asked,
    DeliveryKind.DONATION_PROMISED: _answered,
}
