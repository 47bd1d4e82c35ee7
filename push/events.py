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
    DeliveryKind.EVENT_NEW: _nothing,
    DeliveryKind.EVENT_CALENDAR: _nothing,
    DeliveryKind.EVENT_REMINDER: _nothing,
    DeliveryKind.EVENT_MOVED_UP: _nothing,
    DeliveryKind.EVENT_CANCELLED: _nothing,
    DeliveryKind.EVENT_POST: _nothing,
    DeliveryKind.SUPPORT_OFFER: _nothing,
}
