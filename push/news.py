"""(being built)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from engine.types import Reply
from storage.models import DeliveryKind
from storage.outbox import Addressee, Due

if TYPE_CHECKING:
    from push.compose import Batch


async def _nothing(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    return None  # (being built)


COMPOSERS: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.NEWSLETTER: _nothing,
    DeliveryKind.NEWSLETTER_REPORT: _nothing,
}
