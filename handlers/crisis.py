"""Calls for helpers in a crisis: a coordinator writes one in a few steps and follows it live; a
volunteer answers with one tap.

The coordinator's steps: what, meeting point (and the place on the map), when, how many, what to
bring, which districts, who (adults only, vetted only) and whether it is urgent (day and night),
a task from home for who comes too late; then the summary with how many it reaches. The live view
is one message, edited in place on "🔄 Refresh": sent, could not be reached, coming, waiting,
not this time, no answer yet; with buttons to need more people, to write to everyone with a
place, and to close the call.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta

from engine.i18n import Raw, Text, TimeText, _, _n, lines, paragraphs
from engine.steps import SUMMARY, Ctx, Flow, Goto, Outcome, Prompt, Retry, Say, Step, resolve
from engine.types import Button, Venue
from engine.when import local_now, parse_date, parse_time, today
from engine.widgets import after, free_text, multi_select, summary, too_long
from exchange import crisis, volunteers
from exchange.crisis import Outcome as Answer
from handlers.agency import not_allowed, scope
from handlers.targets import AGENCY_QUEUE, CRISIS_FLOW, MAIN_MENU
from handlers.targets import SCOUT_WRITE as SCOUT_WRITE_TARGET
from storage.models import CrisisCall, CrisisCallStatus, CrisisGroup
from town.deployment import Municipality
from vocabulary import actions
from vocabulary.crisis import card, group_text, online_task, region, venue
from vocabulary.labels import district_options

NEEDED_PRESETS = (10, 20, 50, 100)
MOST_NEEDED = 10_000
GROUP_SIZE = 10
POST_LENGTH = 1000
NOW, IN_ONE_HOUR, IN_TWO_HOURS, TOMORROW = "when:now", "when:1h", "when:2h", "when:tomorrow"
TOMORROW_AT = time(8, 0)
SKIP_MAP = "map:skip"
NEW, QUEUE, OPEN = "calls:new", "calls:queue", "calls:open:"
PLACE = "place:"
REFRESH, MORE, POST, CLOSE, BACK_TO_CALLS = (
    "live:refresh",
    "live:more",
    "live:post",
    "live:close",
    "live:calls",
)
CLOSE_YES, CLOSE_NO = "close:yes", "close:no"
GROUPS, GROUP, SCOUT, BACK_TO_LIVE = "live:groups", "group:", "scout:", "groups:back"
ADULTS, VETTED, URGENT = "adults", "vetted", "urgent"
_NUMBER = re.compile(r"^\s*(\d{1,6})\s*$")


async def _municipality(ctx: Ctx) -> str | None:
    """Where the coordinator calls: the municipality they chose for this call, else their own
    (else the first they coordinate); None for everyone who coordinates nowhere."""
    where = await scope(ctx)
    if not where.coordinator:
        return None
    own = ctx.user.municipality if ctx.user is not None else None
    for choice in (ctx.data.get("place"), own):
        if choice in where.municipalities:
            return str(choice)
    return sorted(where.municipalities)[0]


def _place(ctx: Ctx) -> Municipality:
    """The municipality of the call being written (its districts are offered)."""
    chosen = ctx.deployment.municipality(ctx.data.get("place") or "")
    return chosen if chosen is not None else ctx.municipality


# --- the list of open calls -------------------------------------------------------------------


async def _ask_calls(ctx: Ctx) -> Prompt:
    where = await scope(ctx)
    found = await crisis.open_calls(ctx.session, where.municipalities)
    buttons = [
        (
            Button(
                f"{OPEN}{call.id}",
                _(
                    "🚨 {what} ({coming}/{needed})",
                    what=Raw(call.what[:40]),
                    coming=call.confirmed,
                    needed=call.needed,
                ),
            ),
        )
        for call in found
    ]
    text = (
        _("🚨 Open calls for helpers. Choose one to follow it, or start a new one.")
        if found
        else _("🚨 No call for helpers is open. Start one when many hands are needed at once.")
    )
    return Prompt(
        text,
        (
            *buttons,
            (Button(NEW, _("➕ New call for helpers")),),
            (Button(QUEUE, _("🗂 Agency queue")),),
        ),
    )


async def _calls_chosen(ctx: Ctx, payload: str) -> Outcome:
    if await _municipality(ctx) is None:
        return not_allowed()
    if payload == QUEUE:
        return Goto(AGENCY_QUEUE)
    if payload == NEW:
        towns = (await scope(ctx)).municipalities
        return Goto("place" if len(towns) > 1 else "what", data={"who": [ADULTS, URGENT]})
    call_id = actions.number(payload.removeprefix(OPEN))
    call = await _own_call(ctx, call_id)
    if call is None:
        return Retry(_("This call is closed or not yours."))
    return Goto("live", data={"call": call.id})


async def _own_call(ctx: Ctx, call_id: object) -> CrisisCall | None:
    """The call, if it is in the coordinator's municipalities."""
    if not isinstance(call_id, int):
        return None
    call = await ctx.session.get(CrisisCall, call_id)
    where = await scope(ctx)
    if call is None or call.municipality not in where.municipalities:
        return None
    return call


