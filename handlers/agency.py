"""The agency in the chat: the queue of what needs a person, and a card with actions per case.

Only coordinators and district sponsors get here, and each sees the cases of their scope only.
Every step loads the case again through the scope (`cases.in_scope`), so a forged or stale button
finds nothing; every action is written to the audit record, and the person the case is about is
told what happens next, in their own language.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from engine.i18n import DateText, LanguageName, Msg, Raw, Text, Written, _, _n, lines, paragraphs
from engine.steps import Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from engine.types import Button
from engine.when import parse_date, today
from engine.widgets import multi_select
from exchange import (
    audit,
    cases,
    invitations,
    matches,
    opportunities,
    organisations,
    relays,
    requests,
    safeguarding,
    staff,
    vetting,
)
from exchange.rounds import need_of
from exchange.staff import Scope
from handlers import recognition as signing
from handlers.targets import (
    AGENCY,
    AGENCY_CASE,
    CRISIS_CALLS,
    FIGURES,
    MAIN_MENU,
    NEW_NEWSLETTER,
    NEW_REQUEST_FOR_SOMEONE,
)
from matching.rules import Need
from matching.select import candidate_ids
from storage.models import (
    Case,
    CaseKind,
    CaseStatus,
    HelpRequest,
    Match,
    Opportunity,
    Organisation,
    Report,
    RequestStatus,
    StaffKind,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerProfile,
)
from vocabulary.cards import for_whom, opportunity_card, request_card
from vocabulary.labels import CategoryLabel, Joined, category

QUEUE_LENGTH = 12
BEST_FITS = 5
MESSAGE_LIMIT = 1000

CASE = "case:"
INTAKE = "agency:intake"
BLOCKED = "agency:blocked"
INVITE = "agency:invite"
NEWSLETTER = "agency:newsletter"
NUMBERS = "agency:figures"
CRISIS = "agency:crisis"
AS_COORDINATOR = "invite:coordinator"
AS_SPONSOR = "invite:sponsor"
HOME = "agency:home"
UNBLOCK = "unblock:"
PICK_VOLUNTEER = "volunteer:"
PICK_SPONSOR = "sponsor:"
REASON = "reason:"
PLAY = "play"  # in the draft: forward the case's voice message with its card

# Actions on a case card.
ASSIGN = "do:assign"
WIDEN = "do:widen"
TAKE = "do:take"
FORWARD = "do:forward"
WRITE = "do:write"
CLOSE = "do:close"
WARN = "do:warn"
PAUSE = "do:pause"
BLOCK = "do:block"
UNBLOCK_REPORTED = "do:unblock"
APPROVE = "do:approve"
REJECT = "do:reject"
IDENTITY = "do:identity"
INTERVIEW = "do:interview"
CERTIFICATE = "do:certificate"

KIND_LABELS: dict[CaseKind, Msg] = {
    CaseKind.UNMATCHED: _("Nobody found"),
    CaseKind.CALLBACK: _("Call back"),
    CaseKind.REPORT: _("Problem reported"),
    CaseKind.ORGANISATION: _("New organisation"),
    CaseKind.POSITION: _("Opportunity to check"),
    CaseKind.VETTING: _("Vetting"),
    CaseKind.UNCONFIRMED: _("Not confirmed"),
    CaseKind.TALK: _("🤲 Wants to talk (confidential)"),
    CaseKind.RECOGNITION: _("🏅 Certificate to sign"),
}

# Why a case was closed, and what the person it is about is told (a kind of `cases.tell`).
REASONS: dict[str, tuple[Msg, str | None]] = {
    "solved": (_("Settled by us"), "closed_solved"),
    "not_needed": (_("No longer needed"), "closed_not_needed"),
    "no_volunteer": (_("We cannot help"), "closed_no_volunteer"),
    "duplicate": (_("Already handled"), None),
}


# --- who may be here ------------------------------------------------------------------------


async def scope(ctx: Ctx) -> Scope:
    if ctx.user is None:
        return Scope()
    return await staff.scope_of(ctx.session, ctx.deployment, ctx.user)


def not_allowed() -> Goto:
    return Goto(MAIN_MENU, notes=(_("This is only for the agency's coordinators and sponsors."),))


async def menu_label(ctx: Ctx) -> Text | None:
    """The main menu's button to the queue, with how many cases wait; None for everyone else."""
    where = await scope(ctx)
    if not where:
        return None
    waiting = await cases.waiting(ctx.session, where)
    return _("🗂 Agency queue ({count})", count=waiting)


