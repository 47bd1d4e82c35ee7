"""Organisations: registering a club, parish or association, and its card once registered.

A representative answers a few questions, checks a summary and registers; a coordinator then
approves or rejects the registration (`ehrenamt admin approve-org`). Approved organisations post
opportunities for volunteers from their card. One organisation per representative.
"""

from __future__ import annotations

from typing import Any

from engine.i18n import Msg, Raw, Text, _, lines, paragraphs
from engine.steps import SUMMARY, Ctx, Flow, Goto, Outcome, Prompt, Step, resolve
from engine.types import Button
from engine.widgets import after, free_text, single_choice, summary
from exchange import links, organisations
from handlers import targets
from handlers.targets import MAIN_MENU, ORGANISATION_CARD, REGISTER_ORGANISATION
from storage.models import Organisation, OrganisationStatus, Role

NAME_LIMIT = 100
CONTACT_LIMIT = 80

# The main menu shows this button (`menu_buttons`) and hands its press to `menu_chosen`.
MENU_ORGANISATION = "menu:organisation"

REGISTER = "register"
NEW_OPPORTUNITY = "org:new"
OUR_OPPORTUNITIES = "org:list"
MAIN_MENU_BUTTON = "org:menu"

KINDS: dict[str, Msg] = {
    "club": _("Club or association"),
    "parish": _("Parish"),
    "care": _("Care association"),
    "school": _("School (music school etc.)"),
    "other": _("Other"),
}

FIELDS: dict[str, Msg] = {
    "name": _("Name"),
    "kind": _("Kind"),
    "municipality": _("Municipality"),
    "contact": _("Contact person"),
}


# --- for the main menu ----------------------------------------------------------------------


def menu_buttons(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    """The main menu's row for people who represent an organisation."""
    if ctx.user is None or ctx.user.role != Role.ORGANISATION:
        return ()
    return ((Button(MENU_ORGANISATION, _("🏛️ Our organisation")),),)


async def menu_chosen(ctx: Ctx, payload: str) -> Outcome | None:
    """Handle a main-menu press of ours; None when the payload belongs to someone else."""
    if payload != MENU_ORGANISATION:
        return None
    return await open_organisation(ctx)


async def open_organisation(ctx: Ctx) -> Outcome:
    """The organisation's card, or the registration when the person has none yet."""
    if await load_organisation(ctx) is None:
        return Goto(REGISTER_ORGANISATION)
    return Goto(ORGANISATION_CARD)


async def load_organisation(ctx: Ctx) -> Organisation | None:
    """The organisation the person represents, if any."""
    return await organisations.of_owner(ctx.session, ctx.user.id if ctx.user else None)


def municipality_name(ctx: Ctx, municipality_id: str | None) -> Text:
    municipality = ctx.deployment.municipality(municipality_id)
    return Raw(municipality.name) if municipality else _("not given")


def organisation_text(ctx: Ctx, data: dict[str, Any], *, with_name: bool = True) -> Text:
    """The organisation's details, line by line, from a draft or a stored organisation."""
    values: dict[str, Text] = {
        "name": Raw(data.get("name") or ""),
        "kind": KINDS.get(data.get("kind") or "", _("not given")),
        "municipality": municipality_name(ctx, data.get("municipality")),
        "contact": Raw(data.get("contact") or ""),
    }
    return lines(
        *(
            _("{field}: {value}", field=FIELDS[key], value=value)
            for key, value in values.items()
            if with_name or key != "name"
        )
    )


def _draft_of(organisation: Organisation) -> dict[str, Any]:
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "municipality": organisation.municipality,
        "contact": organisation.contact_name,
    }


# --- registration ---------------------------------------------------------------------------


def _single_municipality(ctx: Ctx) -> bool:
    return len(ctx.deployment.municipalities) == 1


def _name_valid(_ctx: Ctx, text: str) -> Text | None:
    if not any(ch.isalpha() for ch in text):
        return _("Please type the name of your organisation in letters.")
    return None


def _contact_valid(_ctx: Ctx, text: str) -> Text | None:
    if not any(ch.isalpha() for ch in text):
        return _("Please type the contact person's name, for example Anna Schmidt.")
    return None


async def _ask_name(ctx: Ctx) -> Prompt:
    if await load_organisation(ctx) is not None:  # registered meanwhile, e.g. on a second device
        return Prompt(
            _("You have already registered an organisation."),
            ((Button(MAIN_MENU_BUTTON, _("🏠 Main menu")),),),
        )
    return Prompt(
        _(
            "What is the name of your organisation? Please type it (at most {limit} characters). "
            "A coordinator checks every registration.",
            limit=NAME_LIMIT,
        )
    )


# The plain text question; `_ask_name` and `_name_typed` add the check for an existing one.
_NAME = free_text(
    "name",
    lambda ctx: Raw(""),
    next="kind",
    max_length=NAME_LIMIT,
    one_line=True,
    validate=_name_valid,
)


async def _name_typed(ctx: Ctx, text: str) -> Outcome:
    if await load_organisation(ctx) is not None:
        return await open_organisation(ctx)
    assert _NAME.on_text is not None
    return await resolve(_NAME.on_text(ctx, text))


def _to_menu(ctx: Ctx, payload: str) -> Outcome:
    return Goto(MAIN_MENU)


