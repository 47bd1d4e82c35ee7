"""The global commands, which work at any point of any dialogue."""

from __future__ import annotations

import json

from engine.i18n import Msg, Raw, Text, _
from engine.steps import Ctx
from engine.types import OutgoingFile
from exchange import privacy

START = "start"
MENU = "menu"
HELP = "help"
LANGUAGE = "language"
CANCEL = "cancel"
PRIVACY = "privacy"
MYDATA = "mydata"
DELETE = "delete"

# Shown in the platform's command menu, in the reader's language.
DESCRIPTIONS: dict[str, Msg] = {
    START: _("Start or begin again"),
    MENU: _("Open the main menu"),
    LANGUAGE: _("Change the language"),
    CANCEL: _("Stop what you are doing"),
    HELP: _("How this bot works"),
    PRIVACY: _("The privacy notice"),
    MYDATA: _("Everything stored about me"),
    DELETE: _("Delete everything about me"),
}


def help_text(ctx: Ctx) -> Text:
    """Explain the bot and its commands; the question that was open is asked again after it."""
    return _(
        "{agency} brings together people who want to help and people who need help.\n"
        "/menu opens the main menu, /language changes the language, /cancel stops what you are "
        "doing, /start begins again. /mydata sends you everything we store about you, /delete "
        "erases it.\n"
        "Questions? {contact}",
        agency=ctx.deployment.agency.name,
        contact=ctx.deployment.agency.contact,
    )


def privacy_notice(ctx: Ctx) -> Text:
    """The deployment's full privacy notice in the reader's language (else English or German)."""
    notice = ctx.deployment.agency.notice(ctx.language)
    if notice is None:
        return _("Questions about your data? {contact}", contact=ctx.deployment.agency.contact)
    return Raw(notice)


async def my_data_file(ctx: Ctx) -> OutgoingFile:
    """Everything stored about the person (GDPR Art. 15 and 20), as a JSON file."""
    content = json.dumps(
        await privacy.export(ctx.session, ctx.conversation.key), ensure_ascii=False, indent=2
    )
    return OutgoingFile("my-data.json", content.encode("utf-8"), "application/json")
