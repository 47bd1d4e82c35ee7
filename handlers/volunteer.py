"""The volunteer profile: what someone offers, where, when, in which languages and how often.

New volunteers answer the questions one by one and check a summary before saving; existing ones
start at the summary with their profile loaded and change any field from there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.i18n import DateText, Msg, Raw, Text, Written, _, lines, paragraphs
from engine.steps import (
    EDITING,
    SUMMARY,
    Ctx,
    Flow,
    Goto,
    MaybeAwaitable,
    Outcome,
    Prompt,
    Retry,
    Step,
    resolve,
)
from engine.typed import is_a_name
from engine.types import Button
from engine.widgets import after, checked, free_text, multi_select, rows, single_choice, summary
from exchange import announcements, vetting, volunteers
from exchange.volunteers import ProfileValues
from handlers import request
from handlers.targets import MAIN_MENU, VOLUNTEER
from storage.models import Rhythm, VolunteerProfile
from town.geo import nearest_district
from vocabulary.labels import (
    PARTS_OF_DAY,
    CategoryLabel,
    Joined,
    category,
    category_options,
    district_names,
    district_options,
    language_names,
    language_options,
    slot_id,
    slot_label,
    slot_options,
)
from vocabulary.offices import where_to_go

AGE_GROUPS: dict[str, Msg] = {"adult": _("18 or older"), "minor": _("Under 18")}
COMMITMENTS: dict[str, Msg] = {
    "one_off": _("Now and then, one-off"),
    "regular": _("Regularly"),
    "both": _("Both"),
}
# How often offers come, or not for now: anything but a rhythm pauses the profile.
PAUSE = "pause"
RHYTHMS: dict[str, Msg] = {
    Rhythm.IMMEDIATE: _("⚡ Right away"),
    Rhythm.DAILY: _("📅 Once a day"),
    Rhythm.WEEKLY: _("🗓 Once a week"),
    PAUSE: _("⏸ Not now (paused)"),
}
SAVE = "save"
NOTE_LIMIT = 300
# What the flow does not ask but sets, stated in the summary to change there.
DEFAULT_COMMITMENT = "both"
DEFAULT_RHYTHM = Rhythm.IMMEDIATE
DEFAULTED = ("languages", "commitment", "rhythm", "note")

# Above the grid of times: whole sets of them ticked (or unticked) with one tap.
PRESET = "preset:"
WEEKDAYS, WEEKEND = range(5), range(5, 7)
PRESETS: dict[str, tuple[Msg, tuple[str, ...]]] = {
    "weekday_mornings": (
        _("Weekday mornings"),
        tuple(slot_id(day, "morning") for day in WEEKDAYS),
    ),
    "weekday_afternoons": (
        _("Weekday afternoons"),
        tuple(slot_id(day, "afternoon") for day in WEEKDAYS),
    ),
    "weekend": (
        _("At the weekend"),
        tuple(slot_id(day, part) for day in WEEKEND for part in PARTS_OF_DAY),
    ),
    "evenings": (_("Evenings"), tuple(slot_id(day, "evening") for day in range(7))),
}

# The fields a volunteer can change from the summary, in the order they are asked.
FIELDS: dict[str, Msg] = {
    "first_name": _("First name"),
    "age": _("Age"),
    "categories": _("Kinds of help"),
    "districts": _("Districts"),
    "slots": _("Times"),
    "languages": _("Languages"),
    "commitment": _("Commitment"),
    "rhythm": _("Offers"),
    "note": _("Note"),
}


def _adults_only(ctx: Ctx, ids: list[str]) -> list[str]:
    return [i for i in ids if (c := category(ctx.deployment, i)) is not None and c.adults_only]


def _age_chosen(ctx: Ctx) -> Outcome:
    if ctx.data.get("age") == "minor":
        removed = _adults_only(ctx, ctx.data.get("categories", []))
        if removed:
            ctx.data["categories"] = [c for c in ctx.data["categories"] if c not in removed]
            note = _(
                "Some kinds of help are only for volunteers of 18 or older; we removed: {kinds}",
                kinds=Joined(
                    [CategoryLabel(c) for c in ctx.deployment.categories if c.id in removed]
                ),
            )
            return Goto(after(ctx, "categories").to, notes=(note,))
    return after(ctx, "categories")


def _categories_done(ctx: Ctx) -> Outcome:
    if ctx.data.get("age") == "minor":
        refused = _adults_only(ctx, ctx.data.get("categories", []))
        if refused:
            ctx.data["categories"] = [c for c in ctx.data["categories"] if c not in refused]
            return Retry(
                _(
                    "{kinds}: this is only for volunteers of 18 or older. Please choose something else.",
                    kinds=Joined(
                        [CategoryLabel(c) for c in ctx.deployment.categories if c.id in refused]
                    ),
                )
            )
    _preselect_own_district(ctx)
    return after(ctx, "districts")


def _preselect_own_district(ctx: Ctx) -> None:
    """A new profile starts with the district of the person's poster link ticked."""
    own = ctx.user.district if ctx.user is not None else None
    valid = {value for value, _label in district_options(ctx.municipality)}
    if "districts" not in ctx.data and own in valid:
        ctx.data["districts"] = [own]


