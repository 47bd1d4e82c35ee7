"""Runs `ehrenamt run` as a subprocess against the Bot API stand-in, as it runs in production."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.standin import BotApiStandin

WEBHOOK_SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    def __init__(
        self,
        standin: BotApiStandin,
        framework: str,
        mode: str,
        database_url: str,
        workdir: Path,
        *,
        api_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.standin = standin
        self.framework = framework
        self.mode = mode
        self.workdir = workdir
        self.port = free_port()
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": standin.token,
            "TELEGRAM_API_URL": api_url or standin.url,
            "BOT_FRAMEWORK": framework,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        if mode == "webhook":
            self.env |= {
                "WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_LISTEN": f"127.0.0.1:{self.port}",
            }
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / f"bot-{framework}-{mode}.log"

    async def start(self, *, wait: bool = True) -> None:
        """Start the bot and wait until it listens for updates."""
        requests_before = len(self.standin.requests)
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=log,
            )
        if wait:
            await self.ready(requests_before)

    async def ready(self, requests_before: int = 0) -> None:
        """Wait until the bot listens for updates."""

        def ready() -> bool:
            later = [method for method, _ in self.standin.requests[requests_before:]]
            return ("setWebhook" if self.mode == "webhook" else "getUpdates") in later

        try:
            await self.standin.wait_until(ready, timeout=30)
        except Exception as error:
            raise AssertionError(f"bot did not start:\n{self.log.read_text()}") from error

    async def stop(self) -> None:
        """Stop the bot as an operator would (SIGTERM) and wait for it to exit."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"bot did not stop on SIGTERM:\n{self.log.read_text()}") from None
        assert self.process.returncode == 0, self.log.read_text()
        from tests.conftest import personal_data_in

        assert personal_data_in(self.log.read_text()) == [], "personal data in the bot's log"

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def kill(self) -> None:
        """Kill the bot at once (SIGKILL), as a crash or the kernel's OOM killer would."""
        assert self.process is not None
        self.process.kill()

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""