async def _case(ctx: Ctx) -> tuple[Scope, Case] | None:
    where = await scope(ctx)
    case = await cases.in_scope(ctx.session, where, ctx.data.get("case"))
    if case is None or case.status == CaseStatus.CLOSED:
        return None
    return where, case


def open_case(case_id: int) -> Goto:
    """Open a case's card (from a pushed message); the card checks the scope itself."""
    return Goto(AGENCY_CASE, data={"case": case_id, PLAY: True})


# --- the queue ------------------------------------------------------------------------------


async def _case_label(ctx: Ctx, case: Case) -> Text:
    mark = "🔴 " if case.urgent else "🙋 " if case.status == CaseStatus.TAKEN else ""
    place = ctx.deployment.municipality(case.municipality)
    district = place.district(case.district) if place and case.district else None
    where = f" · {district.name}" if district else ""
    age = _age(ctx, case)
    return _(
        "{mark}{kind}{where} · {age}",
        mark=Raw(mark),
        kind=KIND_LABELS[case.kind],
        where=Raw(where),
        age=age,
    )


def _age(ctx: Ctx, case: Case) -> Text:
    hours = int((ctx.now - case.created_at).total_seconds() // 3600)
    if hours < 1:
        return _("new")
    if hours < 48:
        return _n("{n} h", "{n} h", hours)
    return _n("{n} day", "{n} days", hours // 24)


async def _ask_queue(ctx: Ctx) -> Prompt:
    where = await scope(ctx)
    listed = await cases.queue(ctx.session, where, QUEUE_LENGTH)
    waiting = await cases.waiting(ctx.session, where)
    buttons = [(Button(f"{CASE}{c.id}", await _case_label(ctx, c)),) for c in listed]
    text = (
        _("🗂 Agency queue: {count} waiting. Urgent first, then the newest.", count=waiting)
        if listed
        else _("🗂 Agency queue: nothing is waiting. Thank you!")
    )
    tools: list[tuple[Button, ...]] = [(Button(INTAKE, _("☎️ Take a request by phone")),)]
    if where.coordinator:
        tools.append((Button(CRISIS, _("🚨 Call for helpers")),))
        tools.append((Button(NEWSLETTER, _("📣 Write to many people")),))
        tools.append((Button(NUMBERS, _("📊 Figures")),))
        tools.append((Button(INVITE, _("➕ Invite a coordinator or sponsor")),))
        tools.append((Button(BLOCKED, _("🚫 Blocked people")),))
    tools.append((Button(HOME, _("🏠 Main menu")),))
    return Prompt(text, (*buttons, *tools))


async def _queue_chosen(ctx: Ctx, payload: str) -> Outcome:
    where = await scope(ctx)
    if not where:
        return not_allowed()
    if payload == HOME:
        return Goto(MAIN_MENU)
    if payload == INTAKE:
        return Goto(NEW_REQUEST_FOR_SOMEONE, data={"for_other": True, "intake": True})
    if payload == BLOCKED and where.coordinator:
        return Goto("blocked")
    if payload == NEWSLETTER and where.coordinator:
        return Goto(NEW_NEWSLETTER, data={})
    if payload == NUMBERS and where.coordinator:
        return Goto(FIGURES, data={})
    if payload == CRISIS and where.coordinator:
        return Goto(CRISIS_CALLS, data={})
    if payload == INVITE and where.coordinator:
        return Goto("invite", data={})
    case_id = _number(payload.removeprefix(CASE))
    found = await cases.in_scope(ctx.session, where, case_id)
    if found is None or found.status == CaseStatus.CLOSED:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    return Goto("case", data={"case": found.id, PLAY: True})


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


# --- the card -------------------------------------------------------------------------------


async def _request_of(ctx: Ctx, case: Case) -> HelpRequest | None:
    if case.kind == CaseKind.UNMATCHED and case.subject_id is not None:
        return await ctx.session.get(HelpRequest, case.subject_id)
    return None


async def _relay_read(ctx: Ctx, report: Report) -> Text | None:
    """The conversation a report was made from: the agency reads a relay only then."""
    if report.relay_id is None:
        return None
    earlier = await relays.history(ctx.session, report.relay_id, last=10)
    names = {
        report.reporter_id: _("Reporter"),
        report.reported_id: _("Reported"),
    }
    shown = [
        _(
            "{who}: {said}",
            who=names.get(message.sender_id, Raw("?")),
            said=(
                _("📷 a photo")
                if message.photo
                else _("🎤 a voice message")
                if message.voice
                else Written(message.text or "", message.language)
            ),
        )
        for message in earlier
    ]
    return paragraphs(_("💬 The conversation through the bot:"), lines(*shown))


async def _reported(ctx: Ctx, case: Case) -> tuple[Report, User, HelpRequest | None] | None:
    if case.kind != CaseKind.REPORT or case.subject_id is None:
        return None
    report = await ctx.session.get(Report, case.subject_id)
    if report is None:
        return None
    reported = await ctx.session.get(User, report.reported_id)
    match = await ctx.session.get(Match, report.match_id) if report.match_id else None
    request = await ctx.session.get(HelpRequest, match.request_id) if match else None
    return (report, reported, request) if reported is not None else None


async def _first_name(ctx: Ctx, user_id: int | None) -> str:
    profile = (
        await ctx.session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user_id))
    ).first()
    return profile.first_name if profile is not None and profile.first_name else ""