def _district_from_location(ctx: Ctx, latitude: float, longitude: float) -> Outcome:
    district = nearest_district(ctx.municipality, latitude, longitude)
    if district is None:
        return Retry(
            _("That place is too far away. Please choose your districts with the buttons.")
        )
    selected = list(ctx.data.get("districts", []))
    if district.id not in selected:
        selected.append(district.id)
    valid = [value for value, _label in district_options(ctx.municipality)]
    ctx.data["districts"] = [v for v in valid if v in selected]
    return Goto(
        "districts",
        notes=(
            _("📍 The nearest district is {district}; it is now ticked.", district=district.name),
        ),
    )


def _slots_done(ctx: Ctx) -> Outcome:
    """The rest has defaults, stated in the summary to change there: the person's own language,
    both one-off and regular help, offers right away, no note."""
    ctx.data.setdefault("languages", [request.own_language(ctx)])
    ctx.data.setdefault("commitment", DEFAULT_COMMITMENT)
    ctx.data.setdefault("rhythm", str(DEFAULT_RHYTHM))
    ctx.data.setdefault("note", None)
    ctx.data.pop(EDITING, None)
    return Goto(SUMMARY)


def _with_presets(step: Step) -> Step:
    """The grid of times with the presets above it; a preset ticks its times, or unticks them
    when all are ticked already."""
    grid, pressed = step.ask, step.on_choice
    assert pressed is not None

    async def ask(ctx: Ctx) -> Prompt:
        prompt = await resolve(grid(ctx))
        selected = set(ctx.data.get("slots", []))
        presets = [
            Button(PRESET + key, checked(label, set(slots) <= selected))
            for key, (label, slots) in PRESETS.items()
        ]
        return replace(prompt, choices=(*rows(presets, 2), *prompt.choices))

    def chosen(ctx: Ctx, payload: str) -> MaybeAwaitable[Outcome]:
        if not payload.startswith(PRESET) or payload.removeprefix(PRESET) not in PRESETS:
            return pressed(ctx, payload)
        _label, slots = PRESETS[payload.removeprefix(PRESET)]
        selected = set(ctx.data.get("slots", []))
        selected = selected - set(slots) if set(slots) <= selected else selected | set(slots)
        ctx.data["slots"] = [value for value, _text in slot_options() if value in selected]
        return Goto(ctx.conversation.step)

    return replace(step, ask=ask, on_choice=chosen)


def summary_text(ctx: Ctx) -> Text:
    data = ctx.data
    kinds = [
        CategoryLabel(c) for c in ctx.deployment.categories if c.id in data.get("categories", [])
    ]
    labels: dict[str, Text] = {
        "first_name": Raw(data.get("first_name") or ""),
        "age": AGE_GROUPS.get(data.get("age", ""), _("not given")),
        "categories": Joined(kinds),
        "districts": district_names(ctx.municipality, data.get("districts", [])),
        "slots": Joined([slot_label(s) for s in data.get("slots", [])]),
        "languages": language_names(data.get("languages", [])),
        "commitment": COMMITMENTS.get(data.get("commitment", ""), _("not given")),
        "rhythm": RHYTHMS.get(data.get("rhythm", ""), _("not given")),
        "note": Written(data["note"], ctx.language) if data.get("note") else _("none"),
    }
    rows = [_("{field}: {value}", field=FIELDS[key], value=value) for key, value in labels.items()]
    return paragraphs(_("👤 Your volunteer profile"), lines(*rows))


def vetting_text(ctx: Ctx, profile: VolunteerProfile) -> Text | None:
    """Whether the volunteer is vetted, and where to get vetted if their help needs it."""
    needing = vetting.needs_vetting(ctx.deployment, ctx.data.get("categories", []))
    if profile.verified and profile.certificate_issued_on is not None:
        until = vetting.valid_until(ctx.deployment, profile.certificate_issued_on)
        return _("✅ Vetted: your police certificate counts until {day}.", day=DateText(until))
    if not needing:
        return None
    kinds = Joined([CategoryLabel(ctx.deployment.categories_by_id[c]) for c in needing])
    return paragraphs(
        _(
            "📄 For {kinds} we need to see your extended police certificate "
            "(erweitertes Führungszeugnis). Please bring it and your ID to us. "
            "Until then you get no requests of this kind.",
            kinds=kinds,
        ),
        where_to_go(ctx.deployment),
    )


async def _saved(ctx: Ctx) -> Outcome:
    profile = await save_profile(ctx)
    assert ctx.user is not None
    if not profile.paused:  # positions still open reach them in their next digest
        await announcements.announce_to_newcomer(
            ctx.session, ctx.deployment, profile, ctx.user, ctx.now
        )
    waits = await vetting.ask_for_vetting(
        ctx.session, ctx.deployment, ctx.user, profile, ctx.data.get("categories", []), ctx.now
    )
    if waits:
        note = vetting_text(ctx, profile)
        saved = _("Saved. Thank you for helping! We will send you requests that fit your profile.")
        return Goto(MAIN_MENU, notes=(saved, note) if note else (saved,))
    if profile.paused:
        done = _(
            "Saved. Your profile is paused: we will not send you requests until you resume it."
        )
    else:
        done = _("Saved. Thank you for helping! We will send you requests that fit your profile.")
    return Goto(MAIN_MENU, notes=(done,))


