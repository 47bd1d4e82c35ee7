"""The operator's exports: `ehrenamt demo` fills an empty database, `ehrenamt report stats` writes
the spreadsheet, the CSV, the charts and the yearly report, `ehrenamt report certificate` a
volunteer's certificate."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import cli
from storage import create_engine
from storage.models import Certificate, User, VolunteerProfile


async def ehrenamt(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = await asyncio.to_thread(cli.main, list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def test_demo_data_then_the_years_report_and_a_certificate_from_the_shell(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await ehrenamt(
        capsys,
        "demo",
        "--volunteers",
        "150",
        "--requests",
        "120",
        "--weeks",
        "26",
        "--database",
        database_url,
    )
    assert code == 0 and "150 volunteer_profiles" in out and "120 help_requests" in out
    code, out = await ehrenamt(capsys, "demo", "--database", database_url)
    assert code == 1 and "only into an empty database" in out

    today = date.today()
    report = tmp_path / "report"
    code, out = await ehrenamt(
        capsys,
        "report",
        "stats",
        "--from",
        (today - timedelta(days=190)).isoformat(),
        "--to",
        today.isoformat(),
        "--out",
        str(report),
        "--database",
        database_url,
    )
    assert code == 0, out
    charts = sorted(path.name for path in (report / "charts").iterdir())
    assert charts == [
        "districts.png",
        "hours_by_kind.png",
        "placement_rate.png",
        "requests_per_month.png",
    ]
    assert all((report / "charts" / name).read_bytes().startswith(b"\x89PNG") for name in charts)
    book = load_workbook(report / "stats.xlsx")
    assert "Anfragen nach Monat" in book.sheetnames and book.sheetnames[-1] == "Erklärungen"
    rows = list(csv.DictReader(io.StringIO((report / "stats.csv").read_text("utf-8"))))
    made = [
        r
        for r in rows
        if r["table"] == "requests_by_month" and r["key"] == "all" and r["column"] == "made"
    ]
    assert len(made) == 1 and int(made[0]["value"]) > 50
    text = "".join(page.extract_text() for page in PdfReader(report / "report.pdf").pages)
    assert "Ehrenamtsbörse Bingen" in text

    engine = create_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            profile = (
                await session.exec(select(VolunteerProfile).where(VolunteerProfile.helps_done > 0))
            ).first()
            assert profile is not None
            user = await session.get(User, profile.user_id)
            assert user is not None
            key = user.key
    finally:
        await engine.dispose()
    pdf = tmp_path / "nachweis.pdf"
    code, out = await ehrenamt(
        capsys,
        "report",
        "certificate",
        key,
        "--name",
        "Erika Muster",
        "--out",
        str(pdf),
        "--language",
        "uk",
        "--database",
        database_url,
    )
    assert code == 0, out
    pages = [page.extract_text() for page in PdfReader(pdf).pages]
    assert len(pages) == 2 and "Erika Muster" in pages[0] and "Ehrenamtsnachweis" in pages[0]
    code_shown = out.split("code ")[1].strip()
    code, out = await ehrenamt(
        capsys, "admin", "verify-certificate", code_shown, "--database", database_url
    )
    assert code == 0 and "Valid" in out
    engine = create_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            assert (await session.get(Certificate, code_shown)) is not None
    finally:
        await engine.dispose()
    code, out = await ehrenamt(
        capsys,
        "report",
        "certificate",
        "telegram:0",
        "--name",
        "X",
        "--out",
        str(pdf),
        "--database",
        database_url,
    )
    assert code == 1 and "no volunteer" in out
