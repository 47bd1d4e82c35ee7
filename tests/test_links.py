"""Start links: a district's poster preselects the district, an organisation's flyer opens its
positions, and every link is counted for the agency's figures."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import tomli_w
from sqlmodel import col, select

from bot.app import App, running_app
from bot.config import Settings
from exchange import statistics
from exchange.statistics import Period
from storage.models import Interest, StartLinkTally, User
from tests.chat import Chat, onboard
from tests.conftest import FrozenClock
from tests.test_organisation import approved, post
from tests.test_volunteer import fill_in_german
from town.deployment import DEFAULT_DEPLOYMENT

# The test clock's today is Monday 23 November 2026.
TODAY = date(2026, 11, 23)


async def tallies(app: App) -> dict[str, tuple[int, int]]:
    async with app.sessions() as session:
        found = (
            await session.exec(select(StartLinkTally).order_by(col(StartLinkTally.code)))
        ).all()
        assert all(t.day == TODAY for t in found)
        return {t.code: (t.opened, t.joined) for t in found}


async def stored_user(app: App, person: Chat) -> User:
    async with app.sessions() as session:
        return (await session.exec(select(User).where(User.key == person.user_key))).one()


async def test_a_posters_link_makes_its_district_the_one_offered_first(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = chat("erika")
    answer = await erika.send("/start d-kempten")
    assert "In welcher Sprache" in answer
    await erika.press("Deutsch")
    await erika.press("✅ Ich stimme zu")
    await erika.press("🙋 Ich möchte helfen")  # the profile starts at once
    user = await stored_user(app, erika)
    assert (user.municipality, user.district) == ("bingen", "kempten")

    await erika.send("Erika")
    await erika.press("18 oder älter")
    await erika.press("🛒 Einkaufen")
    answer = await erika.press("➡️ Weiter")
    assert "Wo können Sie helfen?" in answer
    assert "✓ Kempten" in erika.last.labels  # ticked already
    assert "Büdesheim" in erika.last.labels  # the others are not
    await erika.press("Büdesheim")
    assert {"✓ Kempten", "✓ Büdesheim"} <= set(erika.last.labels)

    # Someone else opens the poster twice, and leaves without agreeing.
    passerby = chat("passerby")
    await passerby.send("/start d-kempten")
    await passerby.send("/start d-kempten")
    assert await tallies(app) == {"d-kempten": (3, 1)}


async def test_a_request_offers_the_posters_district_first(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await onboard(chat("anna"), "seeker")
    answer = await anna.send("/start d-gaulsheim")
    assert "📍 Gaulsheim ist jetzt Ihr Stadtteil." in answer
    assert "🏠 Hauptmenü" in answer
    await anna.press("🆘 Hilfe anfragen")
    await anna.press("🛒 Einkaufen")
    await anna.press("Morgen")
    await anna.press("vormittags")
    assert anna.last.buttons[0] == [("📍 Gaulsheim", "pick:gaulsheim")]
    answer = await anna.press("📍 Gaulsheim")
    assert "Adresse" in answer
    # A registered person opening a link is counted as opening it, not as joining.
    assert await tallies(app) == {"d-gaulsheim": (1, 0)}


async def test_an_organisations_flyer_opens_its_positions(
    app: App, chat: Callable[..., Chat]
) -> None:
    ann = chat("ann", "en")
    organisation_id = await approved(app, ann)
    answer = await ann.press("🏛️ Our organisation")
    assert (
        f"🔗 The link to your positions, for your flyer or website: /start o-{organisation_id}"
        in (answer)
    )
    await ann.press("🏠 Main menu")
    await post(ann)

    erika = chat("erika")
    await erika.send(f"/start o-{organisation_id}")
    await erika.press("Deutsch")
    answer = await erika.press("✅ Ich stimme zu")
    assert "📌 Leseclub Büdesheim sucht Ehrenamtliche" in answer
    assert "Reading buddy for our library" in answer
    answer = await erika.press("🙋 1: Ich habe Interesse")
    assert "bitte legen Sie zuerst Ihr Profil als Ehrenamtliche/r an" in answer
    await erika.press("🙋 Mein Profil anlegen")
    assert (await stored_user(app, erika)).role == "volunteer"
    assert "Vorname" in erika.last.text

    await erika.send("/menu")
    await fill_in_german(erika)
    await erika.send("Ich lese gern vor.")
    await erika.press("✅ Speichern")
    answer = await erika.send(f"/start o-{organisation_id}")
    assert "Reading buddy for our library" in answer
    assert "🙋 Mein Profil anlegen" not in erika.last.labels
    answer = await erika.press("🙋 1: Ich habe Interesse")
    assert "Danke! Wir haben Leseclub Büdesheim gesagt, dass Sie Interesse haben." in answer
    async with app.sessions() as session:
        assert len((await session.exec(select(Interest))).all()) == 1

    assert await tallies(app) == {f"o-{organisation_id}": (2, 1)}


async def test_made_up_codes_change_nothing_and_are_counted_together(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    for code in ("d-atlantis", "o-99999", "o-12345678901234", "flyer2026", "x" * 80):
        answer = await erika.send(f"/start {code}")
        assert "Willkommen zurück!" in answer
        assert "🏠 Hauptmenü" in answer
    assert (await stored_user(app, erika)).district is None
    newcomer = chat("newcomer")
    await newcomer.send("/start o-1")  # no organisation yet
    await newcomer.press("Deutsch")
    answer = await newcomer.press("✅ Ich stimme zu")
    assert "Wie möchten Sie mitmachen?" in answer  # the usual next question
    assert await tallies(app) == {"other": (6, 1)}


async def test_the_figures_count_each_link(app: App, chat: Callable[..., Chat]) -> None:
    for name in ("a", "b", "c"):
        person = chat(name)
        await person.send("/start d-kempten")
        await person.press("Deutsch")
        await person.press("✅ Ich stimme zu")
    await chat("d").send("/start d-kempten")
    await chat("e").send("/start inv_forged")
    async with app.sessions() as session:
        period = Period(TODAY.replace(day=1), TODAY, ZoneInfo("Europe/Berlin"))
        figures = await statistics.compute(session, period, now=app.core.clock())
        elsewhere = await statistics.compute(
            session, period, municipalities=frozenset({"ingelheim"}), now=app.core.clock()
        )
    table = figures.table("start_links")
    assert table.row("d-kempten") == {"link_opened": 4, "link_joined": 3}
    assert table.row("invitation") == {"link_opened": 1, "link_joined": 0}
    assert table.row("all") == {"link_opened": 5, "link_joined": 3}
    published = statistics.published(figures).table("start_links")
    assert published.row("d-kempten") == {"link_opened": "< 5", "link_joined": "< 5"}
    assert [key for key, _values in elsewhere.table("start_links").rows] == [("all",)]


async def test_a_district_link_of_another_municipality_answers_where_someone_lives(
    tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    deployment = tomllib.loads(DEFAULT_DEPLOYMENT.read_text(encoding="utf-8"))
    district = {
        "id": "frei-weinheim",
        "name": "Frei-Weinheim",
        "latitude": 49.98,
        "longitude": 8.06,
    }
    deployment["municipalities"].append(
        {"id": "ingelheim", "name": "Ingelheim am Rhein", "districts": [district]}
    )
    path = tmp_path / "two-towns.toml"
    path.write_text(tomli_w.dumps(deployment), encoding="utf-8")
    settings = Settings(database_url=database_url, deployment_file=path, _env_file=None)  # type: ignore[call-arg]
    async with running_app(settings, clock=clock) as app:
        newcomer = Chat(app, "newcomer", "de")
        await newcomer.send("/start d-frei-weinheim")
        await newcomer.press("Deutsch")
        answer = await newcomer.press("✅ Ich stimme zu")
        assert "Wie möchten Sie mitmachen?" in answer  # not "where do you live"
        user = await stored_user(app, newcomer)
        assert (user.municipality, user.district) == ("ingelheim", "frei-weinheim")

        # Someone living in Bingen keeps their municipality and district.
        bingen = Chat(app, "bingen", "de")
        await bingen.send("/start")
        await bingen.press("Deutsch")
        await bingen.press("✅ Ich stimme zu")
        await bingen.press("Bingen am Rhein")
        await bingen.press("🤝 Ich brauche Hilfe")
        answer = await bingen.send("/start d-frei-weinheim")
        assert "Willkommen zurück!" in answer
        user = await stored_user(app, bingen)
        assert (user.municipality, user.district) == ("bingen", None)
        assert await tallies(app) == {"d-frei-weinheim": (2, 1)}
