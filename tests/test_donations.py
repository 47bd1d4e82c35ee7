"""The Spendenbörse: an offered item finds a wish of the same district and category, the wisher
asks, the giver promises, and the two arrange the handover through the bot; spent and forged
buttons, expiry, a coordinator who removes an offer, and one's own offers and wishes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import col, select

from bot.app import App
from exchange import donations as domain
from handlers import donations as dialogue
from storage.models import (
    AuditEvent,
    Case,
    CaseKind,
    Donation,
    DonationPair,
    DonationPairState,
    DonationStatus,
    User,
)
from tests.chat import Chat, Inbox, Shown, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_agency import coordinator
from tests.test_push import volunteer_profile
from vocabulary import donations as words

PHOTO = "AgACAgIAAxkBAAIBsofa"


async def open_donations(person: Chat, language: str = "de") -> str:
    await person.send("/menu")
    return await person.press("🎁 Spendenbörse" if language == "de" else "🎁 Donations")


async def give_away(
    person: Chat,
    *,
    category: str = "🛋 Möbel",
    what: str = "Graues Sofa, drei Sitze",
    condition: str = "👍 guter Zustand",
    photo: str | None = PHOTO,
    district: str = "Büdesheim",
    handover: str = "🚶 zum Abholen",
) -> str:
    """Offer an item in German, from the main menu to the summary and "Einstellen"."""
    await open_donations(person)
    await person.press("🎁 Etwas verschenken")
    await person.press(category)
    await person.send(what)
    await person.press(condition)
    if photo:
        await person.send_photo(photo)
    else:
        await person.press("Überspringen (kein Foto)")
    await person.press(district)
    await person.press(handover)
    return await person.press("📨 Einstellen")


async def look_for(
    person: Chat,
    *,
    category: str = "🛋 Möbel",
    what: str = "Ein Sofa für unser Wohnzimmer",
    district: str = "Büdesheim",
) -> str:
    """Wish for an item in German."""
    await open_donations(person)
    await person.press("🔍 Ich suche etwas")
    await person.press(category)
    await person.send(what)
    await person.press(district)
    return await person.press("📨 Einstellen")


async def give_away_in_english(person: Chat, what: str = "Wooden desk with two drawers") -> str:
    await open_donations(person, "en")
    await person.press("🎁 Give something away")
    await person.press("🎒 School things")
    await person.send(what)
    await person.press("✨ new")
    await person.press("Skip (no photo)")
    await person.press("Kempten")
    await person.press("🔁 pick up or brought")
    return await person.press("📨 Post")


async def pairs(app: App) -> list[DonationPair]:
    async with app.sessions() as session:
        rows = await session.exec(select(DonationPair).order_by(col(DonationPair.id)))
        return list(rows.all())


async def stored(app: App) -> list[Donation]:
    async with app.sessions() as session:
        rows = await session.exec(select(Donation).order_by(col(Donation.id)))
        return list(rows.all())


def pushed(inbox: Inbox, person: Chat, text: str) -> Shown:
    return next(m for m in reversed(inbox.of(person)) if text in m.text)


# --- matching, asking, promising, writing -----------------------------------------------------


async def test_a_donation_offer_is_matched_to_a_wish_in_the_same_district(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    kempten = await volunteer_profile(chat("olga"), "Olga", district="Kempten")
    toys = await volunteer_profile(chat("paul"), "Paul")
    karl = await volunteer_profile(chat("karl"), "Karl")

    answer = await look_for(erika)
    assert "📨 Notiert. Wir sagen Ihnen Bescheid" in answer
    await look_for(kempten, district="Kempten")  # another district
    await look_for(toys, category="🧸 Spielzeug", what="Puppenhaus")  # another category

    await open_donations(karl)
    await karl.press("🎁 Etwas verschenken")
    await karl.press("🛋 Möbel")
    await karl.send("Graues Sofa, drei Sitze")
    await karl.press("👍 guter Zustand")
    answer = await karl.send_photo(PHOTO)
    assert "In welchem Stadtteil ist der Gegenstand?" in answer
    await karl.press("Büdesheim")
    answer = await karl.press("🚶 zum Abholen")
    assert "🎁 Ihr Angebot" in answer
    assert "Zustand: 👍 guter Zustand" in answer and "Foto: 📷 ja" in answer
    answer = await karl.press("📨 Einstellen")
    assert "📨 Ihr Angebot steht 30 Tage online." in answer

    inbox = Inbox(app)
    await inbox.run()
    [found] = inbox.of(erika)
    assert "🎁 Etwas, das Sie suchen, wird angeboten:" in found.text
    assert "🛋 Möbel: „Graues Sofa, drei Sitze“" in found.text
    assert "👍 guter Zustand · 📍 Büdesheim · 🚶 zum Abholen · 📷" in found.text
    assert "👤 Angeboten von Karl" in found.text
    assert found.photo == PHOTO
    assert found.labels == ["🙋 Hätte ich gern", "✖ Nein, danke"]
    assert inbox.of(kempten) == [] and inbox.of(toys) == []
    assert [p.state for p in await pairs(app)] == [DonationPairState.FOUND]

    answer = await press_on(erika, found, "🙋 Hätte ich gern")
    assert "🙋 Wir haben nachgefragt." in answer
    await inbox.run()
    [asked] = inbox.of(karl)
    assert "🙋 Jemand hätte gern Ihren Gegenstand:" in asked.text
    assert "👤 Erika" in asked.text
    assert "Gesucht wird: „Ein Sofa für unser Wohnzimmer“" in asked.text
    answer = await press_on(karl, asked, "✅ Ja, verschenken")
    assert "🤝 Danke! Wir überbringen die gute Nachricht." in answer
    assert "✉️ Nachricht an Erika" in karl.history[-2].labels

    # A second tap on a spent button changes nothing; so does someone else's tap.
    answer = await press_on(karl, asked, "✅ Ja, verschenken")
    assert "Darauf haben Sie schon geantwortet." in answer
    answer = await press_on(erika, found, "🙋 Hätte ich gern")
    assert "Darauf haben Sie schon geantwortet." in answer
    [pair] = await pairs(app)
    answer = await kempten.press_payload(dialogue.payload(domain.GIVE, pair.id or 0))
    assert "Diese Taste gilt nicht mehr" in answer
    answer = await kempten.press_payload("act:donation:give:abc")
    assert "Diese Taste gilt nicht mehr" in answer
    assert [d.status for d in await stored(app) if d.category == "furniture"] == [
        DonationStatus.PROMISED,  # Erika's wish
        DonationStatus.OPEN,  # Olga's wish in Kempten
        DonationStatus.PROMISED,  # Karl's sofa
    ]

    await inbox.run()
    promised = pushed(inbox, erika, "🎉")
    assert "🎉 Gute Nachricht: Sie bekommen den Gegenstand!" in promised.text
    assert promised.photo == PHOTO
    answer = await press_on(erika, promised, "✉️ Nachricht an Karl")
    assert "💬 Gespräch mit Karl (🛋 Möbel)." in answer
    answer = await erika.send("Kann ich es am Samstag um zehn abholen?")
    assert "✓ An Karl geschickt." in answer
    await inbox.run()
    relayed = inbox.of(karl)[-1]
    assert "✉️ Erika schreibt:" in relayed.text and "Samstag um zehn" in relayed.text
    answer = await press_on(karl, relayed, "⚠️ Melden")  # the agency's queue gets it
    assert "Danke für Ihre Meldung." in answer
    async with app.sessions() as session:
        [case] = (await session.exec(select(Case))).all()
    assert (case.kind, case.municipality, case.district) == (
        CaseKind.REPORT,
        "bingen",
        "buedesheim",
    )

    # The giver marks it given; both are done, and the wish is no longer listed.
    await open_donations(karl)
    answer = await karl.press("📋 Meine Angebote und Wünsche")
    assert "🤝 zugesagt" in answer
    answer = await karl.press("✅ 1: verschenkt")
    assert "✅ Danke! Als erledigt notiert." in answer
    assert "📋 Sie haben keine offenen Angebote oder Wünsche." in answer
    given = [d.status for d in await stored(app) if d.district == "buedesheim"]
    assert given[:2] == [DonationStatus.GIVEN, DonationStatus.OPEN]  # Erika's wish; Paul's toys
    assert given[2] == DonationStatus.GIVEN  # Karl's sofa


async def test_a_wish_finds_an_earlier_offer_and_the_giver_may_say_no_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = chat("anna", "en")
    await onboard(anna, "organisation", "en")  # she never gave a first name
    answer = await give_away_in_english(anna)
    assert "📨 Your offer is online for 30 days." in answer
    sam = await volunteer_profile(chat("sam"), "Sam", district="Kempten")

    answer = await look_for(sam, category="🎒 Schulsachen", what="Schreibtisch", district="Kempten")
    inbox = Inbox(app)
    await inbox.run()
    [found] = inbox.of(sam)
    assert "🎒 Schulsachen: „Wooden desk with two drawers“ (geschrieben auf Englisch)" in found.text
    assert "Angeboten von" not in found.text  # no name known: none is made up
    assert found.photo is None

    await press_on(sam, found, "🙋 Hätte ich gern")
    await inbox.run()
    [asked] = inbox.of(anna)
    assert "🙋 Someone would like your item:" in asked.text
    assert "They are looking for: “Schreibtisch” (written in German)" in asked.text
    answer = await press_on(anna, asked, "✖ No")
    assert "All right. We let them know kindly." in answer
    await inbox.run()
    sorry = pushed(inbox, sam, "😔")
    assert "😔 Leider ist dieser Gegenstand nicht für Sie frei" in sorry.text
    answer = await press_on(anna, asked, "✅ Yes, give it")
    assert "You have answered this already. Thank you!" in answer

    # She lists her offer, and withdraws it.
    await open_donations(anna, "en")
    answer = await anna.press("📋 My offers and wishes")
    assert "🎒 School things: “Wooden desk with two drawers”" in answer
    assert "✨ new · 📍 Kempten · 🔁 pick up or brought" in answer
    answer = await anna.press("✖ 1: withdraw")
    assert "✖ Withdrawn." in answer and "📋 You have no open offers or wishes." in answer


async def test_a_listed_offer_is_shown_with_its_photo_and_asked_for_in_a_tap(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = await volunteer_profile(chat("karl"), "Karl")
    await give_away(karl, category="👕 Kleidung", what="Winterjacke Größe 128", district="Kempten")
    await give_away(karl)
    helga = chat("helga")
    await onboard(helga, "seeker")

    answer = await open_donations(helga)
    assert "Nichts wird verkauft." in answer
    answer = await helga.press("👀 Angebote ansehen")
    assert "👀 2 Gegenstände werden angeboten:" in answer
    assert "🗑" not in " ".join(helga.last.labels)  # only coordinators remove
    answer = await helga.press("🔎 1: ansehen")
    assert helga.history[-2].photo == PHOTO  # the photo comes first
    assert "🛋 Möbel: „Graues Sofa, drei Sitze“" in answer
    answer = await helga.press("🙋 Hätte ich gern")
    assert "🙋 Wir haben nachgefragt." in answer
    inbox = Inbox(app)
    await inbox.run()
    [asked] = inbox.of(karl)
    assert "📍 Büdesheim" in asked.text and "Gesucht wird" not in asked.text
    answer = await press_on(karl, asked, "✅ Ja, verschenken")
    assert "✉️ Nachricht an die Person aus Büdesheim" in karl.history[-2].labels

    # The giver sees nothing to ask for on their own offer.
    await open_donations(karl)
    await karl.press("👀 Angebote ansehen")
    answer = await karl.press("🔎 1: ansehen")
    assert "Winterjacke" in answer and "🙋 Hätte ich gern" not in karl.last.labels


# --- expiry and the agency ---------------------------------------------------------------------


async def test_offers_and_wishes_expire_after_their_days(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    karl = await volunteer_profile(chat("karl"), "Karl")
    await give_away(karl)
    erika = await volunteer_profile(chat("erika"), "Erika")
    await look_for(erika, category="🍳 Haushalt", what="Toaster")
    inbox = Inbox(app)

    clock.now += timedelta(days=domain.OPEN_DAYS - 1)
    report = await inbox.run()
    assert report.plan.donations == 0
    clock.now += timedelta(days=1, minutes=1)
    report = await inbox.run()
    assert report.plan.donations == 2
    assert [d.status for d in await stored(app)] == [DonationStatus.EXPIRED] * 2

    await open_donations(erika)
    answer = await erika.press("👀 Angebote ansehen")
    assert "👀 Im Moment wird nichts angeboten." in answer
    await erika.press("↩️ Zurück")
    answer = await erika.press("📋 Meine Angebote und Wünsche")
    assert "📋 Sie haben keine offenen Angebote oder Wünsche." in answer

    # After the retention period nothing of what they wrote is kept.
    assert all(d.what for d in await stored(app))
    clock.now += timedelta(days=app.deployment.agency.retention_days + 1)
    await inbox.run()
    assert [(d.what, d.photo) for d in await stored(app)] == [("", None)] * 2


async def test_a_coordinator_removes_an_offer_and_it_is_audited(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = await volunteer_profile(chat("karl"), "Karl")
    await give_away(karl)
    kora = await coordinator(app, chat("kora", "en"))

    await open_donations(kora, "en")
    answer = await kora.press("👀 See what is offered")
    assert "👀 1 item is offered:" in answer
    assert "🛋 Furniture: “Graues Sofa, drei Sitze” (written in German)" in answer
    answer = await kora.press("🗑 1: remove")
    assert "🗑 Remove this offer?" in answer
    answer = await kora.press("🗑 Yes, remove")
    assert "🗑 Removed." in answer and "👀 Right now nothing is offered." in answer
    [sofa] = await stored(app)
    assert sofa.status == DonationStatus.REMOVED
    async with app.sessions() as session:
        kora_id = (await session.exec(select(User.id).where(User.key == kora.user_key))).one()
        events = (await session.exec(select(AuditEvent))).all()
    assert [(e.actor_id, e.action, e.subject) for e in events if "donation" in e.action] == [
        (kora_id, "remove donation", f"donation:{sofa.id}")
    ]

    # Someone who is not a coordinator cannot remove one, even with forged data.
    await give_away(karl)
    helga = chat("helga")
    await onboard(helga, "seeker")
    await open_donations(helga)
    await helga.press("👀 Angebote ansehen")
    answer = await helga.press_payload(f"remove:{(await stored(app))[-1].id}")
    assert "Diese Taste gilt nicht mehr" in answer
    assert (await stored(app))[-1].status == DonationStatus.OPEN


# --- the texts --------------------------------------------------------------------------------


def test_every_kind_condition_and_handover_of_the_domain_has_its_words() -> None:
    assert set(words.CATEGORIES) == set(domain.CATEGORIES)
    assert set(words.CONDITIONS) == set(domain.CONDITIONS)
    assert set(words.HANDOVERS) == set(domain.HANDOVERS)


# --- privacy ------------------------------------------------------------------------------------


async def test_a_person_who_erases_their_data_takes_their_items_along(
    app: App, chat: Callable[..., Chat]
) -> None:
    """`forget` runs before the person's key is destroyed: their sealed texts are blanked and a
    promised counterpart is open again; the export lists their own items."""
    karl = await volunteer_profile(chat("karl"), "Karl")
    erika = await volunteer_profile(chat("erika"), "Erika")
    await look_for(erika)
    await give_away(karl)
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "🙋 Hätte ich gern")
    await inbox.run()
    await press_on(karl, inbox.of(karl)[0], "✅ Ja, verschenken")

    async with app.sessions() as session, session.begin():
        karl_id = (await session.exec(select(User.id).where(User.key == karl.user_key))).one()
        assert karl_id is not None
        [exported] = await domain.exported(session, karl_id)
        assert (exported["what"], exported["photo"]) == ("Graues Sofa, drei Sitze", PHOTO)
        assert exported["status"] == DonationStatus.PROMISED
        await domain.forget(session, karl_id, app.core.clock())
    wish, sofa = await stored(app)
    assert (sofa.status, sofa.what, sofa.photo) == (DonationStatus.WITHDRAWN, "", None)
    assert wish.status == DonationStatus.OPEN  # Erika looks on
    await open_donations(erika)
    answer = await erika.press("📋 Meine Angebote und Wünsche")
    assert "🔍 gesucht" in answer


async def test_a_found_item_waits_for_the_end_of_the_quiet_hours(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    await look_for(erika)
    clock.now = clock.now.replace(hour=21)  # 22:00 in Bingen
    karl = await volunteer_profile(chat("karl"), "Karl")
    await give_away(karl)
    inbox = Inbox(app)
    await inbox.run()
    assert inbox.of(erika) == []
    clock.now += timedelta(hours=10)  # 8:00 the next morning
    await inbox.run()
    assert "🎁 Etwas, das Sie suchen, wird angeboten:" in inbox.of(erika)[0].text