async def _person(ctx: Ctx, case: Case) -> User | None:
    return await ctx.session.get(User, case.person_id)


async def _card(ctx: Ctx, case: Case) -> Text:
    person = await _person(ctx, case)
    language = person.language if person else "de"
    head = _("{kind} · {age}", kind=KIND_LABELS[case.kind], age=_age(ctx, case))
    facts: list[Text] = []
    if case.kind == CaseKind.UNMATCHED:
        request = await _request_of(ctx, case)
        if request is not None:
            facts += [
                _("For: {whom}", whom=for_whom(request)),
                request_card(ctx.deployment, request),
            ]
            if request.person_phone:
                facts.append(_("📞 Phone: {phone}", phone=Raw(request.person_phone)))
    elif case.kind in (CaseKind.CALLBACK, CaseKind.TALK):
        if case.note:
            facts.append(Written(case.note, language))
        if case.voice:
            facts.append(_("🎤 A voice message (above)."))
    elif case.kind == CaseKind.REPORT:
        found = await _reported(ctx, case)
        if found is not None:
            _report, reported, request = found
            name = await _first_name(ctx, reported.id) or "?"
            facts.append(
                _("Reported: {name}", name=Raw(name))
                if reported.blocked_at is None
                else _("Reported: {name} (🚫 blocked)", name=Raw(name))
            )
            relayed = await _relay_read(ctx, _report)
            if request is not None and relayed is None:
                facts += [
                    _("Reported by the asker, for {whom}", whom=for_whom(request)),
                    request_card(ctx.deployment, request),
                ]
            elif request is not None:
                facts.append(request_card(ctx.deployment, request))
            if relayed is not None:
                facts.append(relayed)
    elif case.kind == CaseKind.ORGANISATION and case.subject_id is not None:
        organisation = await ctx.session.get(Organisation, case.subject_id)
        if organisation is not None:
            facts += [
                Raw(organisation.name),
                _("Contact: {name}", name=Raw(organisation.contact_name)),
            ]
    elif case.kind == CaseKind.POSITION and case.subject_id is not None:
        opportunity = await ctx.session.get(Opportunity, case.subject_id)
        organisation = (
            await ctx.session.get(Organisation, opportunity.organisation_id)
            if opportunity
            else None
        )
        if opportunity is not None and organisation is not None:
            facts.append(opportunity_card(ctx.deployment, opportunity, organisation))
    elif case.kind == CaseKind.VETTING and case.subject_id is not None:
        profile = await ctx.session.get(VolunteerProfile, case.subject_id)
        if profile is not None:
            facts += [Raw(profile.first_name), await _vetting_status(ctx, profile)]
    elif case.kind == CaseKind.RECOGNITION and case.subject_id is not None:
        profile = await ctx.session.get(VolunteerProfile, case.subject_id)
        if profile is not None:
            facts += await signing.facts(ctx, profile)
    elif case.kind == CaseKind.UNCONFIRMED and case.subject_id is not None:
        booked = await matches.by_id(ctx.session, case.subject_id)
        if booked is not None:
            facts += [
                _(
                    "{name} has not confirmed that they come tomorrow.",
                    name=Raw(booked.profile.first_name),
                ),
                _("For: {whom}", whom=for_whom(booked.request)),
                request_card(ctx.deployment, booked.request),
            ]
            if booked.request.person_phone:
                facts.append(_("📞 Phone: {phone}", phone=Raw(booked.request.person_phone)))
    facts.append(_("🗣 Writes in {language}", language=LanguageName(language.split("_")[0])))
    if case.phone:
        facts.append(_("📞 Call back: {phone}", phone=Raw(case.phone)))
    if case.status == CaseStatus.TAKEN:
        facts.append(_("🙋 Taken over."))
    return paragraphs(head, lines(*facts))


