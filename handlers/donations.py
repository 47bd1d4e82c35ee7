"""The Spendenbörse: give something away, look for something, see what is offered, and one's own
offers and wishes. Nothing is sold; the two sides arrange the handover through the bot.

Giving asks the category, what it is, its condition, a photo, the district and pickup or delivery,
then shows a summary; wishing asks the category, what and the district. The pushed buttons (want,
pass, give, no) are `ACTIONS`; each checks that the pair is the presser's and still open.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.i18n import Msg, Raw, Text, Written, _, _n, lines, paragraphs
from engine.steps import (
    ACTION_PREFIX,
    SUMMARY,
    Action,
    Ctx,
    Flow,
    Goto,
    Outcome,
    Prompt,
    Retry,
    Return,
    Say,
    Step,
)
from engine.types import Button
from engine.widgets import SKIP, after, free_text, single_choice, summary
from exchange import donations, staff
from exchange.donations import Answer, Item, Paired
from handlers.targets import DONATIONS_FLOW
from storage.models import Donation, DonationSide, DonationStatus
from town.deployment import Deployment
from vocabulary.actions import fields, number
from vocabulary.cards import write_button
from vocabulary.donations import CATEGORIES, CONDITIONS, HANDOVERS
from vocabulary.labels import Joined, district_options

GIVE = "donations:give"
WISH = "donations:wish"
BROWSE = "donations:browse"
MINE = "donations:mine"
DONE = "donations:done"
HOME = "donations:home"
SHOW = "show:"
WANT = "want"
REMOVE = "remove:"
REMOVE_YES = "remove:yes"
LIST = "donations:list"
EARLIER = "page:earlier"
LATER = "page:later"
WITHDRAW = "withdraw:"
GIVEN = "given:"
SUBMIT = "donations:submit"
PAGE = 4


def category_label(category: str) -> Text:
    return CATEGORIES.get(category) or Raw(category)


def _district_name(deployment: Deployment, municipality: str, district: str) -> Text:
    place = deployment.municipality(municipality)
    found = place.district(district) if place is not None else None
    return Raw(found.name if found is not None else district)


def _what(donation: Donation) -> Text:
    if donation.what:
        return Written(donation.what, donation.language)
    return _("(chosen from the list)")


def card(deployment: Deployment, donation: Donation) -> Text:
    """An item in a few words: category and what, then condition, district, handover, photo."""
    district = _district_name(deployment, donation.municipality, donation.district)
    facts: list[Text] = []
    if donation.side == DonationSide.OFFER:
        if donation.condition in CONDITIONS:
            facts.append(CONDITIONS[donation.condition])
        facts.append(_("📍 {district}", district=district))
        facts.append(HANDOVERS.get(donation.handover) or Raw(donation.handover))
        if donation.photo:
            facts.append(Raw("📷"))
    else:
        facts.append(_("📍 {district}", district=district))
    head = _("{category}: {what}", category=category_label(donation.category), what=_what(donation))
    return lines(head, Joined(facts, " · "))


def _refused() -> Outcome:
    return Retry(_("This button is no longer valid. Here is where we are now:"))


def _offering(ctx: Ctx) -> bool:
    return ctx.data.get("side") != DonationSide.WISH


def _wishing(ctx: Ctx) -> bool:
    return ctx.data.get("side") == DonationSide.WISH


# --- home ------------------------------------------------------------------------------------


def _ask_home(ctx: Ctx) -> Prompt:
    text = _(
        "🎁 Donations: give things you no longer need, or find what you are looking for. "
        "Nothing is sold. You arrange the handover here through the bot."
    )
    return Prompt(
        text,
        (
            (Button(GIVE, _("🎁 Give something away")),),
            (Button(WISH, _("🔍 I am looking for something")),),
            (Button(BROWSE, _("👀 See what is offered")),),
            (Button(MINE, _("📋 My offers and wishes")),),
            (Button(DONE, _("↩️ Back")),),
        ),
    )


def _home_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == GIVE:
        return Goto("category", data={"side": DonationSide.OFFER.value})
    if payload == WISH:
        return Goto("category", data={"side": DonationSide.WISH.value})
    if payload == BROWSE:
        return Goto("browse", data={"page": 0})
    if payload == MINE:
        return Goto("mine", data={})
    return Return()


# --- giving and wishing ----------------------------------------------------------------------


def _category_question(ctx: Ctx) -> Text:
    if _wishing(ctx):
        return _("What are you looking for? Choose a category.")
    return _("What would you like to give away? Choose a category.")


def _what_question(ctx: Ctx) -> Text:
    if _wishing(ctx):
        return _(
            "Describe in one line what you are looking for (at most {limit} characters), "
            "for example: children's bike, 20 inch.",
            limit=donations.WHAT_LIMIT,
        )
    return _(
        "Describe the item in one line (at most {limit} characters), for example: "
        "grey sofa, 3 seats.",
        limit=donations.WHAT_LIMIT,
    )


def _what_valid(_ctx: Ctx, text: str) -> Text | None:
    return None if len(text) >= 3 else _("Please describe the item in a few words.")


def _after_what(ctx: Ctx) -> Outcome:
    return after(ctx, "condition" if _offering(ctx) else "district")


def _ask_photo(ctx: Ctx) -> Prompt:
    text = _(
        "Please send a photo of the item. It helps others decide. Or skip this. "
        "Everyone who looks at the offers here sees it."
    )
    return Prompt(text, ((Button(SKIP, _("Skip (no photo)")),),))


def _photo_sent(ctx: Ctx, photo: str) -> Outcome:
    ctx.data["photo"] = photo
    return after(ctx, "district")


def _photo_skipped(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["photo"] = None
    return after(ctx, "district")


def _photo_typed(ctx: Ctx, text: str) -> Outcome:
    return Retry(_("Please send a photo, or press Skip."))


def _district_question(ctx: Ctx) -> Text:
    if _wishing(ctx):
        return _("In which district would you like to pick it up?")
    return _("In which district is the item?")


def _after_district(ctx: Ctx) -> Outcome:
    return after(ctx, "handover" if _offering(ctx) else SUMMARY)


FIELDS: dict[str, Msg] = {
    "category": _("Category"),
    "what": _("What"),
    "condition": _("Condition"),
    "photo": _("Photo"),
    "district": _("District"),
    "handover": _("Handover"),
}


def _fields(ctx: Ctx) -> list[str]:
    if _wishing(ctx):
        return ["category", "what", "district"]
    return list(FIELDS)


def _summary(ctx: Ctx) -> Text:
    data = ctx.data
    district = ctx.municipality.district(data.get("district", ""))
    values: dict[str, Text] = {
        "category": category_label(data.get("category", "")),
        "what": Raw(data.get("what") or ""),
        "condition": CONDITIONS.get(data.get("condition") or "") or _("not given"),
        "photo": _("📷 yes") if data.get("photo") else _("none"),
        "district": Raw(district.name) if district else _("not given"),
        "handover": HANDOVERS.get(data.get("handover") or "") or _("not given"),
    }
    title = _("🔍 Your wish") if _wishing(ctx) else _("🎁 Your offer")
    shown = [_("{field}: {value}", field=FIELDS[key], value=values[key]) for key in _fields(ctx)]
    return paragraphs(title, lines(*shown))


async def _submit(ctx: Ctx) -> Outcome:
    assert ctx.user is not None
    data = ctx.data
    item = Item(
        side=DonationSide.WISH if _wishing(ctx) else DonationSide.OFFER,
        category=data["category"],
        what=data["what"],
        municipality=ctx.municipality.id,
        district=data["district"],
        condition=data.get("condition") if _offering(ctx) else None,
        photo=data.get("photo") if _offering(ctx) else None,
        handover=(data.get("handover") or "either") if _offering(ctx) else "either",
    )
    await donations.post(ctx.session, ctx.deployment, ctx.user, item, ctx.now)
    if item.side == DonationSide.WISH:
        note = _(
            "📨 Noted. We tell you when someone offers something that fits, in {days} days at most.",
            days=donations.OPEN_DAYS,
        )
    else:
        note = _(
            "📨 Your offer is online for {days} days. We tell you when someone would like it; "
            "then you decide who gets it.",
            days=donations.OPEN_DAYS,
        )
    return Goto("home", notes=(note,), data={})


# --- what is offered -------------------------------------------------------------------------


async def _coordinates(ctx: Ctx, municipality: str) -> bool:
    """Whether the person coordinates the municipality (and may remove items there)."""
    if ctx.user is None:
        return False
    scope = await staff.scope_of(ctx.session, ctx.deployment, ctx.user)
    return scope.covers(municipality)


async def _offers(ctx: Ctx) -> list[Donation]:
    assert ctx.user is not None and ctx.user.id is not None
    near = await donations.home_districts(ctx.session, ctx.user.id)
    return await donations.offered(ctx.session, ctx.municipality.id, near, ctx.now)


def _page(ctx: Ctx, items: Sequence[Donation]) -> list[tuple[int, Donation]]:
    page = int(ctx.data.get("page", 0))
    start = min(page * PAGE, max(len(items) - 1, 0) // PAGE * PAGE)
    ctx.data["page"] = start // PAGE
    return list(enumerate(items[start : start + PAGE], start=start + 1))


async def _ask_browse(ctx: Ctx) -> Prompt:
    found = await _offers(ctx)
    back = ((Button(HOME, _("↩️ Back")),),)
    if not found:
        text = _(
            "👀 Right now nothing is offered. Look again later, or say what you are looking for."
        )
        return Prompt(text, back)
    shown = _page(ctx, found)
    entries = [paragraphs(Raw(f"{n}."), card(ctx.deployment, item)) for n, item in shown]
    removing = await _coordinates(ctx, ctx.municipality.id)
    buttons: list[tuple[Button, ...]] = []
    for n, item in shown:
        row = [Button(f"{SHOW}{item.id}", _("🔎 {number}: show", number=n))]
        if removing:
            row.append(Button(f"{REMOVE}{item.id}", _("🗑 {number}: remove", number=n)))
        buttons.append(tuple(row))
    paging = []
    if int(ctx.data.get("page", 0)) > 0:
        paging.append(Button(EARLIER, _("⬅️ Back a page")))
    if (int(ctx.data.get("page", 0)) + 1) * PAGE < len(found):
        paging.append(Button(LATER, _("➡️ More")))
    if paging:
        buttons.append(tuple(paging))
    title = _n("👀 {n} item is offered:", "👀 {n} items are offered:", len(found))
    return Prompt(paragraphs(title, *entries), (*buttons, *back))


async def _browse_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == HOME:
        return Goto("home", data={})
    if payload in (EARLIER, LATER):
        step = 1 if payload == LATER else -1
        ctx.data["page"] = max(int(ctx.data.get("page", 0)) + step, 0)
        return Goto("browse")
    if payload.startswith(SHOW):
        ctx.data["shown"] = number(payload.removeprefix(SHOW))
        return Goto("offer")
    if payload.startswith(REMOVE):
        ctx.data["shown"] = number(payload.removeprefix(REMOVE))
        return Goto("remove")
    return _refused()


async def _shown(ctx: Ctx) -> Donation | None:
    """The offer the person is looking at, if it is still offered."""
    donation_id = ctx.data.get("shown")
    item = await ctx.session.get(Donation, donation_id) if isinstance(donation_id, int) else None
    if item is None or item.side != DonationSide.OFFER or item.status != DonationStatus.OPEN:
        return None
    return item


async def _ask_offer(ctx: Ctx) -> Prompt:
    item = await _shown(ctx)
    back = (Button(LIST, _("↩️ Back to the list")),)
    if item is None:
        return Prompt(_("This item is no longer offered."), (back,))
    buttons: list[tuple[Button, ...]] = []
    if ctx.user is not None and item.user_id != ctx.user.id:
        buttons.append((Button(WANT, _("🙋 I would like it")),))
    if await _coordinates(ctx, item.municipality):
        buttons.append((Button(f"{REMOVE}{item.id}", _("🗑 Remove")),))
    text = paragraphs(
        card(ctx.deployment, item),
        _("Nothing is sold. If you would like it, we ask the giver for you."),
    )
    return Prompt(text, (*buttons, back), photo=item.photo)


async def _offer_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == LIST:
        return Goto("browse")
    if payload.startswith(REMOVE):
        return Goto("remove")
    item = await _shown(ctx)
    if payload != WANT or item is None or ctx.user is None or item.id is None:
        return Goto("browse", notes=(_("This item is no longer offered."),))
    answer, _found = await donations.ask_listed(
        ctx.session, ctx.deployment, item.id, ctx.user, ctx.now
    )
    return Goto("browse", notes=(_asked(answer),))


def _asked(answer: Answer) -> Text:
    if answer == Answer.DONE:
        return _("🙋 We have asked the giver. We tell you when they answer.")
    if answer == Answer.ALREADY:
        return _("You have asked for this item already. We tell you when the giver answers.")
    return _("This item is no longer offered.")


async def _ask_remove(ctx: Ctx) -> Prompt:
    item = await _shown(ctx)
    if item is None:
        return Prompt(_("This item is no longer offered."), ((Button(LIST, _("↩️ Back")),),))
    text = paragraphs(
        card(ctx.deployment, item),
        _("🗑 Remove this offer? Nobody sees it any more. Only remove what breaks the rules."),
    )
    return Prompt(text, ((Button(REMOVE_YES, _("🗑 Yes, remove")),),))


async def _remove_chosen(ctx: Ctx, payload: str) -> Outcome:
    item = await _shown(ctx)
    if payload == LIST or item is None or ctx.user is None:
        return Goto("browse")
    if not await _coordinates(ctx, item.municipality):
        return Goto("browse", notes=(_("This is only for the agency's coordinators."),))
    await donations.remove(ctx.session, ctx.deployment, item, ctx.user, ctx.now)
    return Goto("browse", notes=(_("🗑 Removed."),))


# --- my offers and wishes --------------------------------------------------------------------


async def _ask_mine(ctx: Ctx) -> Prompt:
    assert ctx.user is not None and ctx.user.id is not None
    items = await donations.mine(ctx.session, ctx.user.id, ctx.now)
    back = ((Button(HOME, _("↩️ Back")),),)
    if not items:
        return Prompt(_("📋 You have no open offers or wishes."), back)
    entries: list[Text] = []
    buttons: list[tuple[Button, ...]] = []
    for n, item in enumerate(items, start=1):
        status = _status(item)
        entries.append(paragraphs(Raw(f"{n}."), lines(card(ctx.deployment, item), status)))
        done = _("✅ {number}: given away", number=n)
        if item.side == DonationSide.WISH:
            done = _("✅ {number}: I got it", number=n)
        buttons.append(
            (
                Button(f"{GIVEN}{item.id}", done),
                Button(f"{WITHDRAW}{item.id}", _("✖ {number}: withdraw", number=n)),
            )
        )
    return Prompt(paragraphs(_("📋 Your offers and wishes:"), *entries), (*buttons, *back))


def _status(item: Donation) -> Text:
    if item.status == DonationStatus.PROMISED:
        if item.side == DonationSide.OFFER:
            return _("🤝 promised: arrange the handover in 💬 Conversations")
        return _("🤝 promised to you: arrange the pickup in 💬 Conversations")
    if item.side == DonationSide.OFFER:
        return _("🟢 offered")
    return _("🔍 looking")


async def _mine_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == HOME or ctx.user is None or ctx.user.id is None:
        return Goto("home", data={})
    verb, _sep, raw_id = payload.partition(":")
    item = await donations.own(ctx.session, ctx.user.id, number(raw_id))
    if item is None:
        return _refused()
    if f"{verb}:" == WITHDRAW:
        changed = await donations.withdraw(ctx.session, item, ctx.now)
        note = _("✖ Withdrawn.")
    else:
        changed = await donations.mark_given(ctx.session, item, ctx.now)
        note = _("✅ Thank you! Noted as done.")
    return Goto("mine", notes=(note if changed else _("This is no longer open."),))


# --- buttons on pushed messages --------------------------------------------------------------


def _someone(deployment: Deployment, donation: Donation, name: str) -> Text:
    """Whom an item belongs to: their first name, else a neutral word (never a surname)."""
    if name:
        return Raw(name)
    if donation.side == DonationSide.OFFER:
        return _("the giver")
    district = _district_name(deployment, donation.municipality, donation.district)
    return _("someone in {district}", district=district)


async def _pushed(ctx: Ctx, payload: str) -> Outcome:
    """Want or pass (the wisher), give or no (the giver): each checks the pair is theirs."""
    verb, raw_id = fields(payload)
    found = await donations.paired(ctx.session, number(raw_id))
    if found is None or ctx.user is None or ctx.user.id is None:
        return _refused()
    if verb in (donations.WANT, donations.PASS) and found.wish.user_id == ctx.user.id:
        return await _wisher_answers(ctx, found, verb == donations.WANT)
    if verb in (donations.GIVE, donations.NO) and found.offer.user_id == ctx.user.id:
        return await _giver_answers(ctx, found, verb == donations.GIVE)
    return _refused()


async def _wisher_answers(ctx: Ctx, found: Paired, wants: bool) -> Outcome:
    assert ctx.user is not None
    if wants:
        answer = await donations.ask(ctx.session, ctx.deployment, found, ctx.user, ctx.now)
    else:
        answer = await donations.pass_on(ctx.session, found, ctx.user, ctx.now)
    if answer == Answer.ALREADY:
        return Say(_("You have answered this already. Thank you!"))
    if answer != Answer.DONE:
        return Say(_("This item is no longer offered. We tell you when something else fits."))
    if wants:
        return Say(_("🙋 We have asked the giver. We tell you when they answer."))
    return Say(_("All right. We tell you when something else fits."))


async def _giver_answers(ctx: Ctx, found: Paired, gives: bool) -> Outcome:
    assert ctx.user is not None
    if not gives:
        answer = await donations.decline(ctx.session, ctx.deployment, found, ctx.user, ctx.now)
        if answer != Answer.DONE:
            return Say(_("You have answered this already. Thank you!"))
        return Say(_("All right. We let them know kindly."))
    answer, relay = await donations.promise(ctx.session, ctx.deployment, found, ctx.user, ctx.now)
    if answer == Answer.GONE:
        return Say(_("This is no longer possible: the item or the wish is no longer open."))
    if answer != Answer.DONE or relay is None or relay.id is None:
        return Say(_("You have answered this already. Thank you!"))
    name = await donations.name_of(ctx.session, found.wish.user_id)
    taker = _someone(ctx.deployment, found.wish, name)
    ctx.about.add(found.wish.user_id)
    text = paragraphs(
        _("🤝 Thank you! We tell them the good news."),
        _("Please arrange the handover here through the bot. Nobody sees your phone number."),
    )
    return Say(text, ((write_button(relay.id, taker),),))


def payload(verb: str, pair_id: int) -> str:
    """A pushed button's data (the pushes build the same)."""
    return f"{ACTION_PREFIX}{donations.ACTION}:{verb}:{pair_id}"