# --- writing a call ---------------------------------------------------------------------------


async def _ask_place(ctx: Ctx) -> Prompt:
    """For a coordinator of several municipalities: which one the call is for."""
    towns = (await scope(ctx)).municipalities
    return Prompt(
        _("🗺 For which town is the call?"),
        tuple(
            (Button(f"{PLACE}{m.id}", Raw(m.name)),)
            for m in ctx.deployment.municipalities
            if m.id in towns
        ),
    )


async def _place_chosen(ctx: Ctx, payload: str) -> Outcome:
    town = payload.removeprefix(PLACE)
    if town not in (await scope(ctx)).municipalities:
        return Retry(_("Please choose one of the towns shown."))
    ctx.data["place"] = town
    ctx.data.pop("districts", None)  # the districts of another town do not apply
    return Goto("what")


def _ask_map(ctx: Ctx) -> Prompt:
    return Prompt(
        _("📍 Share the exact place on the map, so that everyone finds it. Or skip this."),
        ((Button(SKIP_MAP, _("Skip")),),),
        request_location=True,
    )


def _located(ctx: Ctx, latitude: float, longitude: float) -> Outcome:
    ctx.data["latitude"], ctx.data["longitude"] = latitude, longitude
    return after(ctx, "when")


def _map_skipped(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["latitude"] = ctx.data["longitude"] = None
    return after(ctx, "when")


def _ask_when(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "🕐 When do the helpers meet? Or type a time like 14:30, or a day and time like 24.12. 8:00."
        ),
        (
            (Button(NOW, _("Now")), Button(IN_ONE_HOUR, _("In one hour"))),
            (Button(IN_TWO_HOURS, _("In two hours")), Button(TOMORROW, _("Tomorrow at 8:00"))),
        ),
    )


def _when_chosen(ctx: Ctx, payload: str) -> Outcome:
    now = local_now(ctx)
    moments = {
        NOW: now,
        IN_ONE_HOUR: now + timedelta(hours=1),
        IN_TWO_HOURS: now + timedelta(hours=2),
        TOMORROW: datetime.combine(
            today(ctx) + timedelta(days=1), TOMORROW_AT, tzinfo=ctx.deployment.tz
        ),
    }
    moment = moments.get(payload)
    if moment is None:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    ctx.data["starts_at"] = moment.replace(second=0, microsecond=0).isoformat()
    return after(ctx, "needed")


def _when_typed(ctx: Ctx, text: str) -> Outcome:
    day_text, _sep, time_text = text.strip().rpartition(" ")
    day = parse_date(day_text, today(ctx)) if day_text else today(ctx)
    at = parse_time(time_text)
    if day is None or at is None:
        return Retry(_("Please type a time like 14:30, or a day and time like 24.12. 8:00."))
    moment = datetime.combine(day, at, tzinfo=ctx.deployment.tz)
    if moment < ctx.now - timedelta(minutes=30):
        return Retry(_("That time has passed. Please choose a later one."))
    ctx.data["starts_at"] = moment.isoformat()
    return after(ctx, "needed")


