"""`ehrenamt admin ...` for the agency's queue: what a coordinator does in the chat, from the shell.

Each command acts as the operator (the audit record says "cli"); people are named by their user
key, cases, requests and opportunities by their id. Nothing personal is printed but what the
coordinator's card shows too.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import App, running_app
from bot.config import Settings
from exchange import (
    audit,
    cases,
    certificates,
    invitations,
    matches,
    opportunities,
    people,
    recognition,
    requests,
    safeguarding,
    vetting,
)
from storage.models import (
    Case,
    CaseKind,
    CaseStatus,
    HelpRequest,
    Match,
    Opportunity,
    RequestStatus,
    StaffKind,
    User,
    VolunteerProfile,
)

CLOSE_REASONS = ("solved", "not_needed", "no_volunteer", "duplicate")


class AgencyError(Exception):
    """A command that cannot be carried out; the message says why."""


def add_parsers(
    tasks: argparse._SubParsersAction[argparse.ArgumentParser], database: argparse.ArgumentParser
) -> None:
    tasks.add_parser("queue", parents=[database], help="the agency's open cases, urgent first")
    closing = tasks.add_parser("close-case", parents=[database], help="close a case of the queue")
    closing.add_argument("id", type=int, help="the case's id (see queue)")
    closing.add_argument("reason", choices=CLOSE_REASONS)
    assigning = tasks.add_parser(
        "assign", parents=[database], help="give an open request to a volunteer agreed with"
    )
    assigning.add_argument("request", type=int, help="the request's id")
    assigning.add_argument("key", help="the volunteer's user key, e.g. telegram:123456")
    widening = tasks.add_parser(
        "widen", parents=[database], help="run a request's widest offer round again"
    )
    widening.add_argument("request", type=int, help="the request's id")
    confirming = tasks.add_parser(
        "confirm-hours", parents=[database], help="confirm the hours a volunteer reported"
    )
    confirming.add_argument("match", type=int, help="the help's id (the match)")
    verifying = tasks.add_parser(
        "verify-certificate", parents=[database], help="check an Ehrenamtsnachweis by its code"
    )
    verifying.add_argument("code", help="the code printed on the certificate")
    unblocking = tasks.add_parser("unblock-user", parents=[database], help="lift a block")
    unblocking.add_argument("key", help="the person's user key, e.g. telegram:123456")
    vet = tasks.add_parser(
        "vet", parents=[database], help="note identity, interview or police certificate seen"
    )
    vet.add_argument("key", help="the volunteer's user key, e.g. telegram:123456")
    vet.add_argument("--identity", type=date.fromisoformat, help="day checked (YYYY-MM-DD)")
    vet.add_argument("--interview", type=date.fromisoformat, help="day held (YYYY-MM-DD)")
    vet.add_argument(
        "--certificate", type=date.fromisoformat, help="the certificate's day of issue"
    )
    for name, verb in (("approve-position", "approve"), ("reject-position", "reject")):
        task = tasks.add_parser(name, parents=[database], help=f"{verb} a waiting opportunity")
        task.add_argument("id", type=int, help="the opportunity's id")
    invite = tasks.add_parser(
        "invite", parents=[database], help="a start code that makes someone coordinator or sponsor"
    )
    invite.add_argument("kind", choices=[kind.value for kind in StaffKind])
    invite.add_argument("municipality", help="the municipality's id in the deployment file")
    invite.add_argument("districts", nargs="*", help="a sponsor's district ids")


COMMANDS = (
    "queue",
    "close-case",
    "assign",
    "widen",
    "unblock-user",
    "confirm-hours",
    "verify-certificate",
    "vet",
    "approve-position",
    "reject-position",
    "invite",
)


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Carry out one command in one transaction; returns what to print."""
    async with running_app(settings) as app, app.sessions() as session, session.begin():
        return await HANDLERS[args.admin_command](app, session, args)


async def _person(session: AsyncSession, key: str) -> User:
    user = await people.by_key(session, key)
    if user is None:
        raise AgencyError(f"There is nobody with the key {key!r}.")
    return user


async def _queue(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    query = (
        select(Case)
        .where(col(Case.status).in_(cases.ACTIVE))
        .order_by(col(Case.urgent).desc(), col(Case.created_at).desc())
    )
    rows = [
        (
            str(case.id),
            case.kind.value,
            case.status.value + (" urgent" if case.urgent else ""),
            f"{case.municipality}/{case.district or '-'}",
            case.created_at.isoformat(timespec="minutes"),
            str(case.subject_id or "-"),
        )
        for case in (await session.exec(query)).all()
    ]
    if not rows:
        return "Nothing is waiting.\n"
    header = ("ID", "KIND", "STATUS", "PLACE", "SINCE", "SUBJECT")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in [header, *rows]
    )