async def _vetting_status(ctx: Ctx, profile: VolunteerProfile) -> Text:
    def seen(day: date | None) -> Text:
        return DateText(day, short=True) if day else _("not yet")

    categories = (
        await ctx.session.exec(
            select(VolunteerCategory.category).where(VolunteerCategory.profile_id == profile.id)
        )
    ).all()
    kinds = [category(ctx.deployment, c) for c in categories]
    return lines(
        _("Offers: {kinds}", kinds=Joined([CategoryLabel(k) for k in kinds if k])),
        _("🪪 Identity checked: {day}", day=seen(profile.identity_checked_on)),
        _("💬 Interview: {day}", day=seen(profile.interviewed_on)),
        _("📄 Police certificate issued: {day}", day=seen(profile.certificate_issued_on)),
    )


async def _actions(ctx: Ctx, where: Scope, case: Case) -> list[tuple[Button, ...]]:
    buttons: list[tuple[Button, ...]] = []
    if case.kind == CaseKind.UNMATCHED:
        buttons += [
            (Button(ASSIGN, _("👥 Assign a volunteer")),),
            (Button(WIDEN, _("🔍 Widen the search")),),
        ]
    if case.kind in (
        CaseKind.UNMATCHED,
        CaseKind.CALLBACK,
        CaseKind.REPORT,
        CaseKind.UNCONFIRMED,
        CaseKind.TALK,
    ):
        if case.status == CaseStatus.OPEN:
            buttons.append((Button(TAKE, _("🙋 I take it over")),))
        buttons.append((Button(WRITE, _("✉️ Write to them")),))
        if where.coordinator and case.district and await _sponsors(ctx, case):
            buttons.append((Button(FORWARD, _("👉 Forward to a sponsor")),))
    if case.kind == CaseKind.REPORT:
        found = await _reported(ctx, case)
        if found is not None:
            name = Raw(await _first_name(ctx, found[1].id) or "?")
            if found[1].blocked_at is None:
                buttons += [
                    (Button(WARN, _("⚠️ Warn {name}", name=name)),),
                    (Button(PAUSE, _("⏸ Pause {name}", name=name)),),
                    (Button(BLOCK, _("🚫 Block {name}", name=name)),),
                ]
            else:
                buttons.append((Button(UNBLOCK_REPORTED, _("✅ Unblock {name}", name=name)),))
    if case.kind in (CaseKind.ORGANISATION, CaseKind.POSITION):
        buttons.append((Button(APPROVE, _("✅ Approve")), Button(REJECT, _("✖ Reject"))))
    if case.kind == CaseKind.VETTING:
        buttons += [
            (Button(IDENTITY, _("🪪 Identity checked today")),),
            (Button(INTERVIEW, _("💬 Interview held today")),),
            (Button(CERTIFICATE, _("📄 Police certificate seen")),),
        ]
    if case.kind == CaseKind.RECOGNITION and where.coordinator and case.subject_id is not None:
        profile = await ctx.session.get(VolunteerProfile, case.subject_id)
        if profile is not None:
            buttons += await signing.actions(ctx, profile)
    buttons.append((Button(CLOSE, _("✔ Close")),))
    return buttons


async def _ask_case(ctx: Ctx) -> Prompt:
    found = await _case(ctx)
    if found is None:
        return Prompt(_("This case is closed or not yours."))
    where, case = found
    actions = tuple(await _actions(ctx, where, case))
    ctx.about.add(case.person_id)  # the card shows their phone or what they wrote
    voice = case.voice if ctx.data.get(PLAY) else None  # forwarded once, when the card opens
    return Prompt(await _card(ctx, case), actions, voice=voice)


async def _case_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data.pop(PLAY, None)
    found = await _case(ctx)
    if found is None:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    where, case = found
    if payload not in {b.payload for row in await _actions(ctx, where, case) for b in row}:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    actor = ctx.user
    assert actor is not None
    person = await _person(ctx, case)
    if payload in (ASSIGN, CLOSE, FORWARD, WRITE, CERTIFICATE):
        return Goto(
            {
                ASSIGN: "assign",
                CLOSE: "close",
                FORWARD: "forward",
                WRITE: "write",
                CERTIFICATE: "certificate",
            }[payload]
        )
    if payload == TAKE:
        cases.take(ctx.session, case, by=actor, via="chat", now=ctx.now)
        if person is not None and case.kind != CaseKind.REPORT:
            await cases.tell(ctx.session, person, "taken_over", ctx.now)
        return Goto("case", notes=(_("🙋 It is yours now. The person is told."),))
    if payload == WIDEN:
        return await _widen(ctx, case)
    if payload in (signing.CONFIRM_HOURS, signing.SIGN):
        profile = await ctx.session.get(VolunteerProfile, case.subject_id)
        if profile is None:
            return Goto("queue", notes=(_("This case is closed or not yours."),))
        if payload == signing.SIGN:
            return Goto("sign")
        return await signing.confirm_open(ctx, profile)
    if payload in (WARN, PAUSE, BLOCK, UNBLOCK_REPORTED):
        return await _safeguard(ctx, case, payload)
    if payload in (APPROVE, REJECT):
        return await _decide(ctx, case, approve=payload == APPROVE)
    return await _vet(ctx, case, payload)


