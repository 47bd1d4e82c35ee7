"""News: which kinds a person wants (and stopping one with a tap on the message), and for
coordinators a newsletter or campaign: audience, text per language, an optional photo, a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from engine.i18n import DateText, Msg, Raw, Text, TimeText, Written, _, _n, lines, paragraphs
from engine.steps import (
    SUMMARY,
    Action,
    Ctx,
    Flow,
    Goto,
    Outcome,
    Prompt,
    Retry,
    Return,
    Say,
    Step,
    resolve,
)
from engine.types import Button
from engine.when import parse_date, parse_time, today
from engine.widgets import (
    CONTINUE,
    PICK,
    SKIP,
    after,
    multi_select,
    single_choice,
    summary,
    too_long,
)
from exchange import documents, newsletters, staff
from exchange.newsletters import Audience
from handlers.language import offered_languages
from handlers.targets import AGENCY_QUEUE, NEWS_FLOW
from locales import LANGUAGES
from storage.models import Document, NewsKind
from vocabulary import actions
from vocabulary.labels import district_names, district_options

BACK = "news:back"
TOGGLE = "toggle:"
NOW = "when:now"
TOMORROW = "when:tomorrow"
VERSION = "version:"
MORNING = time(9, 0)

KINDS: dict[NewsKind, Msg] = {
    NewsKind.EVENTS: _("📅 New events"),
    NewsKind.CAMPAIGNS: _("📣 Campaigns"),
    NewsKind.NEWSLETTERS: _("📰 Newsletters"),
}
ROLES: dict[str, Msg] = {
    "volunteers": _("Volunteers"),
    "seekers": _("People who look for help"),
    "organisations": _("Organisations"),
}


# --- what news a person wants ----------------------------------------------------------------


async def _ask_settings(ctx: Ctx) -> Prompt:
    assert ctx.user is not None and ctx.user.id is not None
    buttons = []
    for kind, label in KINDS.items():
        on = await newsletters.wants(ctx.session, ctx.user.id, kind)
        mark = _("✅ {kind}", kind=label) if on else _("🔕 {kind}", kind=label)
        buttons.append((Button(f"{TOGGLE}{kind.value}", mark),))
    text = _(
        "🔔 Which news would you like from us? Tap to switch a kind on (✅) or off (🔕). "
        "Requests and your appointments always reach you."
    )
    return Prompt(text, (*buttons, (Button(BACK, _("↩️ Back")),)))


async def _settings_chosen(ctx: Ctx, payload: str) -> Outcome:
    assert ctx.user is not None and ctx.user.id is not None
    if payload == BACK:
        return Return()
    kind = NewsKind(payload.removeprefix(TOGGLE))
    wanted = await newsletters.wants(ctx.session, ctx.user.id, kind)
    await newsletters.choose(ctx.session, ctx.user.id, kind, not wanted)
    return Goto("settings")


async def stop_news(ctx: Ctx, payload: str) -> Outcome:
    """🔕 on a newsletter, campaign or event announcement: no more of that kind."""
    verb, value = actions.fields(payload)
    if verb != "stop" or value not in set(NewsKind) or ctx.user is None or ctx.user.id is None:
        return Say(_("This button is no longer valid."))
    kind = NewsKind(value)
    await newsletters.choose(ctx.session, ctx.user.id, kind, False)
    return Say(
        _(
            "🔕 Done: no more {kind}. You can switch it on again in the menu under 🔔 News.",
            kind=KINDS[kind],
        )
    )


ACTIONS: dict[str, Action] = {actions.NEWS: stop_news}


# --- writing a newsletter (coordinators) -----------------------------------------------------


async def _coordinator(ctx: Ctx) -> bool:
    if ctx.user is None:
        return False
    return (await staff.scope_of(ctx.session, ctx.deployment, ctx.user)).coordinator


def _kind_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [
        (NewsKind.NEWSLETTERS.value, _("📰 Newsletter")),
        (NewsKind.CAMPAIGNS.value, _("📣 Campaign")),
    ]


def _role_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return list(ROLES.items())


def _language_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(code, Raw(LANGUAGES[code].endonym)) for code in offered_languages(ctx)]


def _audience(ctx: Ctx) -> Audience:
    return Audience(
        ctx.municipality.id,
        tuple(ctx.data.get("roles", [])),
        tuple(ctx.data.get("districts", [])),
        tuple(ctx.data.get("languages", [])),
    )


def _ask_text(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "✍️ Write the message in your language ({language}). Readers without a version in "
            "their language get this one.",
            language=Raw(LANGUAGES[ctx.language].endonym),
        )
    )


def _long(text: str) -> Retry | None:
    return too_long(text, newsletters.TEXT_LIMIT)


def _text_typed(ctx: Ctx, text: str) -> Outcome:
    too_long = _long(text)
    if too_long is not None:
        return too_long
    versions = dict(ctx.data.get("versions", {}))
    versions[ctx.language] = text.strip()
    ctx.data["versions"] = versions
    return after(ctx, "photo")


def _ask_photo(ctx: Ctx) -> Prompt:
    return Prompt(
        _("📷 Send a photo to go with it, or skip."),
        ((Button(SKIP, _("Skip")),),),
    )


def _photo_sent(ctx: Ctx, photo: str) -> Outcome:
    ctx.data["photo"] = photo
    return after(ctx, "document")


def _photo_skipped(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["photo"] = None
    return after(ctx, "document")


async def _shelf(ctx: Ctx) -> list[Document]:
    found = await documents.shelf(ctx.session, ctx.municipality.id, today(ctx))
    return [document for listed in found.values() for document in listed]


async def _ask_document(ctx: Ctx) -> Prompt:
    """A document of the shelf to point to: readers fetch it with a tap, so that the bot does
    not send the same file to thousands at once."""
    buttons = [
        (Button(f"{PICK}{d.id}", _("📄 {title}", title=Raw(documents.title(d, ctx.language)))),)
        for d in await _shelf(ctx)
    ]
    return Prompt(
        _("📂 Point to a document of the shelf? Readers get it with one tap. Or skip."),
        (*buttons, (Button(SKIP, _("Skip")),)),
    )


async def _document_chosen(ctx: Ctx, payload: str) -> Outcome:
    chosen = payload.removeprefix(PICK)
    ctx.data["document"] = int(chosen) if chosen.isdigit() else None
    return after(ctx, "more")


def _ask_more(ctx: Ctx) -> Prompt:
    done = set(ctx.data.get("versions", {}))
    buttons = [
        Button(f"{VERSION}{code}", _("➕ {language}", language=label))
        for code, label in _language_options(ctx)
        if code not in done
    ]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return Prompt(
        _(
            "🌐 Add the same message in another language? Readers get the version in their language."
        ),
        (*rows, (Button(CONTINUE, _("➡️ Continue")),)),
    )


def _more_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == CONTINUE:
        return after(ctx, "when")
    ctx.data["adding"] = payload.removeprefix(VERSION)
    return Goto("version")


def _ask_version(ctx: Ctx) -> Prompt:
    code = ctx.data.get("adding", "de")
    return Prompt(_("✍️ Write the message in {language}.", language=Raw(LANGUAGES[code].endonym)))


def _version_typed(ctx: Ctx, text: str) -> Outcome:
    too_long = _long(text)
    if too_long is not None:
        return too_long
    code = ctx.data.pop("adding", None)
    if code in LANGUAGES:
        versions = dict(ctx.data.get("versions", {}))
        versions[code] = text.strip()
        ctx.data["versions"] = versions
    return Goto("more")


def _ask_when(ctx: Ctx) -> Prompt:
    return Prompt(
        _(
            "⏰ When should it go out? Nobody gets it in their quiet hours at night. Or type a day "
            "and time like 24.12. 10:00."
        ),
        ((Button(NOW, _("Now")), Button(TOMORROW, _("Tomorrow at 9:00"))),),
    )


def _when_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == NOW:
        ctx.data["send_at"] = None
    else:
        ctx.data["send_at"] = datetime.combine(
            today(ctx) + timedelta(days=1), MORNING, tzinfo=ctx.deployment.tz
        ).isoformat()
    return Goto("summary")


def _when_typed(ctx: Ctx, text: str) -> Outcome:
    day_text, _sep, time_text = text.strip().rpartition(" ")
    day = parse_date(day_text, today(ctx)) if day_text else None
    at = parse_time(time_text)
    if day is None or at is None:
        return Retry(_("Please type a day and a time like 24.12. 10:00."))
    moment = datetime.combine(day, at, tzinfo=ctx.deployment.tz)
    if moment <= ctx.now:
        return Retry(_("That time has passed. Please choose a later one."))
    ctx.data["send_at"] = moment.isoformat()
    return Goto("summary")


def _send_at(ctx: Ctx) -> datetime:
    stored = ctx.data.get("send_at")
    return datetime.fromisoformat(stored) if stored else ctx.now


def _when_text(ctx: Ctx) -> Text:
    if not ctx.data.get("send_at"):
        return _("now")
    moment = _send_at(ctx).astimezone(ctx.deployment.tz)
    return _("{day}, {time}", day=DateText(moment.date()), time=TimeText(moment.time()))


async def _ask_summary(ctx: Ctx) -> Prompt:
    """The summary with how many people the newsletter reaches as of now (a database count, so
    the widget's synchronous summary text is wrapped)."""
    readers = await newsletters.readers(ctx.session, _audience(ctx), NewsKind(ctx.data["kind"]))
    ctx.data["readers"] = len(readers)
    return await resolve(_summary_prompt(ctx))


def _summary_text(ctx: Ctx) -> Text:
    audience = _audience(ctx)
    readers = int(ctx.data.get("readers", 0))
    versions = ctx.data.get("versions", {})
    default = versions.get(ctx.language, "")
    roles = [ROLES[r] for r in audience.roles if r in ROLES]
    facts = [
        _("Kind: {kind}", kind=dict(_kind_options(ctx))[ctx.data["kind"]]),
        _(
            "To: {roles}",
            roles=lines(*roles) if roles else _("everyone"),
        ),
        _(
            "Districts: {districts}",
            districts=district_names(ctx.municipality, audience.districts)
            if audience.districts
            else _("all"),
        ),
        _(
            "Languages: {languages}",
            languages=Raw(", ".join(LANGUAGES[c].endonym for c in audience.languages))
            if audience.languages
            else _("all"),
        ),
        _(
            "Versions: {languages}",
            languages=Raw(", ".join(LANGUAGES[c].endonym for c in versions)),
        ),
        _("📷 With a photo") if ctx.data.get("photo") else _("Without a photo"),
        _("📄 With a document") if ctx.data.get("document") else _("Without a document"),
        _("Sent: {when}", when=_when_text(ctx)),
        _n("👥 It reaches {n} person today.", "👥 It reaches {n} people today.", readers),
    ]
    return paragraphs(Written(default, ctx.language), lines(*facts))


async def _submit(ctx: Ctx) -> Outcome:
    if not await _coordinator(ctx) or ctx.user is None:
        return Goto(AGENCY_QUEUE, notes=(_("This is only for the agency's coordinators."),))
    newsletter = await newsletters.create(
        ctx.session,
        author=ctx.user,
        kind=NewsKind(ctx.data["kind"]),
        audience=_audience(ctx),
        texts=dict(ctx.data.get("versions", {})),
        default_language=ctx.language,
        photo=ctx.data.get("photo"),
        document_id=ctx.data.get("document"),
        send_at=_send_at(ctx),
        now=ctx.now,
    )
    note = _(
        "✅ Planned. It goes out {when}, through the bot at the rate Telegram allows. "
        "When all are sent, you get the count of people reached.",
        when=_when_text(ctx),
    )
    assert newsletter.id is not None
    return Goto(AGENCY_QUEUE, notes=(note,))


def _district_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return district_options(ctx.municipality)


WRITING = summary(
    _summary_text,
    fields={
        "roles": _("Who"),
        "districts": _("Districts"),
        "languages": _("Languages"),
        "text": _("Text"),
        "photo": _("Photo"),
        "document": _("Document"),
        "more": _("Other languages"),
        "when": _("When"),
    },
    submit=Button("send", _("📣 Send")),
    on_submit=_submit,
    next=(AGENCY_QUEUE,),
)
_summary_prompt = WRITING[SUMMARY].ask
WRITING[SUMMARY] = replace(WRITING[SUMMARY], ask=_ask_summary)

FLOW = Flow(
    NEWS_FLOW,
    start="settings",
    steps={
        "settings": Step(ask=_ask_settings, on_choice=_settings_chosen, next=(), cancel=False),
        "kind": single_choice(
            "kind",
            lambda ctx: _("📣 Write to many people. Is it a newsletter or a campaign?"),
            _kind_options,
            next="roles",
        ),
        "roles": multi_select(
            "roles",
            lambda ctx: _("Who should get it? Choose none to write to everyone."),
            _role_options,
            next="districts",
            back="kind",
            columns=1,
        ),
        "districts": multi_select(
            "districts",
            lambda ctx: _("In which districts? Choose none for all."),
            _district_options,
            next="languages",
            back="roles",
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _("Only for readers of some languages? Choose none for all."),
            _language_options,
            next="text",
            back="districts",
        ),
        "text": Step(ask=_ask_text, on_text=_text_typed, next=("photo",), back="languages"),
        "photo": Step(
            ask=_ask_photo,
            on_photo=_photo_sent,
            on_choice=_photo_skipped,
            next=("document",),
            back="text",
        ),
        "document": Step(
            ask=_ask_document, on_choice=_document_chosen, next=("more",), back="photo"
        ),
        "more": Step(
            ask=_ask_more, on_choice=_more_chosen, next=("version", "when"), back="document"
        ),
        "version": Step(ask=_ask_version, on_text=_version_typed, next=("more",), back="more"),
        "when": Step(
            ask=_ask_when,
            on_choice=_when_chosen,
            on_text=_when_typed,
            next=("summary",),
            back="more",
        ),
        **WRITING,
    },
)
