"""The volunteer profile: what someone offers, where, when, in which languages and how often.

New volunteers answer the questions one by one and check a summary before saving; existing ones
start at the summary with their profile loaded and change any field from there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import select

from handlers.flow import EDITING, SUMMARY, Ctx, Flow, Goto, Outcome, Prompt, Retry, Step
from handlers.i18n import Msg, Raw, Text, Written, _, lines, paragraphs
from handlers.types import Button
from handlers.vocabulary import (
    CategoryLabel,
    Joined,
    category,
    category_options,
    district_names,
    district_options,
    home_municipality,
    language_names,
    language_options,
    slot_label,
    slot_options,
)
from handlers.widgets import (
    after,
    free_text,
    goto,
    multi_select,
    single_choice,
)
from storage.models import (
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
)
from town.geo import nearest_district

AGE_GROUPS: dict[str, Msg] = {"adult": _("18 or older"), "minor": _("Under 18")}
COMMITMENTS: dict[str, Msg] = {
    "one_off": _("Now and then, one-off"),
    "regular": _("Regularly"),
    "both": _("Both"),
}
RHYTHMS: dict[str, Msg] = {
    "immediate": _("⚡ Right away"),
    "daily": _("📅 Once a day"),
    "weekly": _("🗓 Once a week"),
    "paused": _("⏸ Not now (paused)"),
}
SAVE = "save"
EDIT = "edit"
FIELD = "field:"
NOTE_LIMIT = 300

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
            return Goto(after(ctx, "categories").step, notes=(note,))
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
    return after(ctx, "districts")


def _district_from_location(ctx: Ctx, latitude: float, longitude: float) -> Outcome:
    district = nearest_district(home_municipality(ctx), latitude, longitude)
    if district is None:
        return Retry(
            _("That place is too far away. Please choose your districts with the buttons.")
        )
    selected = list(ctx.data.get("districts", []))
    if district.id not in selected:
        selected.append(district.id)
    valid = [value for value, _label in district_options(ctx)]
    ctx.data["districts"] = [v for v in valid if v in selected]
    return Goto(
        "districts",
        notes=(
            _("📍 The nearest district is {district}; it is now ticked.", district=district.name),
        ),
    )


def summary_text(ctx: Ctx) -> Text:
    data = ctx.data
    kinds = [
        CategoryLabel(c) for c in ctx.deployment.categories if c.id in data.get("categories", [])
    ]
    labels: dict[str, Text] = {
        "first_name": Raw(data.get("first_name") or ""),
        "age": AGE_GROUPS.get(data.get("age", ""), _("not given")),
        "categories": Joined(kinds),
        "districts": district_names(ctx, data.get("districts", [])),
        "slots": Joined([slot_label(s) for s in data.get("slots", [])]),
        "languages": language_names(data.get("languages", [])),
        "commitment": COMMITMENTS.get(data.get("commitment", ""), _("not given")),
        "rhythm": RHYTHMS.get(data.get("rhythm", ""), _("not given")),
        "note": Written(data["note"], ctx.language) if data.get("note") else _("none"),
    }
    rows = [_("{field}: {value}", field=FIELDS[key], value=value) for key, value in labels.items()]
    return paragraphs(_("👤 Your volunteer profile"), lines(*rows))


def _ask_summary(ctx: Ctx) -> Prompt:
    question = _("Is everything right?")
    buttons = ((Button(SAVE, _("✅ Save")),), (Button(EDIT, _("✏️ Change something")),))
    return Prompt(paragraphs(summary_text(ctx), question), buttons)


async def _summary_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == EDIT:
        return Goto("edit")
    await save_profile(ctx)
    if ctx.data.get("rhythm") == "paused":
        done = _(
            "Saved. Your profile is paused: we will not send you requests until you resume it."
        )
    else:
        done = _("Saved. Thank you for helping! We will send you requests that fit your profile.")
    return Goto("main", flow="menu", notes=(done,))


def _ask_edit(ctx: Ctx) -> Prompt:
    buttons = [Button(FIELD + key, label) for key, label in FIELDS.items()]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return Prompt(_("What would you like to change?"), rows)


def _edit_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data[EDITING] = True
    return Goto(payload.removeprefix(FIELD))


async def load_profile(ctx: Ctx) -> VolunteerProfile | None:
    assert ctx.user is not None
    query = select(VolunteerProfile).where(VolunteerProfile.user_id == ctx.user.id)
    return (await ctx.session.exec(query)).first()


async def profile_draft(ctx: Ctx, profile: VolunteerProfile) -> dict[str, Any]:
    """The profile as a draft of this flow, to edit it from the summary."""
    session, pid = ctx.session, profile.id

    async def values(column: Any, model: Any) -> list[Any]:
        return list((await session.exec(select(column).where(model.profile_id == pid))).all())

    slots = (await session.exec(select(VolunteerSlot).where(VolunteerSlot.profile_id == pid))).all()
    order = {value: i for i, (value, _label) in enumerate(slot_options(ctx))}
    return {
        "first_name": profile.first_name,
        "age": profile.age_group,
        "categories": await values(VolunteerCategory.category, VolunteerCategory),
        "districts": await values(VolunteerDistrict.district, VolunteerDistrict),
        "slots": sorted((f"{s.weekday}-{s.part}" for s in slots), key=lambda s: order.get(s, 99)),
        "languages": await values(VolunteerLanguage.language, VolunteerLanguage),
        "commitment": profile.commitment,
        "rhythm": "paused" if profile.paused else profile.rhythm,
        "note": profile.note,
        "rhythm_before_pause": profile.rhythm,
    }


async def save_profile(ctx: Ctx) -> VolunteerProfile:
    """Create or update the volunteer's profile and its categories, districts, languages and times."""
    assert ctx.user is not None
    assert ctx.user.id is not None
    data, session = ctx.data, ctx.session
    profile = await load_profile(ctx)
    paused = data["rhythm"] == "paused"
    rhythm = data.get("rhythm_before_pause", "weekly") if paused else data["rhythm"]
    if profile is None:
        profile = VolunteerProfile(
            user_id=ctx.user.id,
            commitment=data["commitment"],
            rhythm=rhythm,
            paused=paused,
            note=data.get("note"),
            age_group=data["age"],
            first_name=data["first_name"],
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    else:
        profile.commitment, profile.rhythm, profile.paused = data["commitment"], rhythm, paused
        profile.note, profile.age_group, profile.updated_at = data.get("note"), data["age"], ctx.now
        profile.first_name = data["first_name"]
    session.add(profile)
    await session.flush()
    pid = profile.id
    assert pid is not None
    municipality = home_municipality(ctx).id
    for model in (VolunteerCategory, VolunteerDistrict, VolunteerLanguage, VolunteerSlot):
        await session.exec(delete(model).where(model.profile_id == pid))  # type: ignore[arg-type]
    session.add_all([VolunteerCategory(profile_id=pid, category=c) for c in data["categories"]])
    session.add_all(
        [
            VolunteerDistrict(profile_id=pid, municipality=municipality, district=d)
            for d in data["districts"]
        ]
    )
    session.add_all(
        [VolunteerLanguage(profile_id=pid, language=code) for code in data["languages"]]
    )
    for slot in data["slots"]:
        weekday, part = slot.split("-", 1)
        session.add(VolunteerSlot(profile_id=pid, weekday=int(weekday), part=part))
    return profile


def _options(table: dict[str, Msg]) -> Any:
    return lambda ctx: list(table.items())


def _note_question(ctx: Ctx) -> Text:
    return _(
        "Anything else we should know, for example skills or experience? "
        "Write a short note (at most {limit} characters) or skip.",
        limit=NOTE_LIMIT,
    )


def _name_valid(_ctx: Ctx, text: str) -> Text | None:
    if not any(ch.isalpha() for ch in text):
        return _("Please type your first name.")
    return None


FLOW = Flow(
    "volunteer",
    start="first_name",
    steps={
        "first_name": free_text(
            "first_name",
            lambda ctx: _("What is your first name? We only tell it to the people you help."),
            goto("age"),
            max_length=40,
            validate=_name_valid,
        ),
        "age": single_choice(
            "age",
            lambda ctx: _("Some kinds of help are only for adults. How old are you?"),
            _options(AGE_GROUPS),
            _age_chosen,
            back="first_name",
        ),
        "categories": multi_select(
            "categories",
            lambda ctx: _("Which kinds of help can you offer? Tick all that fit, then Continue."),
            lambda ctx: category_options(ctx.deployment),
            _categories_done,
            back="age",
            required=_("Please tick at least one kind of help."),
        ),
        "districts": multi_select(
            "districts",
            lambda ctx: _(
                "Where can you help? Tick the districts, or share your location and we tick the "
                "nearest one."
            ),
            district_options,
            goto("slots"),
            back="categories",
            required=_("Please tick at least one district."),
            on_location=_district_from_location,
        ),
        "slots": multi_select(
            "slots",
            lambda ctx: _("When are you usually free? Tick the times, then Continue."),
            slot_options,
            goto("languages"),
            back="districts",
            columns=3,
            required=_("Please tick at least one time."),
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _("Which languages do you speak?"),
            language_options,
            goto("commitment"),
            back="slots",
            required=_("Please tick at least one language."),
        ),
        "commitment": single_choice(
            "commitment",
            lambda ctx: _("Would you rather help now and then, or regularly?"),
            _options(COMMITMENTS),
            goto("rhythm"),
            back="languages",
        ),
        "rhythm": single_choice(
            "rhythm",
            lambda ctx: _("How often may we send you requests that fit?"),
            _options(RHYTHMS),
            goto("note"),
            back="commitment",
        ),
        "note": free_text(
            "note",
            _note_question,
            goto(SUMMARY),
            max_length=NOTE_LIMIT,
            back="rhythm",
            optional=True,
        ),
        SUMMARY: Step(ask=_ask_summary, on_choice=_summary_chosen),
        "edit": Step(ask=_ask_edit, on_choice=_edit_chosen, back=SUMMARY),
    },
)