async def _widen(ctx: Ctx, case: Case) -> Outcome:
    request = await _request_of(ctx, case)
    if request is None or request.status != RequestStatus.OPEN:
        return Goto("case", notes=(_("This request is no longer open."),))
    assert ctx.user is not None
    await requests.search_again(
        ctx.session, ctx.deployment, request, by=ctx.user, via="chat", now=ctx.now
    )
    person = await _person(ctx, case)
    if person is not None:
        await cases.tell(ctx.session, person, "search_widened", ctx.now)
    note = _("🔍 We look again, as far as the widest round reaches. The asker is told.")
    return Goto("queue", notes=(note,))


async def _safeguard(ctx: Ctx, case: Case, payload: str) -> Outcome:
    found = await _reported(ctx, case)
    assert ctx.user is not None
    if found is None:
        return Goto("case", notes=(_("This case is closed or not yours."),))
    _report, reported, _request = found
    name = Raw(await _first_name(ctx, reported.id) or "?")
    if payload == WARN:
        await cases.tell(ctx.session, reported, "warned", ctx.now)
        note = _("⚠️ {name} is warned.", name=name)
        action = "warn"
    elif payload == PAUSE:
        profile = await ctx.session.exec(
            select(VolunteerProfile).where(VolunteerProfile.user_id == reported.id)
        )
        volunteer = profile.first()
        if volunteer is not None:
            await safeguarding.pause(ctx.session, volunteer, ctx.now)
        await cases.tell(ctx.session, reported, "paused", ctx.now)
        note = _("⏸ {name} gets no more requests for now.", name=name)
        action = "pause"
    elif payload == BLOCK:
        await safeguarding.block(ctx.session, reported, ctx.now)
        note = _("🚫 {name} is blocked.", name=name)
        action = "block"
    else:
        await safeguarding.unblock(ctx.session, reported)
        await cases.tell(ctx.session, reported, "unblocked", ctx.now)
        note = _("✅ {name} is unblocked.", name=name)
        action = "unblock"
    audit.record(
        ctx.session,
        actor=ctx.user,
        via="chat",
        action=action,
        subject=f"user:{reported.id}",
        now=ctx.now,
        case=case.id,
    )
    return Goto("case", notes=(note,))


async def _decide(ctx: Ctx, case: Case, *, approve: bool) -> Outcome:
    assert ctx.user is not None and case.subject_id is not None
    if case.kind == CaseKind.ORGANISATION:
        try:
            await organisations.decide(
                ctx.session, case.subject_id, approve=approve, by=ctx.user, via="chat", now=ctx.now
            )
        except organisations.NotDecidable:
            cases.close(ctx.session, case, "decided", by=ctx.user, via="chat", now=ctx.now)
    else:
        opportunity = await ctx.session.get(Opportunity, case.subject_id)
        decided = opportunity is not None and await opportunities.decide(
            ctx.session, opportunity, approve=approve, by=ctx.user, via="chat", now=ctx.now
        )
        if not decided:
            cases.close(ctx.session, case, "decided", by=ctx.user, via="chat", now=ctx.now)
    note = _("✅ Approved. They are told.") if approve else _("✖ Rejected. They are told.")
    return Goto("queue", notes=(note,))


async def _vet(ctx: Ctx, case: Case, payload: str) -> Outcome:
    assert ctx.user is not None
    profile = await ctx.session.get(VolunteerProfile, case.subject_id)
    if profile is None:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    day = today(ctx)
    await vetting.record(
        ctx.session,
        ctx.deployment,
        profile,
        identity=day if payload == IDENTITY else None,
        interview=day if payload == INTERVIEW else None,
        by=ctx.user,
        via="chat",
        now=ctx.now,
    )
    return Goto("case", notes=(_("Noted."),))


# --- assigning by hand ----------------------------------------------------------------------