async def _close(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    case = await session.get(Case, args.id)
    if case is None or case.status == CaseStatus.CLOSED:
        raise AgencyError(f"There is no open case {args.id}.")
    now = app.core.clock()
    cases.close(session, case, args.reason, by=None, via="cli", now=now)
    request = await session.get(HelpRequest, case.subject_id) if case.subject_id else None
    if request is not None and case.kind == CaseKind.UNMATCHED and args.reason != "duplicate":
        await requests.withdraw(session, request, now)
    return f"Closed case {case.id}.\n"


async def _open_request(session: AsyncSession, request_id: int) -> HelpRequest:
    request = await session.get(HelpRequest, request_id)
    if request is None or request.status != RequestStatus.OPEN:
        raise AgencyError(f"There is no open request {request_id}.")
    return request


async def _assign(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    request = await _open_request(session, args.request)
    volunteer = await _person(session, args.key)
    query = select(VolunteerProfile).where(VolunteerProfile.user_id == volunteer.id)
    profile = (await session.exec(query)).first()
    if profile is None:
        raise AgencyError("They have no volunteer profile.")
    now = app.core.clock()
    match = await matches.assign(
        session, app.deployment, request, profile, by=None, via="cli", now=now
    )
    if match is None:
        raise AgencyError(f"Request {request.id} is no longer open.")
    return f"Assigned request {request.id}; both sides are told.\n"


async def _widen(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    request = await _open_request(session, args.request)
    now = app.core.clock()
    await requests.search_again(session, app.deployment, request, by=None, via="cli", now=now)
    return f"Request {request.id} goes out again in the widest round.\n"


async def _unblock(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    user = await _person(session, args.key)
    if user.blocked_at is None:
        return "They are not blocked.\n"
    await safeguarding.unblock(session, user)
    now = app.core.clock()
    await cases.tell(session, user, "unblocked", now)
    audit.record(
        session, actor=None, via="cli", action="unblock", subject=f"user:{user.id}", now=now
    )
    return "Unblocked; they are told.\n"


async def _confirm_hours(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    match = await session.get(Match, args.match)
    if match is None:
        raise AgencyError(f"There is no help with the id {args.match}.")
    if not recognition.confirm(session, match, by=None, via="cli", now=app.core.clock()):
        return "Nothing to confirm: the help has no reported hours, or they are confirmed.\n"
    return f"Confirmed: {match.hours:g} hours.\n"


async def _verify_certificate(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    facts = await certificates.verify(session, args.code)
    if facts is None:
        return f"No certificate has the code {args.code!r}: it is not one of ours.\n"
    kinds = "".join(
        f"  {kind}: {hours:g} hours, {helps} assignments\n"
        for kind, (hours, helps) in facts.kinds.items()
    )
    return (
        f"Valid: issued on {facts.issued_at.date().isoformat()} for "
        f"{facts.period_from.isoformat()} to {facts.period_to.isoformat()}, "
        f"{facts.hours:g} confirmed hours, {facts.trainings} trainings attended"
        f"{', signed off by a coordinator' if facts.signed else ''}.\n{kinds}"
    )


async def _vet(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    user = await _person(session, args.key)
    query = select(VolunteerProfile).where(VolunteerProfile.user_id == user.id)
    profile = (await session.exec(query)).first()
    if profile is None:
        raise AgencyError("They have no volunteer profile.")
    if not (args.identity or args.interview or args.certificate):
        raise AgencyError("Give --identity, --interview or --certificate.")
    now = app.core.clock()
    try:
        await vetting.record(
            session,
            app.deployment,
            profile,
            identity=args.identity,
            interview=args.interview,
            certificate_issued=args.certificate,
            by=None,
            via="cli",
            now=now,
        )
    except ValueError as error:
        raise AgencyError(str(error)) from None
    if profile.verified and args.certificate:
        await cases.tell(session, user, "vetted", now)
        until = vetting.valid_until(app.deployment, args.certificate)
        return f"Vetted until {until.isoformat()}; they are told.\n"
    return "Noted.\n"


async def _position(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    opportunity = await session.get(Opportunity, args.id)
    approve = args.admin_command == "approve-position"
    now = app.core.clock()
    if opportunity is None or not await opportunities.decide(
        session, opportunity, approve=approve, by=None, via="cli", now=now
    ):
        raise AgencyError(f"Opportunity {args.id} does not wait for approval.")
    return f"{'Approved' if approve else 'Rejected'} opportunity {args.id}; they are told.\n"


async def _invite(app: App, session: AsyncSession, args: argparse.Namespace) -> str:
    kind = StaffKind(args.kind)
    place = app.deployment.municipality(args.municipality)
    if place is None:
        raise AgencyError(f"There is no municipality {args.municipality!r}.")
    unknown = [d for d in args.districts if place.district(d) is None]
    if kind is StaffKind.SPONSOR and (not args.districts or unknown):
        raise AgencyError("A sponsor needs districts of the municipality.")
    if kind is StaffKind.COORDINATOR and args.districts:
        raise AgencyError("A coordinator acts for the whole municipality: give no districts.")
    invitation = await invitations.create(
        session,
        app.deployment,
        kind=kind,
        municipality=place.id,
        districts=args.districts,
        by=None,
        via="cli",
        now=app.core.clock(),
    )
    code = invitations.start_code(invitation)
    return (
        f"Start code: {code}\n"
        f"Link: https://t.me/<your bot>?start={code}\n"
        f"Works once, until {invitation.expires_at.isoformat(timespec='minutes')}.\n"
    )


HANDLERS: dict[str, Callable[[App, AsyncSession, argparse.Namespace], Awaitable[str]]] = {
    "queue": _queue,
    "close-case": _close,
    "assign": _assign,
    "widen": _widen,
    "unblock-user": _unblock,
    "confirm-hours": _confirm_hours,
    "verify-certificate": _verify_certificate,
    "vet": _vet,
    "approve-position": _position,
    "reject-position": _position,
    "invite": _invite,
}