def _ask_needed(ctx: Ctx) -> Prompt:
    buttons = tuple(Button(f"needed:{n}", Raw(str(n))) for n in NEEDED_PRESETS)
    return Prompt(_("👥 How many people do you need? Choose, or type a number."), (buttons,))


def _needed(ctx: Ctx, value: int | None) -> Outcome:
    if value is None or not 1 <= value <= MOST_NEEDED:
        return Retry(_("Please type a number from 1 to {most}.", most=MOST_NEEDED))
    ctx.data["needed"] = value
    return after(ctx, "bring")


def _needed_chosen(ctx: Ctx, payload: str) -> Outcome:
    return _needed(ctx, actions.number(payload.removeprefix("needed:")))


def _needed_typed(ctx: Ctx, text: str) -> Outcome:
    found = _NUMBER.match(text)
    return _needed(ctx, int(found.group(1)) if found else None)


def _district_choices(ctx: Ctx) -> list[tuple[str, Text]]:
    return district_options(_place(ctx))


def _who_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [
        (ADULTS, _("Only adults (18 or older)")),
        (VETTED, _("Only vetted volunteers")),
        (URGENT, _("🚨 Urgent: also at night")),
    ]


def _draft(ctx: Ctx, municipality: str) -> CrisisCall:
    """The call as the coordinator wrote it so far."""
    data = ctx.data
    who = set(data.get("who", []))
    return CrisisCall(
        created_by=ctx.user.id if ctx.user else None,
        municipality=municipality,
        districts=list(data.get("districts", [])),
        what=data.get("what") or "",
        meeting_point=data.get("meeting_point") or "",
        language=ctx.language,
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        starts_at=datetime.fromisoformat(data.get("starts_at") or ctx.now.isoformat()),
        needed=int(data.get("needed") or 1),
        group_size=GROUP_SIZE,
        bring=data.get("bring") or "",
        adults_only=ADULTS in who,
        vetted_only=VETTED in who,
        urgent=URGENT in who,
        online_task=data.get("online_task"),
        created_at=ctx.now,
    )


async def _ask_summary(ctx: Ctx) -> Prompt:
    """The summary with how many volunteers the call reaches as of now (a database count, so the
    widget's synchronous summary text is wrapped)."""
    municipality = await _municipality(ctx)
    if municipality is None:
        return Prompt(
            _("This is only for the agency's coordinators."),
            ((Button(QUEUE, _("🗂 Agency queue")),),),
        )
    ctx.data["reach"] = await crisis.count_fitting(ctx.session, _draft(ctx, municipality))
    ctx.data["municipality"] = municipality
    return await resolve(_summary_prompt(ctx))


def _summary_text(ctx: Ctx) -> Text:
    call = _draft(ctx, ctx.data.get("municipality") or "")
    who = [label for value, label in _who_options(ctx) if value in ctx.data.get("who", [])]
    return paragraphs(
        card(call, ctx.deployment),
        lines(
            _("🗺 Where: {region}", region=region(call, ctx.deployment)),
            _("🗺 Place on the map: yes") if venue(call) else _("🗺 Place on the map: no"),
            *who,
            *online_task(call),
        ),
        _n(
            "It reaches {n} volunteer now.",
            "It reaches {n} volunteers now.",
            int(ctx.data.get("reach", 0)),
        ),
    )


async def _submit(ctx: Ctx) -> Outcome:
    municipality = await _municipality(ctx)
    if municipality is None:
        return not_allowed()
    call = _draft(ctx, municipality)
    called = await crisis.publish(ctx.session, ctx.deployment, call, ctx.now)
    note = _n(
        "🚨 The call is on its way to {n} volunteer.",
        "🚨 The call is on its way to {n} volunteers.",
        called,
    )
    return Goto("live", notes=(note,), data={"call": call.id})


WRITING = summary(
    _summary_text,
    fields={
        "what": _("What"),
        "meeting_point": _("Meeting point"),
        "map": _("Place on the map"),
        "when": _("When"),
        "needed": _("How many"),
        "bring": _("What to bring"),
        "districts": _("Districts"),
        "who": _("Who"),
        "online_task": _("Task from home"),
    },
    submit=Button("send", _("🚨 Send the call")),
    on_submit=_submit,
    next=("live",),
)
_summary_prompt = WRITING[SUMMARY].ask
WRITING[SUMMARY] = replace(WRITING[SUMMARY], ask=_ask_summary)