async def _best_fits(ctx: Ctx, request: HelpRequest) -> list[VolunteerProfile]:
    need: Need = need_of(request, ctx.deployment)
    place = ctx.deployment.municipality(request.municipality)
    districts = [d.id for d in place.districts] if place else [request.district]
    ids = await candidate_ids(ctx.session, need, request.municipality, districts, BEST_FITS * 4)
    if not ids:
        return []
    profiles = (
        await ctx.session.exec(select(VolunteerProfile).where(col(VolunteerProfile.id).in_(ids)))
    ).all()
    home = set(
        (
            await ctx.session.exec(
                select(VolunteerDistrict.profile_id).where(
                    col(VolunteerDistrict.profile_id).in_(ids),
                    VolunteerDistrict.district == request.district,
                )
            )
        ).all()
    )
    # Those who help in the request's own district first, then those who helped most.
    ranked = sorted(profiles, key=lambda p: (p.id not in home, -p.helps_done, p.offers_received))
    return list(ranked[:BEST_FITS])


async def _why(ctx: Ctx, request: HelpRequest, profile: VolunteerProfile) -> Text:
    districts = (
        await ctx.session.exec(
            select(VolunteerDistrict.district).where(VolunteerDistrict.profile_id == profile.id)
        )
    ).all()
    place = ctx.deployment.municipality(request.municipality)
    here = request.district in districts
    where = (
        _("helps in {district}", district=Raw(d.name))
        if here and place and (d := place.district(request.district))
        else _("helps nearby")
    )
    return _n(
        "{name}: {where}, helped once",
        "{name}: {where}, helped {n} times",
        profile.helps_done,
        name=Raw(profile.first_name),
        where=where,
    )


async def _ask_assign(ctx: Ctx) -> Prompt:
    found = await _case(ctx)
    request = await _request_of(ctx, found[1]) if found else None
    if request is None:
        return Prompt(_("This case is closed or not yours."))
    fits = await _best_fits(ctx, request)
    if not fits:
        return Prompt(_("Nobody fits this request right now: kind of help, languages and time."))
    buttons = [(Button(f"{PICK_VOLUNTEER}{p.id}", await _why(ctx, request, p)),) for p in fits]
    question = _(
        "Who helps? These fit best (kind of help, languages, time). "
        "Please agree it with them first: they get the details at once."
    )
    return Prompt(question, tuple(buttons))


async def _assign_chosen(ctx: Ctx, payload: str) -> Outcome:
    found = await _case(ctx)
    request = await _request_of(ctx, found[1]) if found else None
    profile_id = _number(payload.removeprefix(PICK_VOLUNTEER))
    if request is None or profile_id is None:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    if profile_id not in {p.id for p in await _best_fits(ctx, request)}:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    profile = await ctx.session.get(VolunteerProfile, profile_id)
    assert profile is not None
    match = await matches.assign(
        ctx.session, ctx.deployment, request, profile, by=ctx.user, via="chat", now=ctx.now
    )
    if match is None:
        return Goto("queue", notes=(_("This request is no longer open."),))
    note = _("🤝 {name} helps. {name} and the asker are told.", name=Raw(profile.first_name))
    return Goto("queue", notes=(note,))


# --- forwarding, closing, writing -----------------------------------------------------------


async def _sponsors(ctx: Ctx, case: Case) -> list[tuple[int, str]]:
    ids = await staff.sponsors_of(ctx.session, ctx.deployment, case.municipality, case.district)
    named = []
    for sponsor_id in ids:
        if ctx.user is not None and sponsor_id == ctx.user.id:
            continue
        named.append((sponsor_id, await _first_name(ctx, sponsor_id)))
    return named


async def _ask_forward(ctx: Ctx) -> Prompt:
    found = await _case(ctx)
    sponsors = await _sponsors(ctx, found[1]) if found else []
    buttons = [
        (Button(f"{PICK_SPONSOR}{sponsor_id}", Raw(name or f"#{sponsor_id}")),)
        for sponsor_id, name in sponsors
    ]
    return Prompt(_("To which sponsor of the district?"), tuple(buttons))


async def _forward_chosen(ctx: Ctx, payload: str) -> Outcome:
    found = await _case(ctx)
    sponsor_id = _number(payload.removeprefix(PICK_SPONSOR))
    if found is None or sponsor_id is None:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    _where, case = found
    if sponsor_id not in {s for s, _name in await _sponsors(ctx, case)}:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    cases.forward(ctx.session, case, sponsor_id, by=ctx.user, via="chat", now=ctx.now)
    await cases.notify_forwarded(ctx.session, case, sponsor_id, ctx.now)
    person = await _person(ctx, case)
    if person is not None and case.kind != CaseKind.REPORT:
        await cases.tell(ctx.session, person, "forwarded", ctx.now)
    return Goto("queue", notes=(_("👉 Forwarded. The sponsor and the person are told."),))


