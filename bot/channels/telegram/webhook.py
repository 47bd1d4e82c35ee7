"""The webhook endpoint, the same for both frameworks: checks Telegram's secret header, then hands
the update to the framework and answers once its step is stored.

Telegram sends an update again when the answer is slow or not a success; the core handles each
update id once, so a replay changes nothing. An update that cannot be read is answered 200 all
the same (and counted): sent again, it would fail again.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.channels.telegram.health import HEALTH_PATH, Vitals, add_health_routes
from bot.channels.telegram.polling import BadUpdate, Counts, check

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Feed = Callable[[dict[str, Any]], Awaitable[None]]


def webhook_app(
    path: str, secret: str, feed: Feed, counts: Counts, vitals: Vitals | None = None
) -> web.Application:
    """An aiohttp app that accepts updates at `path` and answers health checks (with `vitals`,
    readiness and metrics too)."""

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
        try:
            check(update)
            await feed(update)
            counts.handled += 1
        except BadUpdate as error:
            counts.skip(update.get("update_id"), error)
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    if vitals is not None:
        add_health_routes(app, vitals)
    else:
        app.router.add_get(HEALTH_PATH, health)
    return app


async def start_webhook_server(
    host: str, port: int, path: str, secret: str, feed: Feed, counts: Counts, vitals: Vitals
) -> web.AppRunner:
    runner = web.AppRunner(webhook_app(path, secret, feed, counts, vitals), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening for Telegram on %s:%d%s", host, port, path)
    return runner
