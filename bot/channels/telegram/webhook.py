"""The webhook endpoint, the same for both frameworks: checks Telegram's secret header, then feeds."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"

Feed = Callable[[dict[str, Any]], Awaitable[None]]


def webhook_app(path: str, secret: str, feed: Feed) -> web.Application:
    """An aiohttp app that accepts updates at `path` and answers health checks."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("refused a webhook call without the right secret")
            return web.Response(status=403, text="forbidden")
        try:
            update = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="bad request")
        if not isinstance(update, dict):
            return web.Response(status=400, text="bad request")
        await feed(update)
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def start_webhook_server(
    host: str, port: int, path: str, secret: str, feed: Feed
) -> web.AppRunner:
    runner = web.AppRunner(webhook_app(path, secret, feed), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening for Telegram on %s:%d%s", host, port, path)
    return runner
