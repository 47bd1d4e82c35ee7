"""A local stand-in of the Telegram Bot API for end-to-end tests and benchmarks."""

from tests.standin.botapi import (
    ApiError,
    BotApiStandin,
    BotMessage,
    ChatRecord,
    SentDocument,
    StandinUser,
    UploadedFile,
)

__all__ = [
    "ApiError",
    "BotApiStandin",
    "BotMessage",
    "ChatRecord",
    "SentDocument",
    "StandinUser",
    "UploadedFile",
]
