"""The deployment file: the agency, its municipalities and districts, and the help categories."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class District(_Model):
    id: Slug
    name: str
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Municipality(_Model):
    id: Slug
    name: str
    districts: tuple[District, ...] = Field(min_length=1)

    @field_validator("districts")
    @classmethod
    def _unique_districts(cls, districts: tuple[District, ...]) -> tuple[District, ...]:
        ids = [district.id for district in districts]
        if len(ids) != len(set(ids)):
            raise ValueError("district ids must be unique within a municipality")
        return districts

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts if d.id == district_id), None)


class Referral(_Model):
    """A local service a help-seeker can turn to while waiting for a volunteer."""

    name: str
    phone: str | None = None
    url: str | None = None


class Category(_Model):
    """A kind of help. `label` is an English message id translated through the catalogs."""

    id: Slug
    emoji: str
    label: str
    adults_only: bool = False
    needs_verification: bool = False
    referrals: tuple[Referral, ...] = ()


class Agency(_Model):
    name: str
    contact: str
    privacy_version: str = Field(min_length=1, max_length=20)


class Deployment(_Model):
    agency: Agency
    timezone: str = "Europe/Berlin"
    languages: tuple[str, ...] = ()
    municipalities: tuple[Municipality, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Deployment:
        for name, ids in (
            ("municipality", [m.id for m in self.municipalities]),
            ("category", [c.id for c in self.categories]),
        ):
            if len(ids) != len(set(ids)):
                raise ValueError(f"{name} ids must be unique")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def municipality(self, municipality_id: str | None) -> Municipality | None:
        return next((m for m in self.municipalities if m.id == municipality_id), None)


def load_deployment(path: Path) -> Deployment:
    """Read and validate a deployment file (TOML)."""
    with path.open("rb") as file:
        return Deployment.model_validate(tomllib.load(file))
