"""Start links (`t.me/<bot>?start=<code>`): what a code leads to, and a count of each link.

- `d-<district>`, on a poster in a district: the district is offered first wherever the person
  chooses one, and a newcomer's municipality is the district's;
- `o-<organisation>`, on an organisation's flyer: its open positions and projects;
- the invitations' codes (`exchange.invitations`): a role or a request to take over;
- anything else: the main menu, or the first question for someone new.

Each opening is counted per day and link, and so is each person who then agrees to the privacy
notice (`StartLinkTally`); no person is in the count. Codes that are not a district or an
approved organisation of the deployment are counted as "invitation" or "other", so that made-up
codes add no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import invitations
from storage.models import Organisation, OrganisationStatus, StartLinkTally, User, table_of
from town.deployment import Deployment, District

DISTRICT_PREFIX = "d-"
ORGANISATION_PREFIX = "o-"
TALLIES = table_of(StartLinkTally)


class LinkKind(StrEnum):
    DISTRICT = "district"
    ORGANISATION = "organisation"
    INVITATION = "invitation"
    OTHER = "other"


@dataclass(frozen=True)
class Link:
    kind: LinkKind
    code: str  # the code as given
    counted_as: str  # the tally's code
    municipality: str | None = None
    district: District | None = None
    organisation: Organisation | None = None


def district_code(district: District) -> str:
    return DISTRICT_PREFIX + district.id


def organisation_code(organisation: Organisation) -> str:
    return f"{ORGANISATION_PREFIX}{organisation.id}"


async def read(session: AsyncSession, deployment: Deployment, code: str) -> Link:
    """What a start code stands for in this deployment."""
    if code.startswith((invitations.PREFIX, invitations.HANDOVER_PREFIX)):
        return Link(LinkKind.INVITATION, code, LinkKind.INVITATION, _only(deployment))
    if code.startswith(DISTRICT_PREFIX):
        wanted = code.removeprefix(DISTRICT_PREFIX)
        for municipality in deployment.municipalities:
            district = municipality.district(wanted)
            if district is not None:
                return Link(LinkKind.DISTRICT, code, code, municipality.id, district=district)
    number = code.removeprefix(ORGANISATION_PREFIX)
    if code.startswith(ORGANISATION_PREFIX) and number.isdigit() and len(number) < 10:
        organisation = await approved_organisation(session, int(number))
        if organisation is not None:
            return Link(
                LinkKind.ORGANISATION,
                code,
                organisation_code(organisation),
                organisation.municipality,
                organisation=organisation,
            )
    return Link(LinkKind.OTHER, code, LinkKind.OTHER, _only(deployment))


async def approved_organisation(
    session: AsyncSession, organisation_id: object
) -> Organisation | None:
    """The organisation, while it is approved (an organisation link shows only those)."""
    if not isinstance(organisation_id, int):
        return None
    organisation = await session.get(Organisation, organisation_id)
    approved = organisation is not None and organisation.status == OrganisationStatus.APPROVED
    return organisation if approved else None


def _only(deployment: Deployment) -> str | None:
    """The municipality of a link that names none: the deployment's, if it serves only one."""
    return deployment.municipalities[0].id if len(deployment.municipalities) == 1 else None


def local_day(deployment: Deployment, now: datetime) -> date:
    return now.astimezone(ZoneInfo(deployment.timezone)).date()


async def count(
    session: AsyncSession, deployment: Deployment, link: Link, now: datetime, *, joined: bool
) -> None:
    """Count an opening of the link, or (`joined`) someone who agreed after opening it."""
    column = "joined" if joined else "opened"
    values = {
        "day": local_day(deployment, now),
        "code": link.counted_as,
        "municipality": link.municipality,
        "opened": 0 if joined else 1,
        "joined": 1 if joined else 0,
    }
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    statement = (postgres_insert if postgres else sqlite_insert)(TALLIES).values(values)
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["day", "code"],
            set_={column: TALLIES.c[column] + 1},
        )
    )


def follow_district(user: User, link: Link) -> bool:
    """Make the link's district the person's own; not across municipalities (False then)."""
    if link.district is None or link.municipality is None:
        return False
    if user.municipality not in (None, link.municipality):
        return False
    user.municipality = link.municipality
    user.district = link.district.id
    return True
