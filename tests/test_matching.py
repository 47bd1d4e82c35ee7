"""Matching rules and push timing: pure functions, tested directly and with generated cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from exchange.timing import after_quiet_hours, in_quiet_hours, next_at, offer_due
from matching.fit import fits, rank
from matching.rules import (
    PARTS,
    Need,
    Volunteer,
    districts_within,
    needs_shared_language,
    slot_of,
)
from town.deployment import DEFAULT_DEPLOYMENT, load_deployment

DEPLOYMENT = load_deployment(DEFAULT_DEPLOYMENT)
BINGEN = DEPLOYMENT.municipalities[0]
DISTRICTS = [d.id for d in BINGEN.districts]
CATEGORIES = [c.id for c in DEPLOYMENT.categories]
LANGUAGES = ["de", "en", "tr", "ar", "uk", "ru", "fa"]
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

slots = st.tuples(st.integers(0, 6), st.sampled_from(PARTS))
volunteers = st.builds(
    Volunteer,
    profile_id=st.integers(1, 10_000),
    categories=st.frozensets(st.sampled_from(CATEGORIES), min_size=1),
    districts=st.frozensets(st.sampled_from(DISTRICTS), min_size=1),
    slots=st.frozensets(slots),
    languages=st.frozensets(st.sampled_from(LANGUAGES), min_size=1),
    minor=st.booleans(),
    verified=st.booleans(),
    paused=st.booleans(),
    reachable=st.booleans(),
    offers_received=st.integers(0, 50),
    offers_accepted=st.integers(0, 20),
    helps_done=st.integers(0, 20),
)
needs = st.builds(
    Need,
    category=st.sampled_from(CATEGORIES),
    district=st.sampled_from(DISTRICTS),
    slot=st.none() | slots,
    languages=st.frozensets(st.sampled_from(LANGUAGES), min_size=1),
    adults_only=st.booleans(),
    needs_verification=st.booleans(),
)


def volunteer(**changes: object) -> Volunteer:
    base = Volunteer(
        profile_id=1,
        categories=frozenset({"shopping"}),
        districts=frozenset({"buedesheim"}),
        slots=frozenset({(1, "morning")}),
        languages=frozenset({"de"}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


NEED = Need(
    category="shopping", district="buedesheim", slot=(1, "morning"), languages=frozenset({"de"})
)
HERE = frozenset({"buedesheim"})


# --- hard filters, by example -----------------------------------------------------------------


def test_a_volunteer_who_offers_the_help_where_and_when_it_is_needed_fits() -> None:
    assert fits(volunteer(), NEED, HERE)


def test_another_kind_of_help_does_not_fit() -> None:
    assert not fits(volunteer(categories=frozenset({"garden"})), NEED, HERE)


def test_another_district_fits_only_within_the_rounds_reach() -> None:
    kempten = volunteer(districts=frozenset({"kempten"}))
    assert not fits(kempten, NEED, HERE)
    assert fits(kempten, NEED, districts_within(BINGEN, "buedesheim", 6.0))


def test_the_time_of_day_must_be_free_unless_the_request_is_flexible() -> None:
    evenings = volunteer(slots=frozenset({(1, "evening")}))
    assert not fits(evenings, NEED, HERE)
    assert fits(evenings, replace(NEED, slot=None), HERE)


def test_a_person_without_german_needs_a_shared_language() -> None:
    arabic = replace(NEED, languages=frozenset({"ar"}))
    assert not fits(volunteer(), arabic, HERE)
    assert fits(volunteer(languages=frozenset({"de", "ar"})), arabic, HERE)
    assert fits(volunteer(), replace(NEED, languages=frozenset({"de", "ar"})), HERE)


def test_minors_and_unverified_volunteers_are_kept_from_what_requires_more() -> None:
    assert not fits(volunteer(minor=True), replace(NEED, adults_only=True), HERE)
    assert not fits(volunteer(), replace(NEED, needs_verification=True), HERE)
    assert fits(volunteer(verified=True), replace(NEED, needs_verification=True), HERE)


def test_paused_and_unreachable_volunteers_get_nothing() -> None:
    assert not fits(volunteer(paused=True), NEED, HERE)
    assert not fits(volunteer(reachable=False), NEED, HERE)


# --- hard filters, as properties -------------------------------------------------------------


@given(volunteers, needs)
def test_whoever_fits_offers_the_help_in_reach_at_the_time_and_may_take_it(
    v: Volunteer, need: Need
) -> None:
    reach = districts_within(BINGEN, need.district, 3.0)
    if fits(v, need, reach):
        assert need.category in v.categories
        assert v.districts & reach
        assert need.slot is None or need.slot in v.slots
        assert not needs_shared_language(need) or v.languages & need.languages
        assert not (need.adults_only and v.minor)
        assert not (need.needs_verification and not v.verified)
        assert not v.paused and v.reachable


@given(volunteers, needs)
def test_whoever_meets_every_requirement_fits(v: Volunteer, need: Need) -> None:
    reach = districts_within(BINGEN, need.district, 0.0)
    meets = (
        need.category in v.categories
        and bool(v.districts & reach)
        and (need.slot is None or need.slot in v.slots)
        and (not needs_shared_language(need) or bool(v.languages & need.languages))
        and not (need.adults_only and v.minor)
        and not (need.needs_verification and not v.verified)
        and not v.paused
        and v.reachable
    )
    assert fits(v, need, reach) == meets


@given(st.sampled_from(DISTRICTS), st.floats(0, 20), st.floats(0, 20))
def test_a_wider_round_reaches_at_least_as_far(district: str, a: float, b: float) -> None:
    small, large = sorted((a, b))
    assert district in districts_within(BINGEN, district, small)
    assert districts_within(BINGEN, district, small) <= districts_within(BINGEN, district, large)


@given(st.lists(volunteers, max_size=30, unique_by=lambda v: v.profile_id), needs)
def test_ranking_keeps_exactly_those_who_fit(vs: list[Volunteer], need: Need) -> None:
    reach = districts_within(BINGEN, need.district, 3.0)
    ranked = rank(vs, need, reach, BINGEN, NOW)
    assert {v.profile_id for v in ranked} == {v.profile_id for v in vs if fits(v, need, reach)}


# --- ranking ---------------------------------------------------------------------------------


def test_nearer_volunteers_come_first() -> None:
    near = volunteer(profile_id=1)
    far = volunteer(profile_id=2, districts=frozenset({"dromersheim"}))
    reach = districts_within(BINGEN, "buedesheim", 6.0)
    assert [v.profile_id for v in rank([far, near], NEED, reach, BINGEN, NOW)] == [1, 2]


def test_a_shared_language_comes_before_german_only() -> None:
    need = replace(NEED, languages=frozenset({"de", "tr"}))
    german = volunteer(profile_id=1)
    turkish = volunteer(profile_id=2, languages=frozenset({"de", "tr"}))
    assert [v.profile_id for v in rank([german, turkish], need, HERE, BINGEN, NOW)] == [2, 1]


def test_load_is_spread_to_those_asked_least_recently() -> None:
    asked_yesterday = volunteer(
        profile_id=1, offers_received=5, last_offered_at=NOW - timedelta(days=1)
    )
    rested = volunteer(profile_id=2, offers_received=5, last_offered_at=NOW - timedelta(days=30))
    assert [v.profile_id for v in rank([asked_yesterday, rested], NEED, HERE, BINGEN, NOW)] == [
        2,
        1,
    ]


def test_reliable_volunteers_come_first() -> None:
    reliable = volunteer(profile_id=1, offers_accepted=6, helps_done=6)
    no_shows = volunteer(profile_id=2, offers_accepted=6, helps_done=1)
    assert [v.profile_id for v in rank([no_shows, reliable], NEED, HERE, BINGEN, NOW)] == [1, 2]


def test_the_slot_of_a_request_comes_from_its_day_and_time() -> None:
    tuesday = date(2026, 11, 24)
    assert slot_of(tuesday, "morning", None) == (1, "morning")
    assert slot_of(tuesday, None, time(15, 30)) == (1, "afternoon")
    assert slot_of(None, None, None) is None


# --- when pushes go out ----------------------------------------------------------------------


def test_quiet_hours_run_over_midnight() -> None:
    assert in_quiet_hours(time(22, 0), time(21, 0), time(8, 0))
    assert in_quiet_hours(time(7, 59), time(21, 0), time(8, 0))
    assert not in_quiet_hours(time(8, 0), time(21, 0), time(8, 0))
    assert not in_quiet_hours(time(12, 0), time(21, 0), time(8, 0))


def test_a_push_planned_at_night_waits_for_the_morning() -> None:
    night = datetime(2026, 11, 23, 22, 30, tzinfo=BERLIN)
    assert after_quiet_hours(night, time(21, 0), time(8, 0)) == datetime(
        2026, 11, 24, 8, 0, tzinfo=BERLIN
    )
    early = datetime(2026, 11, 24, 6, 0, tzinfo=BERLIN)
    assert after_quiet_hours(early, time(21, 0), time(8, 0)) == datetime(
        2026, 11, 24, 8, 0, tzinfo=BERLIN
    )


def test_digests_go_out_at_the_next_digest_time() -> None:
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN)
    assert next_at(monday_noon, time(18, 0)) == datetime(2026, 11, 23, 18, 0, tzinfo=BERLIN)
    assert next_at(monday_noon, time(18, 0), weekday=0) == datetime(
        2026, 11, 23, 18, 0, tzinfo=BERLIN
    )
    monday_evening = datetime(2026, 11, 23, 19, 0, tzinfo=BERLIN)
    assert next_at(monday_evening, time(18, 0), weekday=0) == datetime(
        2026, 11, 30, 18, 0, tzinfo=BERLIN
    )


def _due(now: datetime, **changes: object) -> datetime:
    options: dict[str, object] = {
        "rhythm": "immediate",
        "digest_at": time(18, 0),
        "weekly_digest_day": 0,
        "quiet_from": time(21, 0),
        "quiet_until": time(8, 0),
        "urgent": False,
        "same_day": False,
        "urgent_ok": False,
    }
    options.update(changes)
    return offer_due(now, BERLIN, **options)  # type: ignore[arg-type]


def test_offers_follow_the_volunteers_rhythm_unless_urgent() -> None:
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN)
    assert _due(noon) == noon
    assert _due(noon, rhythm="daily") == datetime(2026, 11, 23, 18, 0, tzinfo=BERLIN)
    assert _due(noon, rhythm="weekly") == datetime(2026, 11, 23, 18, 0, tzinfo=BERLIN)
    assert _due(noon, rhythm="weekly", urgent=True) == noon


def test_same_day_urgent_requests_may_break_quiet_hours_for_those_who_opted_in() -> None:
    late = datetime(2026, 11, 23, 22, 0, tzinfo=BERLIN)
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)
    assert _due(late, urgent=True, same_day=True) == morning
    assert _due(late, urgent=True, same_day=True, urgent_ok=True) == late
    assert _due(late, urgent=True, same_day=False, urgent_ok=True) == morning


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(BERLIN)
    ),
    st.sampled_from(["immediate", "daily", "weekly"]),
    st.booleans(),
)
def test_no_offer_is_due_in_quiet_hours_or_in_the_past(
    now: datetime, rhythm: str, urgent: bool
) -> None:
    due = _due(now, rhythm=rhythm, urgent=urgent)
    assert due >= now
    assert not in_quiet_hours(due.astimezone(BERLIN).time(), time(21, 0), time(8, 0))
