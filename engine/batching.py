"""Handling work in groups: what arrives while a group is being handled waits for the next group.

SQLite has one writer, and each transaction costs more than the few rows a chat message changes.
Messages of different people that arrive together therefore share one transaction (a "group
commit"): their replies go out only after that transaction committed, so nothing is acknowledged
that was not stored. A quiet bot handles each message alone, as before; a busy one handles many
per transaction.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batches(Generic[Item, Result]):
    """Runs `handle` on groups of submitted items; `submit` returns the item's own result.

    At most `parallel` groups run at a time, each of at most `max_size` items, in arrival order.
    If a group fails, its items are handled again one by one, so one bad item fails only itself.
    `handle` must return one result per item, in order, and must leave nothing behind when it
    raises (it runs in a transaction that rolls back).
    """

    def __init__(
        self,
        handle: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        max_size: int = 50,
        parallel: int = 1,
    ) -> None:
        if max_size < 1 or parallel < 1:
            raise ValueError("max_size and parallel must be at least 1")
        self._handle = handle
        self.max_size = max_size
        self.parallel = parallel
        self._waiting: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._working = 0  # groups being handled now
        self._workers: set[asyncio.Task[None]] = set()  # held, so they are not collected

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._working < self.parallel:
            self._working += 1
            worker = asyncio.create_task(self._work())
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        return await future

    async def _work(self) -> None:
        try:
            while self._waiting:
                group: list[tuple[Item, asyncio.Future[Result]]] = []
                while self._waiting and len(group) < self.max_size:
                    entry = self._waiting.popleft()
                    if not entry[1].done():  # its caller stopped waiting (cancelled)
                        group.append(entry)
                if group:
                    await self._run(group)
        finally:
            # In the same step as the last look at the queue: an item submitted from now on
            # starts a new worker.
            self._working -= 1

    async def _run(self, group: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._handle([item for item, _future in group])
        except Exception as error:
            if len(group) > 1:
                for entry in group:
                    await self._run([entry])
                return
            _settle(group[0][1], error=error)
            return
        except BaseException:
            for _item, future in group:
                future.cancel()
            raise
        for (_item, future), result in zip(group, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Result], *, result: Result | None = None, error: Exception | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
