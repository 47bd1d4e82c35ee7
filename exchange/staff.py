"""Who works for the agency, and where: coordinators of a municipality and sponsors of districts.

A coordinator acts on everything in their municipality; a sponsor on their districts only. Roles
are granted by a coordinator or an operator, and every grant and revocation is in the audit
record. The deployment file's coordinators (user keys) are the first seed: they count as
coordinators as soon as they have written to the bot, without any grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit
from exchange.audit import Via
from storage.models import StaffKind, StaffRole, User
from town.deployment import Deployment


class StaffError(ValueError):
    """A grant that makes no sense for this deployment; the message says why."""


@dataclass(frozen=True)
class Scope:
    """Where a person may act for the agency."""

    municipalities: frozenset[str] = frozenset()  # as coordinator: all of it
    districts: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # as sponsor

    def __bool__(self) -> bool:
        return bool(self.municipalities or self.districts)

    def covers(self, municipality: str, district: str | None = None) -> bool:
        if municipality in self.municipalities:
            return True
        return district is not None and (municipality, district) in self.districts

    @property
    def coordinator(self) -> bool:
        return bool(self.municipalities)


async def scope_of(session: AsyncSession, deployment: Deployment, user: User) -> Scope:
    """Where `user` may act: their granted roles and, as coordinator, the deployment's seed."""
    if not user.staff and not deployment.names_as_staff(user.key):
        return Scope()  # most people: no look at the roles
    roles = (await session.exec(select(StaffRole).where(StaffRole.user_id == user.id))).all()
    municipalities = {r.municipality for r in roles if r.kind is StaffKind.COORDINATOR}
    municipalities |= {m.id for m in deployment.municipalities if user.key in m.coordinators}
    districts = {(r.municipality, r.district) for r in roles if r.kind is StaffKind.SPONSOR}
    districts |= {
        (m.id, district)
        for m in deployment.municipalities
        for district, keys in m.sponsors.items()
        if user.key in keys
    }
    return Scope(frozenset(municipalities), frozenset(districts))


async def coordinators_of(
    session: AsyncSession, deployment: Deployment, municipality: str
) -> list[int]:
    """User ids of the municipality's coordinators: those granted and the deployment's seed."""
    seed = deployment.municipality(municipality)
    keys = seed.coordinators if seed is not None else ()
    granted = select(StaffRole.user_id).where(
        StaffRole.municipality == municipality, StaffRole.kind == StaffKind.COORDINATOR
    )
    seeded = select(User.id).where(col(User.key).in_(keys))
    ids = set((await session.exec(granted)).all()) | set((await session.exec(seeded)).all())
    return sorted(i for i in ids if i is not None)


async def sponsors_of(
    session: AsyncSession, deployment: Deployment, municipality: str, district: str
) -> list[int]:
    """User ids of the district's sponsors: those granted and the deployment's seed."""
    seed = deployment.municipality(municipality)
    keys = seed.sponsors.get(district, ()) if seed is not None else ()
    query = select(StaffRole.user_id).where(
        StaffRole.municipality == municipality,
        StaffRole.district == district,
        StaffRole.kind == StaffKind.SPONSOR,
    )
    seeded = select(User.id).where(col(User.key).in_(keys))
    ids = set((await session.exec(query)).all()) | set((await session.exec(seeded)).all())
    return sorted(i for i in ids if i is not None)


async def staff_of(
    session: AsyncSession, deployment: Deployment, municipality: str, district: str
) -> list[int]:
    """Everyone who may act on something in this district: its coordinators and sponsors."""
    coordinators = await coordinators_of(session, deployment, municipality)
    sponsors = await sponsors_of(session, deployment, municipality, district) if district else []
    return sorted(set(coordinators) | set(sponsors))


async def grant(
    session: AsyncSession,
    deployment: Deployment,
    user: User,
    kind: StaffKind,
    municipality: str,
    districts: Iterable[str] = (),
    *,
    by: User | None,
    via: Via,
    now: datetime,
) -> list[StaffRole]:
    """Make `user` coordinator of `municipality`, or sponsor of `districts` in it; what they
    already hold stays as it is. Returns the roles added."""
    assert user.id is not None
    place = deployment.municipality(municipality)
    if place is None:
        raise StaffError(f"there is no municipality {municipality!r} in the deployment file")
    wanted = sorted(set(districts))
    if kind is StaffKind.COORDINATOR:
        if wanted:
            raise StaffError("a coordinator acts for the whole municipality: give no districts")
        wanted = [""]
    else:
        if not wanted:
            raise StaffError("a sponsor needs at least one district")
        unknown = [d for d in wanted if place.district(d) is None]
        if unknown:
            raise StaffError(f"{municipality} has no district {', '.join(map(repr, unknown))}")
    held = (
        await session.exec(
            select(StaffRole.district).where(
                StaffRole.user_id == user.id,
                StaffRole.kind == kind,
                StaffRole.municipality == municipality,
            )
        )
    ).all()
    added = [
        StaffRole(user_id=user.id, kind=kind, municipality=municipality, district=d, granted_at=now)
        for d in wanted
        if d not in held
    ]
    session.add_all(added)
    if added and not user.staff:
        user.staff = True
        session.add(user)
    if added:
        audit.record(
            session,
            actor=by,
            via=via,
            action=f"grant {kind.value}",
            subject=f"user:{user.id}",
            now=now,
            municipality=municipality,
            districts=[role.district for role in added if role.district],
        )
    return added


async def revoke(
    session: AsyncSession, user: User, *, by: User | None, via: Via, now: datetime
) -> int:
    """Take every staff role from `user`; returns how many they had."""
    roles = (await session.exec(select(StaffRole).where(StaffRole.user_id == user.id))).all()
    user.staff = False
    session.add(user)
    if roles:
        await session.exec(delete(StaffRole).where(col(StaffRole.user_id) == user.id))
        audit.record(
            session,
            actor=by,
            via=via,
            action="revoke staff",
            subject=f"user:{user.id}",
            now=now,
            roles=[f"{r.kind.value} {r.municipality} {r.district}".strip() for r in roles],
        )
    return len(roles)


async def listing(session: AsyncSession) -> Sequence[tuple[StaffRole, User]]:
    """Every granted role with its holder, by municipality, kind and district."""
    query = (
        select(StaffRole, User)
        .join(User, col(User.id) == StaffRole.user_id)
        .order_by(
            col(StaffRole.municipality), col(StaffRole.kind), col(StaffRole.district), col(User.id)
        )
    )
    return (await session.exec(query)).all()