ACTIONS: dict[str, Action] = {donations.ACTION: _pushed}


FLOW = Flow(
    DONATIONS_FLOW,
    start="home",
    steps={
        "home": Step(
            ask=_ask_home,
            on_choice=_home_chosen,
            next=("category", "browse", "mine"),
            cancel=False,
        ),
        "category": single_choice(
            "category",
            _category_question,
            lambda ctx: list(CATEGORIES.items()),
            next="what",
            back="home",
            columns=2,
        ),
        "what": free_text(
            "what",
            _what_question,
            next=("condition", "district"),
            then=_after_what,
            max_length=donations.WHAT_LIMIT,
            one_line=True,
            back="category",
            validate=_what_valid,
        ),
        "condition": single_choice(
            "condition",
            lambda ctx: _("In what condition is it?"),
            lambda ctx: list(CONDITIONS.items()),
            next="photo",
            back="what",
            columns=3,
            skip=_wishing,
        ),
        "photo": Step(
            ask=_ask_photo,
            on_photo=_photo_sent,
            on_choice=_photo_skipped,
            on_text=_photo_typed,
            next=("district",),
            back="condition",
            skip=_wishing,
        ),
        "district": single_choice(
            "district",
            _district_question,
            lambda ctx: district_options(ctx.municipality),
            next=("handover", SUMMARY),
            then=_after_district,
            back="photo",
            columns=2,
        ),
        "handover": single_choice(
            "handover",
            lambda ctx: _("Can it be picked up, or can you bring it?"),
            lambda ctx: list(HANDOVERS.items()),
            next=SUMMARY,
            back="district",
            skip=_wishing,
        ),
        **summary(
            _summary,
            fields=FIELDS,
            shown=_fields,
            submit=Button(SUBMIT, _("📨 Post")),
            on_submit=_submit,
            next=("home",),
        ),
        "browse": Step(
            ask=_ask_browse,
            on_choice=_browse_chosen,
            next=("home", "offer", "remove"),
            cancel=False,
        ),
        "offer": Step(
            ask=_ask_offer,
            on_choice=_offer_chosen,
            next=("browse", "remove"),
            cancel=False,
        ),
        "remove": Step(
            ask=_ask_remove,
            on_choice=_remove_chosen,
            next=("browse",),
            back="browse",
        ),
        "mine": Step(ask=_ask_mine, on_choice=_mine_chosen, next=("home",), cancel=False),
    },
)
