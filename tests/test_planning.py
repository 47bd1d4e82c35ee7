"""Planning a whole town at once: generated volunteers and requests (`synthetic.towns`, small),
planned in one run, and every decision checked against the rules of matching."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from engine.i18n import Translator
from exchange.rounds import MAX_OFFERS_PER_VOLUNTEER_PER_RUN, need_of
from matching.fit import fits
from matching.rules import Volunteer, districts_within
from matching.select import Candidates
from push.compose import Cards, compose_all
from push.deliver import by_recipient
from push.plan import PlanReport, plan
from storage import create_engine, make_sessionmaker
from storage.models import Delivery, HelpRequest, Match, VolunteerProfile
from storage.outbox import claim_due
from synthetic.towns import DIGEST_AT, NOW, generate, generate_postgres
from town.deployment import DEFAULT_DEPLOYMENT, Deployment, load_deployment


@pytest.fixture
def deployment() -> Deployment:
    return load_deployment(DEFAULT_DEPLOYMENT)


# Every request asks for the same: one kind of help, in one district, on one morning.
ALL_ALIKE = (
    "UPDATE help_requests SET category = 'shopping', district = 'innenstadt', "
    "day = '2026-11-26', part_of_day = 'morning', at_time = NULL, languages = '[\"de\"]'"
)


async def generated(url: str, volunteers: int, requests: int) -> None:
    """A generated town in the test database: inserted into SQLite, copied into PostgreSQL."""
    if make_url(url).get_backend_name() == "sqlite":
        await generate(Path(str(make_url(url).database)), volunteers, requests, seed=7)
    else:
        await generate_postgres(url, volunteers, requests, seed=7, chunk=max(1, volunteers // 3))


async def planned(
    url: str, deployment: Deployment, volunteers: int, requests: int, alike: bool = False
) -> tuple[PlanReport, list[HelpRequest], list[Match], dict[int, Volunteer]]:
    """A generated town, planned once; the requests, matches and every volunteer afterwards."""
    await generated(url, volunteers, requests)
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        if alike:
            async with sessions() as session, session.begin():
                await (await session.connection()).execute(text(ALL_ALIKE))
        async with sessions() as session, session.begin():
            report = await plan(session, deployment, NOW)
        async with sessions() as session:
            asked = list((await session.exec(select(HelpRequest))).all())
            matches = list((await session.exec(select(Match))).all())
            ids = list((await session.exec(select(col(VolunteerProfile.id)))).all())
            known = Candidates(session)
            await known.load([pid for pid in ids if pid is not None])
            everyone = {pid: v for pid in ids if pid is not None and (v := known.known(pid))}
    finally:
        await engine.dispose()
    return report, asked, matches, everyone


async def test_every_offer_fits_and_nobody_is_asked_too_often(
    database_url: str, deployment: Deployment
) -> None:
    report, asked, matches, everyone = await planned(database_url, deployment, 1_500, 600)
    municipality = deployment.municipality("bingen")
    assert municipality is not None
    settings = deployment.matching
    by_request: dict[int, list[Match]] = defaultdict(list)
    for match in matches:
        by_request[match.request_id].append(match)
    assert report.offers == len(matches) > 0
    for request in asked:
        need = need_of(request, deployment)
        assert request.id is not None
        offered = by_request[request.id]
        if request.exhausted:
            assert not offered
            continue
        # Offered in the first round that found anyone, within that round's reach, to the
        # number that round asks for at most.
        assert 1 <= request.round <= settings.rounds
        reach = districts_within(
            municipality, request.district, settings.radius_km_per_round[request.round - 1]
        )
        assert len(offered) <= settings.offers_per_round[request.round - 1]
        for match in offered:
            assert fits(everyone[match.profile_id], need, reach), (request.id, match.profile_id)
    offers_per_volunteer = Counter(match.profile_id for match in matches)
    assert max(offers_per_volunteer.values()) <= MAX_OFFERS_PER_VOLUNTEER_PER_RUN
    for pid, count in offers_per_volunteer.items():
        assert everyone[pid].offers_received >= count  # counted on the profile


@pytest.mark.parametrize(
    ("volunteers", "requests", "alike"),
    [(300, 900, False), (3_000, 400, True)],
    ids=["more requests than volunteers", "hundreds of requests alike"],
)
async def test_a_request_goes_without_offers_only_when_nobody_who_fits_is_left(
    database_url: str, deployment: Deployment, volunteers: int, requests: int, alike: bool
) -> None:
    """More requests than volunteers can take in one run: requests go unmatched, but only once
    every volunteer who would fit has had all the offers a run hands out."""
    report, asked, matches, everyone = await planned(
        database_url, deployment, volunteers, requests, alike
    )
    municipality = deployment.municipality("bingen")
    assert municipality is not None
    settings = deployment.matching
    widest = settings.radius_km_per_round[-1]
    offers_per_volunteer = Counter(match.profile_id for match in matches)
    by_request = Counter(match.request_id for match in matches)
    assert report.exhausted > 0
    for request in asked:
        assert request.id is not None
        need = need_of(request, deployment)
        reach = districts_within(municipality, request.district, widest)
        spare = [
            v
            for v in everyone.values()
            if fits(v, need, reach)
            and offers_per_volunteer[v.profile_id] < MAX_OFFERS_PER_VOLUNTEER_PER_RUN
        ]
        if request.exhausted:
            assert not spare, f"request {request.id} went unmatched while {len(spare)} could help"
        elif by_request[request.id] < settings.offers_per_round[request.round - 1]:
            # A short round: nobody else in that round's reach was left to ask.
            round_reach = districts_within(
                municipality, request.district, settings.radius_km_per_round[request.round - 1]
            )
            assert not [v for v in spare if fits(v, need, round_reach)], request.id


async def test_each_volunteer_gets_one_digest_with_all_their_offers(
    database_url: str, deployment: Deployment
) -> None:
    _report, _asked, matches, _everyone = await planned(database_url, deployment, 1_000, 400)
    engine = create_engine(database_url)
    sessions = make_sessionmaker(engine)
    offered: dict[int, set[int]] = defaultdict(set)
    try:
        async with sessions() as session:
            for delivery in (await session.exec(select(Delivery))).all():
                if delivery.kind == "offer":  # the others tell askers no one could be found
                    assert delivery.subject_id is not None
                    offered[delivery.user_id].add(delivery.subject_id)
        # Small claims, so recipients' rows would be split if claiming did not keep them together.
        seen: dict[int, int] = Counter()
        while rows := await claim_due(
            sessions, worker="test", now=DIGEST_AT, lease=timedelta(hours=1), limit=7
        ):
            recipients = by_recipient(rows)
            async with sessions() as session:
                composed = await compose_all(session, deployment, recipients)
            for (user, deliveries), messages in zip(recipients, composed, strict=True):
                offers = [d for d in deliveries if d.kind == "offer"]
                if not offers:
                    continue
                assert user.id is not None
                seen[user.id] += 1
                assert {d.subject_id for d in offers} == offered[user.id]
                # One digest (or the single offer) first, then one message per other delivery.
                assert len(messages) == 1 + len(deliveries) - len(offers)
                reply, ids = messages[0]
                assert reply is not None
                assert sorted(ids) == sorted(d.id for d in offers)
                buttons = [b.payload for row in reply.buttons for b in row]
                for match_id in offered[user.id]:
                    assert f"act:offer:yes:{match_id}" in buttons
    finally:
        await engine.dispose()
    assert set(seen) == set(offered)
    assert set(seen.values()) == {1}
    assert len(matches) == sum(len(subjects) for subjects in offered.values())


async def test_a_changed_request_is_shown_as_it_is_now(
    database_url: str, deployment: Deployment
) -> None:
    """Cards are built once per version of a request: a change shows in the next digest."""
    await planned(database_url, deployment, 300, 30)
    engine = create_engine(database_url)
    sessions = make_sessionmaker(engine)
    cards = Cards(deployment)
    tr = Translator()
    try:
        rows = await claim_due(
            sessions, worker="test", now=DIGEST_AT, lease=timedelta(hours=1), limit=10_000
        )
        offers = [(due, user) for due, user in rows if due.kind == "offer"]
        recipient = by_recipient(offers)[0]
        offer = recipient[1][0]

        async def shown() -> str:
            async with sessions() as session:
                [[(reply, _ids)]] = await compose_all(session, deployment, [recipient], cards)
            assert reply is not None
            return tr.render(reply.text, "de")

        async with sessions() as session:
            match = await session.get(Match, offer.subject_id)
            assert match is not None
            request = await session.get(HelpRequest, match.request_id)
            assert request is not None
            before = request.description
        assert before in await shown()
        async with sessions() as session, session.begin():
            request.description = "Bitte die Pakete von der Post holen."
            request.updated_at = NOW + timedelta(hours=1)
            session.add(request)
        assert "Bitte die Pakete von der Post holen." in await shown()
        assert before not in await shown()
    finally:
        await engine.dispose()