async def load_profile(ctx: Ctx) -> VolunteerProfile | None:
    assert ctx.user is not None
    return await volunteers.profile_of(ctx.session, ctx.user.id)


async def profile_draft(ctx: Ctx, profile: VolunteerProfile) -> dict[str, Any]:
    """The profile as a draft of this flow, to edit it from the summary."""
    values = await volunteers.values_of(ctx.session, profile)
    order = {value: i for i, (value, _label) in enumerate(slot_options())}
    return {
        "first_name": values.first_name,
        "age": values.age_group,
        "categories": list(values.categories),
        "districts": list(values.districts),
        "slots": sorted(
            (slot_id(day, part) for day, part in values.slots), key=lambda s: order.get(s, 99)
        ),
        "languages": list(values.languages),
        "commitment": values.commitment,
        "rhythm": PAUSE if values.paused else values.rhythm,
        "note": values.note,
        "rhythm_before_pause": values.rhythm,
    }


async def save_profile(ctx: Ctx) -> VolunteerProfile:
    """Create or update the volunteer's profile from the draft."""
    assert ctx.user is not None
    assert ctx.user.id is not None
    data = ctx.data
    chosen = data["rhythm"]
    paused = chosen not in set(Rhythm)
    rhythm = Rhythm(data.get("rhythm_before_pause", Rhythm.WEEKLY) if paused else chosen)
    slots = [(int(day), part) for day, part in (slot.split("-", 1) for slot in data["slots"])]
    values = ProfileValues(
        first_name=data["first_name"],
        age_group=data["age"],
        categories=data["categories"],
        districts=data["districts"],
        slots=slots,
        languages=data["languages"],
        commitment=data["commitment"],
        rhythm=rhythm,
        paused=paused,
        note=data.get("note"),
    )
    return await volunteers.save_profile(
        ctx.session, ctx.user, ctx.municipality.id, values, ctx.now
    )


def _options(table: dict[str, Msg]) -> Any:
    return lambda ctx: list(table.items())


def _note_question(ctx: Ctx) -> Text:
    return _(
        "Anything else we should know, for example skills or experience? "
        "Write a short note (at most {limit} characters) or skip.",
        limit=NOTE_LIMIT,
    )


def _name_valid(_ctx: Ctx, text: str) -> Text | None:
    return None if is_a_name(text) else _("Please type your first name.")


FLOW = Flow(
    VOLUNTEER,
    start="first_name",
    steps={
        "first_name": free_text(
            "first_name",
            lambda ctx: _("What is your first name? We only tell it to the people you help."),
            next="age",
            max_length=40,
            one_line=True,
            validate=_name_valid,
        ),
        "age": single_choice(
            "age",
            lambda ctx: _("Some kinds of help are only for adults. How old are you?"),
            _options(AGE_GROUPS),
            next=("categories",),
            then=_age_chosen,
            back="first_name",
        ),
        "categories": multi_select(
            "categories",
            lambda ctx: _("Which kinds of help can you offer? Tick all that fit, then Continue."),
            lambda ctx: category_options(ctx.deployment),
            next=("districts",),
            then=_categories_done,
            back="age",
            required=_("Please tick at least one kind of help."),
        ),
        "districts": multi_select(
            "districts",
            lambda ctx: _(
                "Where can you help? Tick the districts, or share your location and we tick the "
                "nearest one."
            ),
            lambda ctx: district_options(ctx.municipality),
            next="slots",
            back="categories",
            required=_("Please tick at least one district."),
            on_location=_district_from_location,
        ),
        "slots": _with_presets(
            multi_select(
                "slots",
                lambda ctx: _("When are you usually free? Tick the times, then Continue."),
                lambda ctx: slot_options(),
                next=(SUMMARY,),
                then=_slots_done,
                back="districts",
                columns=3,
                required=_("Please tick at least one time."),
            )
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _("Which languages do you speak?"),
            lambda ctx: language_options(),
            next=SUMMARY,
            back=SUMMARY,
            required=_("Please tick at least one language."),
        ),
        "commitment": single_choice(
            "commitment",
            lambda ctx: _("Would you rather help now and then, or regularly?"),
            _options(COMMITMENTS),
            next=SUMMARY,
            back=SUMMARY,
        ),
        "rhythm": single_choice(
            "rhythm",
            lambda ctx: _("How often may we send you requests that fit?"),
            _options(RHYTHMS),
            next=SUMMARY,
            back=SUMMARY,
        ),
        "note": free_text(
            "note",
            _note_question,
            next=SUMMARY,
            max_length=NOTE_LIMIT,
            back=SUMMARY,
            optional=True,
        ),
        **summary(
            summary_text,
            fields=FIELDS,
            direct=lambda ctx: DEFAULTED,
            submit=Button(SAVE, _("✅ Save")),
            on_submit=_saved,
            next=(MAIN_MENU,),
        ),
    },
)