# --- the live view ----------------------------------------------------------------------------


async def _ask_live(ctx: Ctx) -> Prompt:
    call = await _own_call(ctx, ctx.data.get("call"))
    if call is None:
        return Prompt(
            _("This call is closed or not yours."), ((Button(BACK_TO_CALLS, _("↩️ Back")),),)
        )
    counted = await crisis.tally(ctx.session, call)
    closed = call.status == CrisisCallStatus.CLOSED
    status = (
        _("🛑 Closed.")
        if closed
        else (
            _("✅ Full: everyone needed is coming.")
            if call.confirmed >= call.needed
            else _("🟢 Open.")
        )
    )
    text = paragraphs(
        card(call, ctx.deployment),
        lines(
            status,
            _("📨 Sent: {sent} of {called}", sent=counted.sent, called=counted.called),
            _("🚫 Could not be reached: {n}", n=counted.unreachable),
            _("✅ Coming: {coming} of {needed}", coming=counted.confirmed, needed=call.needed),
            _("⏳ Waiting list: {n}", n=counted.waiting),
            _("❌ Not this time: {n}", n=counted.declined + counted.cancelled),
            _("💬 No answer yet: {n}", n=counted.unanswered),
        ),
        _("As of {time}.", time=TimeText(local_now(ctx).time(), seconds=True)),
    )
    buttons: list[tuple[Button, ...]] = [(Button(REFRESH, _("🔄 Refresh")),)]
    if not closed:
        buttons += [
            (Button(MORE, _("➕ Need more people")),),
            (Button(POST, _("📣 Write to everyone coming")),),
            (Button(GROUPS, _("🧭 Groups and scouts")),),
            (Button(CLOSE, _("🛑 Close the call")),),
        ]
    buttons.append((Button(BACK_TO_CALLS, _("↩️ Back")),))
    return Prompt(text, tuple(buttons))


async def _live_chosen(ctx: Ctx, payload: str) -> Outcome:
    if await _municipality(ctx) is None:
        return not_allowed()
    if payload == BACK_TO_CALLS:
        return Goto("calls", data={})
    call = await _own_call(ctx, ctx.data.get("call"))
    if call is None:
        return Goto("calls", data={})
    if payload == REFRESH or call.status == CrisisCallStatus.CLOSED:
        return Goto("live")  # the same message, edited in place
    return Goto({MORE: "more", POST: "post", CLOSE: "close", GROUPS: "groups"}.get(payload, "live"))


def _ask_more(ctx: Ctx) -> Prompt:
    return Prompt(
        _("👥 How many people do you need in all now? Type a number."),
        ((Button(BACK_TO_CALLS, _("↩️ Back")),),),
    )


async def _more_typed(ctx: Ctx, text: str) -> Outcome:
    found = _NUMBER.match(text)
    value = int(found.group(1)) if found else 0
    if not 1 <= value <= MOST_NEEDED:
        return Retry(_("Please type a number from 1 to {most}.", most=MOST_NEEDED))
    call = await _own_call(ctx, ctx.data.get("call"))
    if call is None or call.id is None:
        return Goto("calls", data={})
    updated, moved = await crisis.need(ctx.session, call.id, value, ctx.now)
    if updated is not None:
        await crisis.tell_moved_up(ctx.session, ctx.deployment, updated, moved, ctx.now)
    note = _(
        "👥 People needed now: {n}. Moved up from the waiting list: {moved}.",
        n=value,
        moved=len(moved),
    )
    return Goto("live", notes=(note,))


def _back_to_live(ctx: Ctx, payload: str) -> Outcome:
    return Goto("live")


def _ask_post(ctx: Ctx) -> Prompt:
    return Prompt(
        _("📣 What do you want to tell everyone who is coming? Write it in one message."),
        ((Button(BACK_TO_CALLS, _("↩️ Back")),),),
    )


