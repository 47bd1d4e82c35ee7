"""The deployment file: the agency, its municipalities and districts, and the help categories.

The town's configuration is the floor of the house: it imports nothing of the project.
"""

from __future__ import annotations

import tomllib
from datetime import time
from functools import cached_property
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

# The deployment a first run uses: the volunteer exchange of Bingen am Rhein.
DEFAULT_DEPLOYMENT = Path(__file__).resolve().parent / "deployments" / "bingen.toml"
# Where uploaded files (the documents shelf) are kept, relative to the working directory.
DEFAULT_FILES_DIR = Path("data/files")

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
    # User keys (for example "telegram:123456") of the first coordinators: they grant the rest
    # in the chat. Sponsors per district the same way (district id -> user keys).
    coordinators: tuple[str, ...] = ()
    sponsors: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("districts")
    @classmethod
    def _unique_districts(cls, districts: tuple[District, ...]) -> tuple[District, ...]:
        ids = [district.id for district in districts]
        if len(ids) != len(set(ids)):
            raise ValueError("district ids must be unique within a municipality")
        return districts

    @model_validator(mode="after")
    def _sponsors_of_known_districts(self) -> Municipality:
        unknown = sorted(set(self.sponsors) - {d.id for d in self.districts})
        if unknown:
            raise ValueError(f"sponsors for unknown districts: {', '.join(unknown)}")
        return self

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
    # Word beginnings that name this kind of help in a typed message ("einkauf" finds
    # "Einkaufen"), in any language: a message naming one starts a request for it.
    keywords: tuple[str, ...] = ()


class OfficeHours(_Model):
    """When an office is open: on these weekdays (0 is Monday), from `opens` to `closes`."""

    weekdays: tuple[int, ...] = Field(min_length=1)
    opens: time
    closes: time

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= day <= 6 for day in days):
            raise ValueError("weekdays go from 0 (Monday) to 6 (Sunday)")
        return days


class Office(_Model):
    """A place people can go to or call: the main office or a partner office."""

    name: str
    address: str = ""
    phone: str = ""
    hours: tuple[OfficeHours, ...] = ()


class Agency(_Model):
    name: str
    contact: str
    # Where the coordinators work; its hours say when someone calls back.
    main_office: Office | None = None
    partner_offices: tuple[Office, ...] = ()
    # An extended police certificate counts for this many years after it was issued.
    certificate_years: int = Field(default=5, ge=1, le=10)
    # How long an invitation link for a coordinator or sponsor works.
    invitation_hours: float = Field(default=72.0, gt=0)
    privacy_version: str = Field(min_length=1, max_length=20)
    # Days after which the personal details of finished requests are erased.
    retention_days: int = Field(default=90, ge=1)
    # Hours after their last message the dialogue state of someone who never consented is deleted.
    unconsented_hours: float = Field(default=48.0, gt=0)
    # The full privacy notice per language: one for every language the deployment offers, each at
    # most 4096 characters (`python -m locales.catalogs check` says which is missing); see bingen.toml.
    privacy_notice: dict[str, str] = Field(default_factory=dict)
    # Someone outside the coordinators a volunteer can talk to about a difficult help
    # (supervision, a counselling service); the coordinators are always there too.
    counsellor: Referral | None = None

    def notice(self, language: str) -> str | None:
        """The full privacy notice in this language, else in English, else in German."""
        for code in (language, language.split("_", 1)[0], "en", "de"):
            if self.privacy_notice.get(code):
                return self.privacy_notice[code]
        return None


class Matching(_Model):
    """How offers go out: round sizes and reach, how long a round waits, digest times."""

    offers_per_round: tuple[int, ...] = Field(default=(3, 6, 12), min_length=1)
    radius_km_per_round: tuple[float, ...] = Field(default=(0.0, 3.0, 6.0), min_length=1)
    round_hours: float = Field(default=24.0, gt=0)
    urgent_round_hours: float = Field(default=4.0, gt=0)
    urgent_within_hours: float = Field(default=48.0, ge=0)
    digest_time: time = time(18, 0)
    weekly_digest_day: int = Field(default=0, ge=0, le=6)  # 0 is Monday
    flexible_days: int = Field(default=30, ge=1)
    # The two sides of a match can write through the bot until this long after the appointment
    # (or, without a date, after the match or the interest).
    relay_hours_after: float = Field(default=48.0, gt=0)
    relay_days_without_date: int = Field(default=30, ge=1)
    # The evening before, a volunteer who has not confirmed by this time is reported to the
    # agency's queue (or, where nobody staffs it, to the asker).
    confirm_by: time = time(21, 0)

    @model_validator(mode="after")
    def _same_number_of_rounds(self) -> Matching:
        if len(self.offers_per_round) != len(self.radius_km_per_round):
            raise ValueError("offers_per_round and radius_km_per_round need one entry per round")
        return self

    @property
    def rounds(self) -> int:
        return len(self.offers_per_round)


class Deployment(_Model):
    agency: Agency
    matching: Matching = Matching()
    timezone: str = "Europe/Berlin"
    languages: tuple[str, ...] = ()
    municipalities: tuple[Municipality, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)
    # The directory of uploaded files (the documents shelf): not part of the file, but set from
    # the STORAGE_DIR setting when the settings load the deployment (`Settings.deployment`).
    files_dir: Path = DEFAULT_FILES_DIR

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

    def names_as_staff(self, key: str) -> bool:
        """Whether the file names this user key as a coordinator or sponsor (the first seed)."""
        return any(
            key in m.coordinators or any(key in keys for keys in m.sponsors.values())
            for m in self.municipalities
        )

    @cached_property
    def categories_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    def municipality(self, municipality_id: str | None) -> Municipality | None:
        return next((m for m in self.municipalities if m.id == municipality_id), None)


def load_deployment(path: Path) -> Deployment:
    """Read and validate a deployment file (TOML)."""
    with path.open("rb") as file:
        return Deployment.model_validate(tomllib.load(file))