def _ask_close(ctx: Ctx) -> Prompt:
    buttons = [(Button(f"{REASON}{key}", label),) for key, (label, _note) in REASONS.items()]
    return Prompt(_("Why do you close this case?"), tuple(buttons))


async def _close_chosen(ctx: Ctx, payload: str) -> Outcome:
    found = await _case(ctx)
    reason = payload.removeprefix(REASON)
    if found is None or reason not in REASONS:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    _where, case = found
    assert ctx.user is not None
    cases.close(ctx.session, case, reason, by=ctx.user, via="chat", now=ctx.now)
    request = await _request_of(ctx, case)
    if request is not None and request.status == RequestStatus.OPEN and reason != "duplicate":
        await requests.withdraw(ctx.session, request, ctx.now)
    tell = REASONS[reason][1]
    person = await _person(ctx, case)
    if (
        tell is not None
        and person is not None
        and case.kind
        in (
            CaseKind.UNMATCHED,
            CaseKind.CALLBACK,
            CaseKind.TALK,
        )
    ):
        await cases.tell(ctx.session, person, tell, ctx.now)
    return Goto("queue", notes=(_("✔ Closed."),))


async def _message_typed(ctx: Ctx, text: str) -> Outcome:
    if len(text) > MESSAGE_LIMIT:
        return Retry(
            _(
                "That is {length} characters; please write at most {limit}.",
                length=len(text),
                limit=MESSAGE_LIMIT,
            )
        )
    found = await _case(ctx)
    person = await _person(ctx, found[1]) if found else None
    if found is None or person is None:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    await cases.tell(ctx.session, person, "message", ctx.now, text=text)
    cases.act(ctx.session, found[1], by=ctx.user, via="chat", action="write", now=ctx.now)
    return Goto("case", notes=(_("✉️ Sent. Their answer comes into the queue."),))


async def _signer_typed(ctx: Ctx, text: str) -> Outcome:
    found = await _case(ctx)
    where, case = found if found else (None, None)
    profile = await ctx.session.get(VolunteerProfile, case.subject_id) if case else None
    volunteer = await _person(ctx, case) if case else None
    if (
        where is None
        or case is None
        or not where.coordinator
        or case.kind != CaseKind.RECOGNITION
        or profile is None
        or volunteer is None
    ):
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    return await signing.name_typed(ctx, text, case, profile, volunteer)


async def _certificate_typed(ctx: Ctx, text: str) -> Outcome:
    found = await _case(ctx)
    profile = await ctx.session.get(VolunteerProfile, found[1].subject_id) if found else None
    if found is None or profile is None:
        return Goto("queue", notes=(_("This case is closed or not yours."),))
    issued = parse_date(text, today(ctx))
    if issued is None or issued > today(ctx):
        return Retry(_("Please type the date of issue like 03.11.2026."))
    if vetting.valid_until(ctx.deployment, issued) <= today(ctx):
        return Retry(_("This certificate is too old. Please ask for a new one."))
    await vetting.record(
        ctx.session,
        ctx.deployment,
        profile,
        certificate_issued=issued,
        by=ctx.user,
        via="chat",
        now=ctx.now,
    )
    volunteer = await _person(ctx, found[1])
    if volunteer is not None:
        await cases.tell(ctx.session, volunteer, "vetted", ctx.now)
    until = DateText(vetting.valid_until(ctx.deployment, issued))
    note = _("✅ Vetted until {day}. The volunteer is told.", day=until)
    return Goto("queue", notes=(note,))


# --- inviting coordinators and sponsors -----------------------------------------------------


async def _home_municipality(ctx: Ctx) -> str | None:
    """Where a coordinator invites people to: their own municipality if they coordinate it."""
    where = await scope(ctx)
    if ctx.municipality.id in where.municipalities:
        return ctx.municipality.id
    return min(where.municipalities) if where.municipalities else None


def _ask_invite(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "Whom do you invite? They get a link that works once, for {hours} hours.",
            hours=int(ctx.deployment.agency.invitation_hours),
        ),
        (
            (Button(AS_COORDINATOR, _("🗂 A coordinator")),),
            (Button(AS_SPONSOR, _("🤝 A sponsor of districts")),),
        ),
    )


async def _invite_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == AS_SPONSOR:
        return Goto("invite_districts")
    return await _invite(ctx, StaffKind.COORDINATOR, [])


def _district_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(d.id, Raw(d.name)) for d in ctx.municipality.districts]


async def _invite_sponsor(ctx: Ctx) -> Outcome:
    return await _invite(ctx, StaffKind.SPONSOR, list(ctx.data.get("districts", [])))