async def _post_typed(ctx: Ctx, text: str) -> Outcome:
    if (refused := too_long(text, POST_LENGTH)) is not None:
        return refused
    call = await _own_call(ctx, ctx.data.get("call"))
    if call is None or ctx.user is None:
        return Goto("calls", data={})
    told = await crisis.post(ctx.session, ctx.deployment, call, ctx.user, text.strip(), ctx.now)
    return Goto("live", notes=(_n("📣 Sent to {n} person.", "📣 Sent to {n} people.", told),))


def _ask_close(ctx: Ctx) -> Prompt:
    return Prompt(
        _("🛑 Close the call? Nobody can answer it any more, and the waiting list ends."),
        ((Button(CLOSE_YES, _("🛑 Yes, close it")), Button(CLOSE_NO, _("↩️ No"))),),
    )


async def _close_chosen(ctx: Ctx, payload: str) -> Outcome:
    call = await _own_call(ctx, ctx.data.get("call"))
    if payload == CLOSE_YES and call is not None and call.id is not None:
        await crisis.close(ctx.session, call.id, ctx.now)
        return Goto("live", notes=(_("🛑 The call is closed. Thank you!"),))
    return Goto("live")


# --- groups and their scouts ------------------------------------------------------------------


async def _ask_groups(ctx: Ctx) -> Prompt:
    call = await _own_call(ctx, ctx.data.get("call"))
    back = ((Button(BACK_TO_LIVE, _("↩️ Back")),),)
    if call is None:
        return Prompt(_("This call is closed or not yours."), back)
    found = await crisis.groups(ctx.session, call)
    if not found:
        return Prompt(_("🧭 Nobody has a place yet, so there are no groups."), back)
    rows: list[Text] = []
    for number, size, group in found:
        scout = await _scout_name(ctx, group)
        rows.append(
            _n(
                "Group {group}: {n} person, scout: {scout}{arrived}",
                "Group {group}: {n} people, scout: {scout}{arrived}",
                size,
                group=number,
                scout=Raw(scout) if scout else _("none yet"),
                arrived=_(", ✅ arrived") if group and group.arrived_at else Raw(""),
            )
        )
    buttons = tuple(
        (Button(f"{GROUP}{number}", _("🧭 Scout for group {group}", group=number)),)
        for number, _size, _group in found
    )
    text = paragraphs(
        _("🧭 A scout leads a group to the meeting point and can write to it. Choose a group."),
        lines(*rows),
    )
    return Prompt(text, (*buttons, *back))


async def _scout_name(ctx: Ctx, group: CrisisGroup | None) -> str | None:
    if group is None or group.scout_id is None:
        return None
    profile = await volunteers.profile_of(ctx.session, group.scout_id)
    return profile.first_name if profile is not None else None


def _groups_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == BACK_TO_LIVE:
        return Goto("live")
    number = actions.number(payload.removeprefix(GROUP))
    if number is None:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    ctx.data["group"] = number
    return Goto("scout")


async def _ask_scout(ctx: Ctx) -> Prompt:
    call = await _own_call(ctx, ctx.data.get("call"))
    number = int(ctx.data.get("group") or 0)
    if call is None:
        return Prompt(_("This call is closed or not yours."), ())
    candidates = await crisis.scout_candidates(ctx.session, call, number)
    if not candidates:
        return Prompt(
            _(
                "Nobody in group {group} is vetted yet. A scout must be a vetted volunteer.",
                group=number,
            ),
            (),
        )
    buttons = tuple((Button(f"{SCOUT}{uid}", Raw(name or "?")),) for uid, name in candidates)
    return Prompt(_("🧭 Who leads group {group}?", group=number), buttons)


async def _scout_chosen(ctx: Ctx, payload: str) -> Outcome:
    call = await _own_call(ctx, ctx.data.get("call"))
    scout_id = actions.number(payload.removeprefix(SCOUT))
    number = int(ctx.data.get("group") or 0)
    if call is None or scout_id is None:
        return Goto("groups")
    named = await crisis.name_scout(ctx.session, ctx.deployment, call, number, scout_id, ctx.now)
    if named is None:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    return Goto("groups", notes=(_("🧭 The scout of group {group} is told.", group=number),))


