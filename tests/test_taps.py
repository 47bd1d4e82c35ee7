"""Fewer taps: the person's messages (texts sent and buttons pressed) from /start to a
sent request for someone else, and to a saved volunteer profile, counted and kept under budget,
in German and in Arabic. The person comes over Telegram, whose /start carries the phone's language.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from bot.app import App
from engine.types import Incoming
from storage.models import HelpRequest, User, VolunteerProfile, VolunteerSlot
from tests.chat import Chat

REQUEST_BUDGET = 12  # /start to a sent request for someone else
PROFILE_BUDGET = 15  # /start to a saved profile: three kinds, two districts, weekday mornings


class CountingChat(Chat):
    """A chat that counts the person's messages: every text sent and every button pressed."""

    messages = 0

    async def _send(self, incoming: Incoming) -> str:
        self.messages += 1
        return await super()._send(incoming)

    async def tap(self, payload: str) -> str:
        """Press the button with this data on the last message, whatever its label says."""
        offered = [data for row in self.last.buttons for _label, data in row]
        assert payload in offered, f"no button {payload!r}; the last message offers {offered}"
        return await self.press_payload(payload)


def t(app: App, language: str, msgid: str) -> str:
    return app.translator.gettext(language, msgid)


async def users(app: App) -> list[User]:
    async with app.sessions() as session:
        return list((await session.exec(select(User))).all())


@pytest.mark.parametrize("language", ["de", "ar"])
async def test_a_daughter_asks_for_her_mother_within_the_budget(app: App, language: str) -> None:
    sabine = CountingChat(
        app, "sabine", language, key=f"telegram:{4711 if language == 'de' else 4712}"
    )
    answer = await sabine.send("/start")
    assert t(app, language, "✅ I agree") in sabine.last.labels  # no language question
    assert "🔒" in answer
    await sabine.press(t(app, language, "✅ I agree"))
    answer = await sabine.tap("role:relative")
    assert t(app, language, "Who needs help? Please type their first name.") in answer
    await sabine.send("Helga")
    await sabine.tap("pick:shopping")
    await sabine.press(t(app, language, "Tomorrow"))
    await sabine.press(t(app, language, "morning"))
    await sabine.press("Büdesheim")
    await sabine.send("Hauptstraße 5")
    await sabine.send("06721 12345")
    summary = await sabine.send("Wocheneinkauf, die Taschen sind zu schwer.")
    assert "Helga" in summary and "06721 12345" in summary
    answer = await sabine.press(t(app, language, "📨 Send request"))
    print(f"request for someone else in {language}: {sabine.messages} messages")
    assert sabine.messages <= REQUEST_BUDGET, f"{sabine.messages} messages in {language}"

    async with app.sessions() as session:
        [stored] = (await session.exec(select(HelpRequest))).all()
    [user] = await users(app)
    assert (user.language, user.role) == (language, "relative")
    assert (stored.for_other, stored.person_name, stored.person_phone) == (
        True,
        "Helga",
        "06721 12345",
    )
    assert (stored.category, stored.district, stored.address) == (
        "shopping",
        "buedesheim",
        "Hauptstraße 5",
    )
    assert stored.day == date(2026, 11, 23) + timedelta(days=1)  # "tomorrow" on the frozen Monday
    assert (stored.part_of_day, stored.languages) == ("morning", [language])


@pytest.mark.parametrize("language", ["de", "ar"])
async def test_a_volunteer_saves_a_profile_within_the_budget(app: App, language: str) -> None:
    erika = CountingChat(
        app, "erika", language, key=f"telegram:{4721 if language == 'de' else 4722}"
    )
    await erika.send("/start")
    await erika.press(t(app, language, "✅ I agree"))
    answer = await erika.tap("role:volunteer")
    assert (
        t(app, language, "What is your first name? We only tell it to the people you help.")
        in answer
    )
    await erika.send("Erika")
    await erika.press(t(app, language, "18 or older"))
    for kind in ("shopping", "accompaniment", "visits"):
        await erika.tap(f"pick:{kind}")
    await erika.press(t(app, language, "➡️ Continue"))
    for district in ("buedesheim", "kempten"):
        await erika.tap(f"pick:{district}")
    await erika.press(t(app, language, "➡️ Continue"))
    await erika.press(t(app, language, "Weekday mornings"))
    summary = await erika.press(t(app, language, "➡️ Continue"))
    assert t(app, language, "Both") in summary  # the defaults are stated, to change there
    assert t(app, language, "✅ Save") in erika.last.labels
    await erika.press(t(app, language, "✅ Save"))
    print(f"volunteer profile in {language}: {erika.messages} messages")
    assert erika.messages <= PROFILE_BUDGET, f"{erika.messages} messages in {language}"

    async with app.sessions() as session:
        [profile] = (await session.exec(select(VolunteerProfile))).all()
        slots = (
            await session.exec(
                select(VolunteerSlot).where(col(VolunteerSlot.profile_id) == profile.id)
            )
        ).all()
    assert profile.first_name == "Erika"
    assert (profile.commitment, profile.rhythm, profile.paused, profile.note) == (
        "both",
        "immediate",
        False,
        None,
    )
    assert sorted((slot.weekday, slot.part) for slot in slots) == [
        (day, "morning") for day in range(5)
    ]
    [user] = await users(app)
    assert (user.language, user.role) == (language, "volunteer")