async def _invite(ctx: Ctx, kind: StaffKind, districts: list[str]) -> Outcome:
    municipality = await _home_municipality(ctx)
    if municipality is None or ctx.user is None:
        return not_allowed()
    invitation = await invitations.create(
        ctx.session,
        ctx.deployment,
        kind=kind,
        municipality=municipality,
        districts=districts,
        by=ctx.user,
        via="chat",
        now=ctx.now,
    )
    link = ctx.start_link(invitations.start_code(invitation))
    note = paragraphs(
        _(
            "Please send this link to the person you invite. It works once, until {day}.",
            day=DateText(invitation.expires_at.astimezone(ctx.deployment.tz).date()),
        ),
        Raw(link),
    )
    return Goto("queue", notes=(note,))


# --- blocked people -------------------------------------------------------------------------


async def _blocked_people(ctx: Ctx) -> list[tuple[User, str]]:
    where = await scope(ctx)
    query = select(User).where(col(User.blocked_at).is_not(None)).order_by(col(User.id))
    people = [
        u
        for u in (await ctx.session.exec(query.limit(50))).all()
        if where.covers(u.municipality or ctx.deployment.municipalities[0].id)
    ]
    return [(u, await _first_name(ctx, u.id)) for u in people[:QUEUE_LENGTH]]


async def _ask_blocked(ctx: Ctx) -> Prompt:
    blocked = await _blocked_people(ctx)
    if not blocked:
        return Prompt(_("Nobody is blocked."))
    buttons = [
        (Button(f"{UNBLOCK}{u.id}", _("✅ Unblock {name}", name=Raw(name or f"#{u.id}"))),)
        for u, name in blocked
    ]
    return Prompt(_("Blocked people. Press a name to unblock them."), tuple(buttons))


async def _unblock_chosen(ctx: Ctx, payload: str) -> Outcome:
    user_id = _number(payload.removeprefix(UNBLOCK))
    chosen = next((u for u, _name in await _blocked_people(ctx) if u.id == user_id), None)
    if chosen is None:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    await safeguarding.unblock(ctx.session, chosen)
    await cases.tell(ctx.session, chosen, "unblocked", ctx.now)
    audit.record(
        ctx.session,
        actor=ctx.user,
        via="chat",
        action="unblock",
        subject=f"user:{chosen.id}",
        now=ctx.now,
    )
    return Goto("blocked", notes=(_("✅ Unblocked. They are told."),))


FLOW = Flow(
    AGENCY,
    start="queue",
    steps={
        "queue": Step(
            ask=_ask_queue,
            on_choice=_queue_chosen,
            next=(
                "case",
                "blocked",
                "invite",
                MAIN_MENU,
                NEW_REQUEST_FOR_SOMEONE,
                NEW_NEWSLETTER,
                FIGURES,
                CRISIS_CALLS,
            ),
            cancel=False,
        ),
        "case": Step(
            ask=_ask_case,
            on_choice=_case_chosen,
            next=("queue", "assign", "close", "forward", "write", "certificate", "sign"),
            back="queue",
        ),
        "assign": Step(ask=_ask_assign, on_choice=_assign_chosen, next=("queue",), back="case"),
        "forward": Step(ask=_ask_forward, on_choice=_forward_chosen, next=("queue",), back="case"),
        "close": Step(ask=_ask_close, on_choice=_close_chosen, next=("queue",), back="case"),
        "write": Step(
            ask=lambda ctx: Prompt(_("What shall we write to them? They read it in the chat.")),
            on_text=_message_typed,
            next=("case", "queue"),
            back="case",
        ),
        "certificate": Step(
            ask=lambda ctx: Prompt(
                _(
                    "On which day was the police certificate issued? Type it like 03.11.2026. "
                    "We only note the date, never the certificate."
                )
            ),
            on_text=_certificate_typed,
            next=("queue",),
            back="case",
        ),
        "sign": Step(ask=signing.ask_name, on_text=_signer_typed, next=("queue",), back="case"),
        "invite": Step(
            ask=_ask_invite,
            on_choice=_invite_chosen,
            next=("invite_districts", "queue"),
            back="queue",
        ),
        "invite_districts": multi_select(
            "districts",
            lambda ctx: _("Which districts does the sponsor look after?"),
            _district_options,
            next=("queue",),
            then=_invite_sponsor,
            back="invite",
            required=_("Please tick at least one district."),
        ),
        "blocked": Step(
            ask=_ask_blocked, on_choice=_unblock_chosen, next=("blocked",), back="queue"
        ),
    },
)