async def _ask_scout_write(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "📣 What do you want to tell your group {group}? Write it in one message.",
            group=int(ctx.data.get("group_number") or 0),
        )
    )


async def _scout_typed(ctx: Ctx, text: str) -> Outcome:
    if (refused := too_long(text, POST_LENGTH)) is not None:
        return refused
    assert ctx.user is not None and ctx.user.id is not None
    found = await crisis.scouting(ctx.session, ctx.data.get("group"), ctx.user.id)
    if found is None:
        return Goto(MAIN_MENU, notes=(_("This call is closed. Thank you all the same!"),))
    group, call = found
    told = await crisis.post(
        ctx.session, ctx.deployment, call, ctx.user, text.strip(), ctx.now, group=group.number
    )
    return Goto(MAIN_MENU, notes=(_n("📣 Sent to {n} person.", "📣 Sent to {n} people.", told),))


async def _scout_button(ctx: Ctx, verb: str, field: str) -> Outcome:
    """📣 or ✅ on the scout's message: write to the group, or report it arrived."""
    assert ctx.user is not None and ctx.user.id is not None
    found = await crisis.scouting(ctx.session, actions.number(field), ctx.user.id)
    if found is None:
        return Say(_("This button is no longer valid."))
    group, call = found
    if verb == "write":
        return Goto(SCOUT_WRITE_TARGET, data={"group": group.id, "group_number": group.number})
    if await crisis.arrived(ctx.session, ctx.deployment, group, call, ctx.now):
        return _card(_("✅ Thank you! We have told the coordinator that your group has arrived."))
    return _card(_("✅ We know already that your group has arrived. Thank you!"))


# --- a volunteer's answer ---------------------------------------------------------------------


async def answer_button(ctx: Ctx, payload: str) -> Outcome:
    """✅ / ❌ on a call, ❌ on a place, or 🔕 no more calls."""
    verb, field = actions.fields(payload)
    if ctx.user is None or ctx.user.id is None:
        return Say(_("This button is no longer valid."))
    if verb == "off":
        return await _calls_off(ctx)
    if verb in ("write", "arrived"):
        return await _scout_button(ctx, verb, field)
    call_id = actions.number(field)
    if verb not in ("yes", "no", "cancel") or call_id is None:
        return Say(_("This button is no longer valid."))
    if not await crisis.was_called(ctx.session, call_id, ctx.user.id):
        return Say(_("This button is no longer valid."))
    answered = await crisis.answer(
        ctx.session, call_id, ctx.user.id, yes=verb == "yes", now=ctx.now
    )
    call = answered.call
    if call is None or answered.outcome == Answer.UNKNOWN:
        return Say(_("This button is no longer valid."))
    if answered.moved_up:
        await crisis.tell_moved_up(ctx.session, ctx.deployment, call, answered.moved_up, ctx.now)
    became_full = answered.outcome == Answer.CONFIRMED and call.confirmed == call.needed
    if became_full:
        await crisis.tell_full(ctx.session, ctx.deployment, call, ctx.now)
    return await _answered(ctx, answered)


async def _answered(ctx: Ctx, answered: crisis.Answered) -> Outcome:
    call, answer = answered.call, answered.answer
    assert call is not None
    if answered.outcome == Answer.CLOSED:
        return _card(_("This call is closed. Thank you all the same!"))
    if answered.outcome == Answer.CONFIRMED and answer is not None:
        return _card(
            group_text(call, answer.group_number, ctx.deployment),
            ((Button(f"{actions.CRISIS_CANCEL}{call.id}", _("❌ I cannot come after all")),),),
            venue(call),
        )
    if answered.outcome == Answer.WAITING and answer is not None:
        place = await crisis.waiting_place(ctx.session, answer)
        text = paragraphs(
            _(
                "⏳ Thank you! All places are taken right now. You are number {n} on the waiting "
                "list. We write to you when a place becomes free.",
                n=place,
            ),
            *online_task(call),
        )
        return _card(
            text, ((Button(f"{actions.CRISIS_CANCEL}{call.id}", _("❌ Take me off the list")),),)
        )
    if answered.outcome == Answer.CANCELLED:
        return _card(_("Thank you for telling us. Your place goes to the next person."))
    return _card(paragraphs(_("Thank you for your answer. Maybe next time!"), *online_task(call)))


