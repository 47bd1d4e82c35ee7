"""The buttons on pushed messages: accept or decline an offer, cancel, report how it went.

These buttons live on messages the person did not ask for, so they are not among the current
step's options. Each action reads its button (`vocabulary.actions`), lets the domain check that
the match it names is the person's and still in the state the button was made for, and answers.
"""

from __future__ import annotations

from engine.i18n import Raw, Text, _
from engine.steps import EDITING, Action, Ctx, Goto, Outcome, Retry, Say
from engine.types import Button
from exchange import cases, matches, opportunities
from exchange.matches import Answer, Found, Recorded
from handlers import agency, volunteer
from handlers.targets import PROFILE_RHYTHM, WRITE_TO_AGENCY
from storage.models import CaseStatus, Feedback, HelpRequest
from town.deployment import Deployment
from vocabulary import actions
from vocabulary.actions import fields, last_field, number
from vocabulary.cards import confirmation, for_whom


def _refused() -> Outcome:
    return Retry(_("This button is no longer valid. Here is where we are now:"))


def accepted(
    deployment: Deployment, request: HelpRequest, match_id: int, safety_word: str | None
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """The volunteer's confirmation, now with the meeting address and phone number."""
    head = _("🤝 Thank you! You help {whom}.", whom=for_whom(request))
    return confirmation(deployment, request, match_id, safety_word, head)


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
    if answer == Answer.DECLINED:
        return Say(_declined())
    text, _buttons = accepted(
        ctx.deployment, found.request, found.match_id, found.match.safety_word
    )
    ctx.about.add(found.request.asker_id)  # it shows their address and phone
    return Say(text)


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
        ctx.session, ctx.user.id, profile, opportunity_id, ctx.now
    )
    if interested.organisation is None:
        return _refused()
    if not interested.still_open:
        return Say(_("This opportunity is no longer open. Thank you all the same!"))
    return Say(
        _(
            "Thank you! We have told {organisation} that you are interested. The coordinators will "
            "put you in touch.",
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
}
