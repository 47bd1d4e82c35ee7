"""The deployment file describes the town; a broken one is refused with a clear reason."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from town.deployment import DEFAULT_DEPLOYMENT, Deployment, load_deployment


def test_default_deployment_describes_bingen_and_its_districts() -> None:
    deployment = load_deployment(DEFAULT_DEPLOYMENT)
    bingen = deployment.municipality("bingen")
    assert bingen is not None and bingen.name == "Bingen am Rhein"
    names = {district.name for district in bingen.districts}
    assert {"Büdesheim", "Bingerbrück", "Dromersheim", "Gaulsheim", "Kempten", "Sponsheim"} <= names
    for district in bingen.districts:  # all within a few kilometres of the town centre
        assert 49.85 < district.latitude < 50.0 and 7.8 < district.longitude < 8.0
    assert str(deployment.tz) == "Europe/Berlin"


def test_default_deployment_ships_the_help_categories() -> None:
    ids = {category.id for category in load_deployment(DEFAULT_DEPLOYMENT).categories}
    assert {
        "accompaniment",
        "shopping",
        "repairs",
        "visits",
        "paperwork",
        "interpreting",
        "tutoring",
        "transport",
        "garden",
        "digital",
        "pets",
        "club-events",
    } <= ids


def _raw() -> dict[str, object]:
    return tomllib.loads(DEFAULT_DEPLOYMENT.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["categories"].append(dict(d["categories"][0])), "category ids must be unique"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        (lambda d: d["municipalities"][0]["districts"][0].update(latitude=123), "latitude"),
        (lambda d: d["agency"].update(privacy_version=""), "privacy_version"),
        (lambda d: d["agency"].update(unconsented_hours=0), "unconsented_hours"),
        (lambda d: d.update(unknown_setting=1), "unknown_setting"),
    ],
)
def test_broken_deployments_are_refused(change: object, reason: str) -> None:
    raw = _raw()
    change(raw)  # type: ignore[operator]
    with pytest.raises(ValidationError, match=reason):
        Deployment.model_validate(raw)


def test_several_municipalities_ask_where_the_person_lives(tmp_path: Path) -> None:
    raw = _raw()
    second = dict(raw["municipalities"][0])  # type: ignore[index]
    second.update(id="ingelheim", name="Ingelheim am Rhein")
    raw["municipalities"].append(second)  # type: ignore[union-attr]
    deployment = Deployment.model_validate(raw)
    assert [m.id for m in deployment.municipalities] == ["bingen", "ingelheim"]
