"""The buttons on pushed messages: accept or decline an offer, cancel, report how it went.

These buttons live on messages the person did not ask for, so they are not among the current
step's options. Each action reads its button (`vocabulary.actions`), lets the domain check that
the match it names is the person's and still in the state the button was made for, and answers.
"""

from __future__ import annotations

from engine.i18n import Msg, Raw, Text, _, paragraphs
from engine.steps import (
    EDITING,
    Action,
    Call,
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
from exchange import cases, matches, opportunities, relays
from exchange.matches import Answer, Confirmed, DeclineReason, Found, Recorded
from handlers import agency, relay, volunteer
from handlers.targets import DECLINE, DECLINE_WHY, PROFILE_RHYTHM, WRITE_TO_AGENCY
from storage.models import CaseStatus, Feedback, HelpRequest, Match, VolunteerProfile
from town.deployment import Deployment
from vocabulary import actions
from vocabulary.actions import fields, last_field, number
from vocabulary.cards import confirmation, for_whom


def _refused() -> Outcome:
    return Retry(_("This button is no longer valid. Here is where we are now:"))


def accepted(
    deployment: Deployment, request: HelpRequest, match: Match, relay_id: int | None
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """The volunteer's confirmation: whom they help, where, and how to reach them."""
    head = _("🤝 Thank you! You help {whom}.", whom=for_whom(request))
    return confirmation(deployment, request, match, relay_id, head)


def booked() -> Text:
    return _(
        "You already help someone at that time, or you have as many helps that day as "
        "you want. We ask someone else. Thank you!"
    )


def _taken() -> Text:
    return _("Thank you! Someone else was quicker this time; the request is taken.")


def _declined() -> Text:
    return _("All right, thank you for letting us know.")


async def _offered(ctx: Ctx, raw_id: str) -> Found | None:
    match_id = number(raw_id)
    if match_id is None or ctx.user is None or ctx.user.id is None:
        return None
    return await matches.offered_to(ctx.session, match_id, ctx.user.id)


async def answer_offer(ctx: Ctx, payload: str) -> Outcome:
    """Accept or decline an offer; the first acceptance wins, atomically."""
    verdict, raw_id = fields(payload)
    found = await _offered(ctx, raw_id)
    if found is None or ctx.user is None or verdict not in (actions.YES, actions.NO):
        return _refused()
    answer = await matches.answer_offer(
        ctx.session, ctx.deployment, found, ctx.user, accept=verdict == actions.YES, now=ctx.now
    )
    if answer == Answer.ALREADY_ACCEPTED:
        return Say(_("You have already accepted this request. Thank you!"))
    if answer == Answer.TAKEN:
        return Say(_taken())
    if answer == Answer.BOOKED:
        return Say(booked())
    if answer == Answer.DECLINED:
        return Call(DECLINE_WHY, data={"match": found.match_id})
    found_relay = await relays.of_match(ctx.session, found.match_id)
    text, buttons = accepted(
        ctx.deployment, found.request, found.match, found_relay.id if found_relay else None
    )
    ctx.about.add(found.request.asker_id)  # it shows their address and phone
    return Say(text, buttons)


async def cancel_match(ctx: Ctx, payload: str) -> Outcome:
    """The volunteer cannot come after all: the request goes back into matching."""
    found = await _offered(ctx, last_field(payload))
    if found is None:
        return _refused()
    if not await matches.cancel_by_volunteer(ctx.session, found, ctx.now):
        return Say(_("This is no longer planned."))
    return Say(_("Thank you for telling us. We will look for someone else."))


async def report_done(ctx: Ctx, payload: str) -> Outcome:
    """The volunteer says whether the help took place and how many hours it took."""
    raw_id, answer = fields(payload)
    found = await _offered(ctx, raw_id)
    if found is None:
        return _refused()
    # None: it did not take place. Anything but a number of hours counts as 0, which is refused.
    hours = None if answer == actions.DID_NOT_HAPPEN else number(answer) or 0
    recorded = await matches.record_hours(ctx.session, found, hours, ctx.now)
    if recorded == Recorded.ALREADY_NOTED:
        return Say(_("Thank you, we have already noted this."))
    if recorded == Recorded.INVALID:
        return _refused()
    return Say(_("Thank you! We have noted it."))


async def give_feedback(ctx: Ctx, payload: str) -> Outcome:
    """The asker says whether all went well."""
    raw_id, verdict = fields(payload)
    match_id = number(raw_id)
    if match_id is None or ctx.user is None or ctx.user.id is None:
        return _refused()
    found = await matches.asked_by(ctx.session, match_id, ctx.user.id)
    if found is None or verdict not in set(Feedback):
        return _refused()
    await matches.give_feedback(
        ctx.session, ctx.deployment, found, ctx.user, Feedback(verdict), ctx.now
    )
    if verdict == Feedback.PROBLEM:
        return Say(
            _(
                "We are sorry. A coordinator will get in touch with you: {contact}",
                contact=ctx.deployment.agency.contact,
            )
        )
    return Say(_("Thank you! We are glad it went well."))


async def offer_settings(ctx: Ctx, payload: str) -> Outcome:
    """Change how often requests come, straight from a push."""
    if ctx.user is None:
        return _refused()
    profile = await volunteer.load_profile(ctx)
    if profile is None:
        return _refused()
    draft = {**await volunteer.profile_draft(ctx, profile), EDITING: True}
    return Goto(PROFILE_RHYTHM, data=draft)


async def show_interest(ctx: Ctx, payload: str) -> Outcome:
    """ "I'm interested" in an organisation's opportunity: the organisation's contact is told."""
    opportunity_id = number(last_field(payload))
    if ctx.user is None or ctx.user.id is None or opportunity_id is None:
        return _refused()
    profile = await volunteer.load_profile(ctx)
    interested = await opportunities.show_interest(
        ctx.session, ctx.deployment, ctx.user.id, profile, opportunity_id, ctx.now
    )
    return interest_noted(interested)


async def interested_in_listed(ctx: Ctx, profile: VolunteerProfile, opportunity_id: int) -> Outcome:
    """ "I'm interested" in a position the volunteer found in a list: its organisation is told."""
    assert ctx.user is not None and ctx.user.id is not None
    interested = await opportunities.show_interest(
        ctx.session, ctx.deployment, ctx.user.id, profile, opportunity_id, ctx.now, listed=True
    )
    return interest_noted(interested)


def interest_noted(interested: opportunities.Interested) -> Outcome:
    """The answer to "I'm interested", from a digest or from the list of positions."""
    if interested.organisation is None:
        return _refused()
    if not interested.still_open:
        return Say(_("This opportunity is no longer open. Thank you all the same!"))
    return Say(
        _(
            "Thank you! We have told {organisation} that you are interested. They can write to "
            "you here through the bot.",
            organisation=Raw(interested.organisation.name),
        )
    )


async def open_case(ctx: Ctx, payload: str) -> Outcome:
    """A pushed case opens its card, for the agency's staff of its place only."""
    where = await agency.scope(ctx)
    found = await cases.in_scope(ctx.session, where, number(last_field(payload)))
    if found is None or found.id is None:
        return _refused()
    if found.status == CaseStatus.CLOSED:
        return Say(_("This case is closed already."))
    return agency.open_case(found.id)


async def answer_agency(ctx: Ctx, payload: str) -> Outcome:
    """Answer a message of the agency: what they write next reaches a person of the agency."""
    if ctx.user is None:
        return _refused()
    return Goto(WRITE_TO_AGENCY)


async def confirm_coming(ctx: Ctx, payload: str) -> Outcome:
    """The evening before: the volunteer confirms that they come, or cannot after all."""
    raw_id, answer = fields(payload)
    found = await _offered(ctx, raw_id)
    if found is None or answer not in (actions.YES, actions.NO):
        return _refused()
    done = await matches.confirm(ctx.session, found, coming=answer == actions.YES, now=ctx.now)
    if done == Confirmed.NOT_PLANNED:
        return Say(_("This is no longer planned."))
    if done == Confirmed.CANCELLED:
        return Say(_("Thank you for telling us. We will look for someone else."))
    return Say(_("Thank you! We have told {whom} that you come.", whom=for_whom(found.request)))


# --- why "not this time" ----------------------------------------------------------------------

REASONS: dict[str, Msg] = {
    DeclineReason.NO_TIME: _("⏰ No time then"),
    DeclineReason.TOO_FAR: _("📍 Too far away"),
    DeclineReason.NOT_MY_KIND: _("🙅 Not my kind of help"),
}
NO_REASON = "why:none"


def _ask_why(ctx: Ctx) -> Prompt:
    buttons = [(Button(f"why:{key}", label),) for key, label in REASONS.items()]
    return Prompt(
        paragraphs(
            _declined(),
            _("If you like, tell us why in one tap. It helps us send you better requests."),
        ),
        (*buttons, (Button(NO_REASON, _("Skip")),)),
    )


async def _why_chosen(ctx: Ctx, payload: str) -> Outcome:
    reason = payload.removeprefix("why:")
    match_id = ctx.data.get("match")
    if reason in REASONS and isinstance(match_id, int) and ctx.user is not None:
        found = await matches.offered_to(ctx.session, match_id, ctx.user.id or 0)
        if found is not None and await matches.give_reason(found, ctx.session, reason):
            return Return(notes=(_("Thank you, noted."),))
    return Return()


DECLINE_FLOW = Flow(
    DECLINE,
    start="why",
    steps={"why": Step(ask=_ask_why, on_choice=_why_chosen, cancel=False)},
)


# --- writing through the bot -----------------------------------------------------------------


async def write_to(ctx: Ctx, payload: str) -> Outcome:
    """Open a conversation through the bot, from a card's "✉️ Message to …" button."""
    verb, raw_id = fields(payload)
    if ctx.user is None or ctx.user.id is None:
        return _refused()
    if verb == "report":
        return await _report_relayed(ctx, number(raw_id))
    side = await relays.side_of(ctx.session, number(raw_id), ctx.user.id)
    if verb != "write" or side is None:
        return _refused()
    if not relays.can_write(side, ctx.now):
        return Say(relay.closed(ctx))
    return relay.open_conversation(ctx, side.relay_id)


async def _report_relayed(ctx: Ctx, message_id: int | None) -> Outcome:
    assert ctx.user is not None and ctx.user.id is not None
    found = await relays.message_to(ctx.session, message_id, ctx.user.id)
    if found is None:
        return _refused()
    message, side = found
    await relays.report(ctx.session, ctx.deployment, message, side, ctx.user, ctx.now)
    return Say(
        _(
            "Thank you for telling us. A coordinator reads this conversation and gets in touch "
            "with you. If you feel unsafe, do not meet. Contact: {contact}",
            contact=Raw(ctx.deployment.agency.contact),
        )
    )


# Payloads "act:<name>:...", made by the pushes (`push.cards`).
ACTIONS: dict[str, Action] = {
    actions.OFFER: answer_offer,
    actions.MATCH: cancel_match,
    actions.HOURS: report_done,
    actions.FEEDBACK: give_feedback,
    actions.SETTINGS: offer_settings,
    actions.INTEREST: show_interest,
    actions.CASE: open_case,
    actions.ANSWER: answer_agency,
    actions.CONFIRM: confirm_coming,
    actions.RELAY: write_to,
}