def _card(text: Text, buttons: tuple[tuple[Button, ...], ...] = (), at: Venue | None = None) -> Say:
    """An answer to a call: one message (and the place), sent with the call's pushes, leaving the
    person's open question where it is."""
    return Say(text, buttons=buttons, venue=at, alone=True, broadcast=True)


async def _calls_off(ctx: Ctx) -> Outcome:
    assert ctx.user is not None
    profile = await volunteers.profile_of(ctx.session, ctx.user.id)
    if profile is None:
        return Say(_("This button is no longer valid."))
    volunteers.set_crisis_calls(ctx.session, profile, False)
    return Say(
        _("🔕 You get no more calls for helpers. You can turn them on again in your profile.")
    )


ACTIONS = {actions.CRISIS: answer_button}

FLOW = Flow(
    CRISIS_FLOW,
    start="calls",
    steps={
        "calls": Step(
            ask=_ask_calls,
            on_choice=_calls_chosen,
            next=(AGENCY_QUEUE, "place", "what", "live"),
            cancel=False,
        ),
        "place": Step(ask=_ask_place, on_choice=_place_chosen, next=("what",)),
        "what": free_text(
            "what",
            lambda ctx: _(
                "🚨 A call for helpers. What is to be done? For example: fill sandbags at the Rhine bank."
            ),
            next="meeting_point",
            max_length=300,
        ),
        "meeting_point": free_text(
            "meeting_point",
            lambda ctx: _(
                "📍 Where do the helpers meet? For example: the car park at the town hall."
            ),
            next="map",
            max_length=200,
            one_line=True,
            back="what",
        ),
        "map": Step(
            ask=_ask_map,
            on_location=_located,
            on_choice=_map_skipped,
            next=("when", "summary"),
            back="meeting_point",
        ),
        "when": Step(
            ask=_ask_when,
            on_choice=_when_chosen,
            on_text=_when_typed,
            next=("needed", "summary"),
            back="map",
        ),
        "needed": Step(
            ask=_ask_needed,
            on_choice=_needed_chosen,
            on_text=_needed_typed,
            next=("bring", "summary"),
            back="when",
        ),
        "bring": free_text(
            "bring",
            lambda ctx: _("🎒 What should the helpers bring? For example: gloves and boots."),
            next="districts",
            max_length=300,
            optional=True,
            skip_label=_("Nothing special"),
            back="needed",
        ),
        "districts": multi_select(
            "districts",
            lambda ctx: _(
                "🗺 In which districts should we call? Choose none to call the whole town."
            ),
            _district_choices,
            next="who",
            back="bring",
        ),
        "who": multi_select(
            "who",
            lambda ctx: _("Who may come, and may we write at night? Tick what applies."),
            _who_options,
            next="online_task",
            back="districts",
            columns=1,
        ),
        "online_task": free_text(
            "online_task",
            lambda ctx: _(
                "💻 Is there a task from home for those who come too late? For example: call "
                "older neighbours. Or skip this."
            ),
            next="summary",
            max_length=300,
            optional=True,
            back="who",
        ),
        **WRITING,
        "live": Step(
            ask=_ask_live,
            on_choice=_live_chosen,
            next=("calls", "more", "post", "close", "groups"),
            cancel=False,
        ),
        "groups": Step(ask=_ask_groups, on_choice=_groups_chosen, next=("live", "scout")),
        "scout": Step(ask=_ask_scout, on_choice=_scout_chosen, next=("groups",), back="groups"),
        "scout_write": Step(
            ask=_ask_scout_write, on_text=_scout_typed, next=(MAIN_MENU,), cancel=True
        ),
        "more": Step(
            ask=_ask_more, on_text=_more_typed, on_choice=_back_to_live, next=("live", "calls")
        ),
        "post": Step(
            ask=_ask_post, on_text=_post_typed, on_choice=_back_to_live, next=("live", "calls")
        ),
        "close": Step(ask=_ask_close, on_choice=_close_chosen, next=("live",)),
    },
)
