"""Where the matching benchmark keeps its generated data: SQLite files, or PostgreSQL databases.

Each keeps the generated data of a size once and hands every run a fresh copy of it: a copied
file, or a database created from the generated one as its template (a file copy inside
PostgreSQL, seconds even for a million volunteers).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url

from synthetic.towns import generate, generate_postgres


class Store(Protocol):
    name: str

    def generate(self, volunteers: int, requests: int) -> None: ...

    @contextmanager
    def fresh_copy(self) -> Iterator[str]: ...  # the URL of a copy, dropped afterwards

    def sqlite_file(self) -> Path | None: ...  # the generated file, for the naive baseline

    def close(self) -> None: ...


class SQLiteFiles:
    name = "SQLite"

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._generated: Path | None = None

    def generate(self, volunteers: int, requests: int) -> None:
        self.close()
        self._generated = self._workdir / f"{volunteers}-{requests}.db"
        asyncio.run(generate(self._generated, volunteers, requests))

    @contextmanager
    def fresh_copy(self) -> Iterator[str]:
        assert self._generated is not None
        path = self._workdir / "run.db"
        shutil.copyfile(self._generated, path)
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            path.unlink()

    def sqlite_file(self) -> Path | None:
        return self._generated

    def close(self) -> None:
        if self._generated is not None:
            self._generated.unlink(missing_ok=True)
            self._generated = None


class PostgresDatabases:
    """Databases `bench_matching_data` and `bench_matching_run` on the server of `admin_url` (a
    database to connect to for creating and dropping them, such as `postgres`)."""

    name = "PostgreSQL"
    DATA, RUN = "bench_matching_data", "bench_matching_run"

    def __init__(self, admin_url: str) -> None:
        self._admin = make_url(admin_url).set(drivername="postgresql")

    def _url(self, database: str) -> str:
        return self._admin.set(drivername="postgresql+asyncpg", database=database).render_as_string(
            hide_password=False
        )

    def _execute(self, *statements: str) -> None:
        import asyncpg

        async def run() -> None:
            connection = await asyncpg.connect(self._admin.render_as_string(hide_password=False))
            try:
                for statement in statements:
                    await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(run())

    def _recreate(self, database: str, template: str | None = None) -> None:
        create = f"CREATE DATABASE {database}" + (f" TEMPLATE {template}" if template else "")
        self._execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", create)

    def generate(self, volunteers: int, requests: int) -> None:
        self._recreate(self.DATA)
        asyncio.run(generate_postgres(self._url(self.DATA), volunteers, requests))

    @contextmanager
    def fresh_copy(self) -> Iterator[str]:
        self._recreate(self.RUN, template=self.DATA)
        try:
            yield self._url(self.RUN)
        finally:
            self._execute(f"DROP DATABASE IF EXISTS {self.RUN} WITH (FORCE)")

    def sqlite_file(self) -> Path | None:
        return None

    def close(self) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {self.DATA} WITH (FORCE)")