def _kind_chosen(ctx: Ctx) -> Outcome:
    if _single_municipality(ctx):
        ctx.data["municipality"] = ctx.deployment.municipalities[0].id
        return after(ctx, "contact")
    return after(ctx, "municipality")


def _municipality_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(m.id, Raw(m.name)) for m in ctx.deployment.municipalities]


def _summary(ctx: Ctx) -> Text:
    return paragraphs(_("🏛️ Your organisation"), organisation_text(ctx, ctx.data))


async def _registered(ctx: Ctx) -> Outcome:
    assert ctx.user is not None
    assert ctx.user.id is not None
    if await load_organisation(ctx) is not None:
        return Goto("card", notes=(_("You have already registered an organisation."),))
    data = ctx.data
    chosen = ctx.deployment.municipality(data.get("municipality"))
    if chosen is None:
        if not _single_municipality(ctx):
            return Goto("municipality")
        chosen = ctx.deployment.municipalities[0]
    await organisations.register(
        ctx.session,
        ctx.deployment,
        owner=ctx.user,
        name=data["name"],
        kind=data["kind"],
        municipality=chosen.id,
        contact_name=data["contact"],
        now=ctx.now,
    )
    done = _(
        "📨 Registered. A coordinator of {agency} will check your registration. "
        "As soon as it is approved, you can post opportunities for volunteers here in the menu "
        "under 🏛️ Our organisation.",
        agency=ctx.deployment.agency.name,
    )
    return Goto(MAIN_MENU, notes=(done,))


def _editable(ctx: Ctx) -> list[str]:
    return [k for k in FIELDS if not (k == "municipality" and _single_municipality(ctx))]


# --- the card -------------------------------------------------------------------------------


async def _ask_card(ctx: Ctx) -> Prompt:
    organisation = await load_organisation(ctx)
    menu = (Button(MAIN_MENU_BUTTON, _("🏠 Main menu")),)
    if organisation is None:  # deleted meanwhile
        return Prompt(
            _("You have not registered an organisation yet."),
            ((Button(REGISTER, _("🏛️ Register an organisation")),), menu),
        )
    details = organisation_text(ctx, _draft_of(organisation), with_name=False)
    title = _("🏛️ {name}", name=Raw(organisation.name))
    if organisation.status == OrganisationStatus.APPROVED:
        return Prompt(
            paragraphs(
                title,
                details,
                _(
                    "🔗 The link to your positions, for your flyer or website: {link}",
                    link=Raw(ctx.start_link(links.organisation_code(organisation))),
                ),
                _("What would you like to do?"),
            ),
            (
                (Button(NEW_OPPORTUNITY, _("➕ New opportunity")),),
                (Button(OUR_OPPORTUNITIES, _("📋 Our opportunities")),),
                menu,
            ),
        )
    if organisation.status == OrganisationStatus.REJECTED:
        note = _(
            "A coordinator could not approve this registration. Please get in touch with us: "
            "{contact}",
            contact=ctx.deployment.agency.contact,
        )
    else:
        note = _(
            "⏳ Your registration is waiting for approval by a coordinator. Once it is approved, "
            "you can post opportunities for volunteers here."
        )
    return Prompt(paragraphs(title, details, note), (menu,))


async def _card_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == MAIN_MENU_BUTTON:
        return Goto(MAIN_MENU)
    if payload == REGISTER:
        return await open_organisation(ctx)
    organisation = await load_organisation(ctx)
    if organisation is None or organisation.status != OrganisationStatus.APPROVED:
        return Goto("card")
    if payload == NEW_OPPORTUNITY:
        return Goto(targets.NEW_OPPORTUNITY)
    return Goto(targets.OUR_OPPORTUNITIES)


FLOW = Flow(
    targets.ORGANISATION,
    start="name",
    steps={
        "name": Step(
            ask=_ask_name,
            on_text=_name_typed,
            on_choice=_to_menu,
            next=("kind", REGISTER_ORGANISATION, ORGANISATION_CARD, MAIN_MENU),
        ),
        "kind": single_choice(
            "kind",
            lambda ctx: _("What kind of organisation is it?"),
            lambda ctx: list(KINDS.items()),
            next=("contact", "municipality"),
            then=_kind_chosen,
            back="name",
        ),
        "municipality": single_choice(
            "municipality",
            lambda ctx: _("In which municipality is your organisation active?"),
            _municipality_options,
            next="contact",
            back="kind",
            skip=_single_municipality,
        ),
        "contact": free_text(
            "contact",
            lambda ctx: _(
                "Who is the contact person? Please type their name (at most {limit} characters). "
                "The coordinators see it, and later the volunteers who answer your opportunities.",
                limit=CONTACT_LIMIT,
            ),
            next=SUMMARY,
            max_length=CONTACT_LIMIT,
            one_line=True,
            back="municipality",
            validate=_contact_valid,
        ),
        **summary(
            _summary,
            fields=FIELDS,
            shown=_editable,
            submit=Button(REGISTER, _("📨 Register")),
            on_submit=_registered,
            next=("card", "municipality", MAIN_MENU),
        ),
        "card": Step(
            ask=_ask_card,
            on_choice=_card_chosen,
            next=(
                MAIN_MENU,
                REGISTER_ORGANISATION,
                targets.NEW_OPPORTUNITY,
                targets.OUR_OPPORTUNITIES,
            ),
            cancel=False,
        ),
    },
)
