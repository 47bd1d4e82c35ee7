"""Logging for every `ehrenamt` command: one format, quiet libraries, and no secret in any line.

python-telegram-bot logs the Bot API URL, which holds the token, at DEBUG ("Set Bot API URL:
…/bot<token>"), httpx logs every request URL, and an exception may carry a URL in its message.
A filter on the root handlers replaces every secret in every record, whichever logger wrote it
and at whatever level, before the record is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

from pythonjsonlogger.json import JsonFormatter

REDACTED = "<redacted>"

# The database drivers log statements with their parameters, which hold what people typed; httpx
# logs a line per request (redacted, but one per message sent is noise).
QUIET = ("httpx", "aiosqlite", "asyncpg", "sqlalchemy.engine")


class SecretsFilter(logging.Filter):
    """Replace secrets in a record's message, arguments and traceback with `<redacted>`.

    A Bot API token appears in URLs as `bot<token>`; that becomes `bot<redacted>`.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        spelled = {form for secret in secrets if secret for form in (secret, quote(secret))}
        # Longer first, so a secret that contains another is replaced whole.
        self._secrets = sorted(spelled, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: keep the message alone
            message = f"{record.msg} (arguments dropped: they do not fit the message)"
            record.msg, record.args = message, None
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # The formatter keeps a formatted traceback in exc_text and uses it from then on.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
            # Formatters that would format the exception anew (a JSON one) print the redacted
            # text instead; the standard one prints exc_text either way.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line (time, level, logger, message, and the traceback if any), for
    log collectors."""
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure_logging(
    level: int | str, secrets: Iterable[str], *, json_lines: bool = False
) -> None:
    """Log to stderr at `level` (as JSON lines if asked), keep the chatty libraries quiet, and
    redact `secrets` everywhere."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if json_lines:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(json_formatter())
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    redacting = SecretsFilter(secrets)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretsFilter) for f in handler.filters):
            handler.addFilter(redacting)
