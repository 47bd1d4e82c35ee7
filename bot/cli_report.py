"""`ehrenamt report ...` and `ehrenamt demo`: the agency's figures and certificates as files, and
a plausible half year of a town to look at.

    ehrenamt report stats --from 2026-01-01 --to 2026-12-31 --out DIR [--language de]
        writes DIR/stats.xlsx, DIR/stats.csv, DIR/charts/*.png and DIR/report.pdf
    ehrenamt report certificate USER_KEY --name "Erika Muster" --out FILE.pdf [--year 2026]
    ehrenamt demo --volunteers 300 --requests 200 --weeks 26
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from sqlmodel import select

from bot.app import running_app
from bot.config import Settings
from engine.i18n import Text
from exchange import audit, certificates, people, statistics
from storage.models import VolunteerProfile
from synthetic import history
from vocabulary.certificate import certificate_pdf
from vocabulary.charts import charts
from vocabulary.report import report_pdf
from vocabulary.spreadsheet import csv_text, workbook

COMMANDS = ("report", "demo")


class ReportError(Exception):
    """A report that cannot be made; the message says why."""


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    database: argparse.ArgumentParser,
) -> None:
    report = commands.add_parser(
        "report", help="the agency's figures and certificates as files (XLSX, CSV, PNG, PDF)"
    )
    kinds = report.add_subparsers(dest="report_command", required=True)
    stats = kinds.add_parser(
        "stats",
        parents=[database],
        help="figures of a period: stats.xlsx, stats.csv, charts, report.pdf",
    )
    stats.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    stats.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    stats.add_argument("--out", type=Path, required=True, help="the directory to write to")
    stats.add_argument("--language", default="de", help="of titles and labels (default: de)")
    stats.add_argument(
        "--municipality", action="append", help="only this municipality (again for several)"
    )
    certificate = kinds.add_parser(
        "certificate", parents=[database], help="a volunteer's Ehrenamtsnachweis as a PDF"
    )
    certificate.add_argument("key", help="the volunteer's user key, e.g. telegram:123456")
    certificate.add_argument("--name", required=True, help="their full name, printed only")
    certificate.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    certificate.add_argument("--year", type=int, default=None, help="default: this year")
    certificate.add_argument(
        "--language", default="de", help="add a page in this language (German always first)"
    )
    demo = commands.add_parser(
        "demo", parents=[database], help="fill an empty database with a half year of a town"
    )
    demo.add_argument("--volunteers", type=int, default=300)
    demo.add_argument("--requests", type=int, default=200)
    demo.add_argument("--weeks", type=int, default=26)


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.command == "demo":
            sys.stdout.write(asyncio.run(_demo(settings, args)))
        elif args.report_command == "stats":
            sys.stdout.write(asyncio.run(_stats(settings, args)))
        else:
            sys.stdout.write(asyncio.run(_certificate(settings, args)))
    except (ReportError, history.NotEmpty) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


async def _stats(settings: Settings, args: argparse.Namespace) -> str:
    if args.start > args.end:
        raise ReportError("--from must not be after --to.")
    async with running_app(settings) as app:
        if args.language not in app.translator.languages:
            raise ReportError(f"Unknown language {args.language!r}.")
        period = statistics.Period(args.start, args.end, app.deployment.tz)
        scope = frozenset(args.municipality) if args.municipality else None
        async with app.sessions() as session:
            figures = statistics.published(
                await statistics.compute(
                    session, period, municipalities=scope, now=app.core.clock()
                )
            )

        def render(text: Text) -> str:
            return app.translator.render(text, args.language)

        rtl = app.translator.is_rtl(args.language)
        pictures = charts(figures, deployment=app.deployment, render=render, rtl=rtl)
        out: Path = args.out
        (out / "charts").mkdir(parents=True, exist_ok=True)
        (out / "stats.xlsx").write_bytes(
            workbook(figures, deployment=app.deployment, render=render)
        )
        (out / "stats.csv").write_text(csv_text(figures, deployment=app.deployment), "utf-8")
        for name, picture in pictures.items():
            (out / "charts" / f"{name}.png").write_bytes(picture)
        (out / "report.pdf").write_bytes(
            report_pdf(figures, pictures, deployment=app.deployment, render=render)
        )
    written = ["stats.xlsx", "stats.csv", *(f"charts/{name}.png" for name in pictures)]
    return "".join(f"{out / name}\n" for name in [*written, "report.pdf"])


async def _certificate(settings: Settings, args: argparse.Namespace) -> str:
    async with running_app(settings) as app, app.sessions() as session, session.begin():
        if args.language not in app.translator.languages:
            raise ReportError(f"Unknown language {args.language!r}.")
        user = await people.by_key(session, args.key)
        profile = (
            (
                await session.exec(
                    select(VolunteerProfile).where(VolunteerProfile.user_id == user.id)
                )
            ).first()
            if user is not None
            else None
        )
        if user is None or user.id is None or profile is None or profile.id is None:
            raise ReportError(f"There is no volunteer with the key {args.key!r}.")
        now = app.core.clock()
        day = now.astimezone(app.deployment.tz).date()
        year = args.year or day.year
        facts = await certificates.issue(
            session,
            user_id=user.id,
            profile_id=profile.id,
            period_from=date(year, 1, 1),
            period_to=min(date(year, 12, 31), day),
            now=now,
        )
        audit.record(
            session,
            actor=None,
            via="cli",
            action="issue certificate",
            subject=f"user:{user.id}",
            now=now,
            code=facts.code,
        )
        content = certificate_pdf(
            facts,
            name=args.name,
            deployment=app.deployment,
            tr=app.translator,
            language=args.language,
        )
    args.out.write_bytes(content)
    return f"{args.out}: {facts.hours:g} confirmed hours, code {facts.code}\n"


async def _demo(settings: Settings, args: argparse.Namespace) -> str:
    async with running_app(settings) as app:
        counts = await history.fill(
            app.engine, args.volunteers, args.requests, args.weeks, now=app.core.clock()
        )
    return "Demo data written: " + ", ".join(f"{n} {table}" for table, n in counts.items()) + "\n"
