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
from engine.types import Button, IncomingFile, OutgoingFile
from engine.when import parse_date
from engine.widgets import free_text, single_choice
from exchange import documents, staff
from handlers.targets import DOCUMENTS_FLOW
from storage.models import Document, DocumentCategory
from vocabulary import actions
from vocabulary.actions import last_field, number

log = logging.getLogger(__name__)

CATEGORY = "docs:category:"
DOCUMENT = "docs:document:"
DONE = "docs:done"
ADD = "docs:add"
NEW = "docs:new"
REPLACE = "docs:replace:"
NO_END = "docs:no_end"
KEEP = "docs:keep"

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
    add = ((Button(ADD, _("➕ Add or replace a document")),),) if coordinator else ()
    if not shelf:
        return Prompt(_("📂 There are no documents here yet."), (*add, back))
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
    return Prompt(question, (*buttons, *add, back))


async def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == DONE:
        return Return()
    if payload == ADD:
        if not await _coordinates(ctx):
            return Retry(_("This is only for the agency's coordinators."))
        return Goto("upload", data={})
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


# --- a coordinator puts a file on the shelf -----------------------------------------------------


def _ask_upload(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "📎 Send the file as a document (a PDF, for example), at most 20 MB. Tap the paper "
            "clip, then “File”."
        )
    )


async def _file_sent(ctx: Ctx, file: IncomingFile) -> Outcome:
    if not await _coordinates(ctx):
        return Goto("list", notes=(_("This is only for the agency's coordinators."),))
    if file.size > documents.UPLOAD_LIMIT:
        return Retry(_("This file is larger than 20 MB. Please send a smaller one."))
    ctx.data.update(
        file_id=file.file_id, filename=file.filename, mime_type=file.mime_type, size=file.size
    )
    return Goto("which")


async def _ask_which(ctx: Ctx) -> Prompt:
    shelf, _coordinator = await _shelf(ctx)
    replaceable = [
        (Button(f"{REPLACE}{d.id}", _("🔁 {title}", title=_title(ctx, d))),)
        for found in shelf.values()
        for d in found
    ]
    return Prompt(
        _("Is it a new document, or the new version of one on the shelf?"),
        ((Button(NEW, _("🆕 A new document")),), *replaceable),
    )


async def _which_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == NEW:
        ctx.data["replaces"] = None
        return Goto("topic")
    document_id = number(payload.removeprefix(REPLACE))
    shelf, _coordinator = await _shelf(ctx)
    if document_id not in {d.id for found in shelf.values() for d in found}:
        return Retry(_("This button is no longer valid. Here is where we are now:"))
    ctx.data["replaces"] = document_id
    return Goto("valid")


def _topics(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(category.value, label) for category, label in CATEGORIES.items()]


def _ask_valid(ctx: Ctx) -> Prompt:
    """A new version keeps its document's date unless a new one is typed; a new document may
    have none."""
    choice = (
        Button(KEEP, _("Keep the date it has"))
        if ctx.data.get("replaces") is not None
        else Button(NO_END, _("♾ No end date"))
    )
    return Prompt(
        _("Until when is it valid? Type a date like 31.12.2027, or choose."), ((choice,),)
    )


def _valid_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["valid_until"] = None
    ctx.data["keep_date"] = payload == KEEP
    return Goto("confirm")


def _valid_typed(ctx: Ctx, text: str) -> Outcome:
    day = parse_date(text, _today(ctx))
    if day is None or day <= _today(ctx):
        return Retry(_("Please type a date after today, like 31.12.2027."))
    ctx.data["valid_until"] = day.isoformat()
    ctx.data["keep_date"] = False
    return Goto("confirm")


async def _replaced(ctx: Ctx) -> Document | None:
    document_id = ctx.data.get("replaces")
    if not isinstance(document_id, int):
        return None
    shelf, _coordinator = await _shelf(ctx)
    return next((d for found in shelf.values() for d in found if d.id == document_id), None)


async def _ask_confirm(ctx: Ctx) -> Prompt:
    data = ctx.data
    replaced = await _replaced(ctx)
    title: Text = _title(ctx, replaced) if replaced else Raw(data.get("title") or "")
    until = data.get("valid_until")
    if until:
        validity: Text = _("valid until {day}", day=_LongDate(date.fromisoformat(until)))
    elif data.get("keep_date") and replaced is not None and replaced.valid_until is not None:
        validity = _("valid until {day}", day=_LongDate(replaced.valid_until))
    else:
        validity = _("no end date")
    head = (
        _("🔁 New version of “{title}”: {file}", title=title, file=Raw(data.get("filename", "")))
        if replaced
        else _("🆕 “{title}”: {file}", title=title, file=Raw(data.get("filename", "")))
    )
    return Prompt(
        lines(head, validity),
        ((Button("docs:put", _("✅ Put it on the shelf")),),),
    )


async def _confirmed(ctx: Ctx, payload: str) -> Outcome:
    if ctx.user is None or not await _coordinates(ctx):
        return Goto("list", notes=(_("This is only for the agency's coordinators."),))
    data = ctx.data
    replaced = await _replaced(ctx)
    if data.get("replaces") is not None and replaced is None:
        return Goto(
            "list", notes=(_("This document is no longer on offer. Here are the current ones:"),)
        )
    until = data.get("valid_until")
    await documents.upload(
        ctx.session,
        by=ctx.user,
        municipality=ctx.municipality.id,
        category=DocumentCategory(data.get("topic", DocumentCategory.FORMS)),
        titles={documents.TITLE_LANGUAGE: data.get("title") or ""} if replaced is None else {},
        file_id=data["file_id"],
        filename=data["filename"],
        mime_type=data["mime_type"],
        size=int(data["size"]),
        valid_until=date.fromisoformat(until) if until else None,
        document=replaced,
        now=ctx.now,
    )
    return Goto(
        "list",
        notes=(_("📥 Received. It is on the shelf in a minute or two; we tell you then."),),
    )


ACTIONS: dict[str, Action] = {actions.DOCUMENT: send_document}

FLOW = Flow(
    DOCUMENTS_FLOW,
    start="list",
    steps={
        "list": Step(
            ask=_ask_list, on_choice=_list_chosen, next=("category", "upload"), cancel=False
        ),
        "upload": Step(
            ask=_ask_upload, on_document=_file_sent, next=("which", "list"), back="list"
        ),
        "which": Step(
            ask=_ask_which, on_choice=_which_chosen, next=("topic", "valid"), back="upload"
        ),
        "topic": single_choice(
            "topic", lambda ctx: _("Which topic is it?"), _topics, next="title", back="which"
        ),
        "title": free_text(
            "title",
            lambda ctx: _("What is it called, in German? Everyone sees this title."),
            next="valid",
            max_length=documents.TITLE_LIMIT,
            one_line=True,
            back="topic",
        ),
        "valid": Step(
            ask=_ask_valid,
            on_choice=_valid_chosen,
            on_text=_valid_typed,
            next=("confirm",),
            back="which",
        ),
        "confirm": Step(ask=_ask_confirm, on_choice=_confirmed, next=("list",), back="valid"),
        "category": Step(ask=_ask_category, on_choice=_document_chosen, back="list", cancel=False),
    },
)
