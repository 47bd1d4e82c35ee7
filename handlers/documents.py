"""The documents shelf in the chat: the topics with their counts, the documents of a topic, and
a tap sends one as a file.

Whoever fetches a document is sent its next version when a coordinator replaces it. Coordinators
see when each document runs out, and those out of date too (which everyone else no longer sees).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from engine.i18n import Raw, Text, Translator, _, lines, paragraphs
from engine.steps import Action, Ctx, Flow, Goto, Outcome, Prompt, Retry, Return, Say, Step
from engine.types import Button, OutgoingFile
from exchange import documents, staff
from handlers.targets import DOCUMENTS_FLOW
from storage.models import Document, DocumentCategory
from vocabulary import actions
from vocabulary.actions import last_field, number

log = logging.getLogger(__name__)

CATEGORY = "docs:category:"
DOCUMENT = "docs:document:"
DONE = "docs:done"

CATEGORIES: dict[DocumentCategory, Text] = {
    DocumentCategory.FORMS: _("📝 Forms"),
    DocumentCategory.FUNDING: _("💶 Funding applications"),
    DocumentCategory.GUIDES: _("📘 Guides for volunteers"),
    DocumentCategory.INSURANCE: _("🛡️ Insurance"),
    DocumentCategory.PRIVACY: _("🔒 Data protection"),
}


@dataclass(frozen=True)
class _LongDate:
    """A date with its year, as validity dates need ("31. Dezember 2027")."""

    value: date

    def render(self, tr: Translator, language: str) -> str:
        return format_date(self.value, format="long", locale=tr.babel_locale(language))


def _today(ctx: Ctx) -> date:
    return ctx.now.astimezone(ctx.deployment.tz).date()


async def _coordinates(ctx: Ctx) -> bool:
    """Whether the reader coordinates the municipality whose shelf they see."""
    if ctx.user is None:
        return False
    scope = await staff.scope_of(ctx.session, ctx.deployment, ctx.user)
    return ctx.municipality.id in scope.municipalities


async def _shelf(ctx: Ctx) -> tuple[dict[DocumentCategory, list[Document]], bool]:
    coordinator = await _coordinates(ctx)
    found = await documents.shelf(
        ctx.session, ctx.municipality.id, _today(ctx), expired=coordinator
    )
    return found, coordinator


def _title(ctx: Ctx, document: Document) -> Text:
    return Raw(documents.title(document, ctx.language))


def _validity(ctx: Ctx, document: Document) -> Text:
    """How long a document is valid, as a coordinator sees it."""
    if document.valid_until is None:
        return _("📄 {title}: no end date", title=_title(ctx, document))
    if document.valid_until < _today(ctx):
        return _(
            "📄 {title}: ⚠️ expired, was valid until {day}",
            title=_title(ctx, document),
            day=_LongDate(document.valid_until),
        )
    return _(
        "📄 {title}: valid until {day}",
        title=_title(ctx, document),
        day=_LongDate(document.valid_until),
    )


# --- the topics --------------------------------------------------------------------------------


async def _ask_list(ctx: Ctx) -> Prompt:
    shelf, coordinator = await _shelf(ctx)
    back = (Button(DONE, _("↩️ Back")),)
    if not shelf:
        return Prompt(_("📂 There are no documents here yet."), (back,))
    buttons = [
        (
            Button(
                f"{CATEGORY}{category.value}",
                _("{category} ({n})", category=CATEGORIES[category], n=len(found)),
            ),
        )
        for category, found in shelf.items()
    ]
    question: Text = _("📂 Documents: forms, guides and more. Which topic do you need?")
    if coordinator:
        question = paragraphs(
            question, _("As coordinator you also see the documents that are out of date.")
        )
    return Prompt(question, (*buttons, back))


def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == DONE:
        return Return()
    chosen = payload.removeprefix(CATEGORY)
    if chosen not in {category.value for category in DocumentCategory}:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    return Goto("category", data={"category": chosen})


# --- the documents of a topic ------------------------------------------------------------------


def _category(ctx: Ctx) -> DocumentCategory | None:
    chosen = ctx.data.get("category")
    values = {category.value for category in DocumentCategory}
    return DocumentCategory(chosen) if chosen in values else None


async def _ask_category(ctx: Ctx) -> Prompt:
    category = _category(ctx)
    shelf, coordinator = await _shelf(ctx)
    found = shelf.get(category, []) if category is not None else []
    if category is None or not found:
        return Prompt(_("There are no documents on this topic any more."))
    buttons = [
        (Button(f"{DOCUMENT}{document.id}", _("📄 {title}", title=_title(ctx, document))),)
        for document in found
    ]
    head: Text = _(
        "{category}: tap a document and we send it to you as a file.",
        category=CATEGORIES[category],
    )
    if coordinator:
        head = paragraphs(head, lines(*(_validity(ctx, document) for document in found)))
    return Prompt(head, tuple(buttons))


async def _document_chosen(ctx: Ctx, payload: str) -> Outcome:
    """Send the document as a file and note that the person has this version."""
    document_id = number(payload.removeprefix(DOCUMENT))
    if document_id is None or ctx.user is None:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    return await _send(ctx, document_id, Retry)


async def send_document(ctx: Ctx, payload: str) -> Outcome:
    """📄 under a newsletter: the document it points to, as a file."""
    document_id = number(last_field(payload))
    if document_id is None or ctx.user is None:
        return Say(_("This button is no longer valid."))
    return await _send(ctx, document_id, Say)


async def _send(ctx: Ctx, document_id: int, refuse: Callable[[Text], Outcome]) -> Outcome:
    assert ctx.user is not None
    coordinator = await _coordinates(ctx)
    document = await documents.on_shelf(
        ctx.session, document_id, ctx.municipality.id, _today(ctx), expired=coordinator
    )
    if document is None:
        return refuse(_("This document is no longer on offer. Here are the current ones:"))
    try:
        content = await asyncio.to_thread(documents.read, ctx.deployment.files_dir, document)
    except FileNotFoundError:
        log.warning("the file of document %s is missing", document.id)
        return refuse(
            _(
                "Sorry, this document cannot be sent right now. Please try again later or "
                "contact us: {contact}",
                contact=Raw(ctx.deployment.agency.contact),
            )
        )
    await documents.fetched(ctx.session, document, ctx.user, ctx.now)
    caption = lines(
        _("📄 {title}", title=_title(ctx, document)),
        _("When a new version comes out, we send it to you."),
    )
    return Say(caption, file=OutgoingFile(document.filename, content, document.mime_type))


ACTIONS: dict[str, Action] = {actions.DOCUMENT: send_document}

FLOW = Flow(
    DOCUMENTS_FLOW,
    start="list",
    steps={
        "list": Step(ask=_ask_list, on_choice=_list_chosen, next=("category",), cancel=False),
        "category": Step(ask=_ask_category, on_choice=_document_chosen, back="list", cancel=False),
    },
)
