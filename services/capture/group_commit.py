"""Group commit: concurrent intake requests are written together, as one set-based batch in one
transaction, and each request is answered with its own result after that transaction commits.
Natural batching: while up to `max_in_flight` batches are being written, new requests wait and form
the next batch; a request arriving when nothing is in flight is written at once, so a quiet system
adds no latency. Used by `POST /v1/events` (`accept_activities`) and by every lead intake route
(`accept_leads`)."""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from prometheus_client import Histogram

I = TypeVar("I")  # noqa: E741 - an item, as in the typing docs
A = TypeVar("A")

Writer = Callable[[str, list[I]], Awaitable[Sequence[A | BaseException]]]
"""Writes one batch for a group key; per item, its answer or the exception that item alone raised."""


@dataclass
class _Waiting(Generic[I, A]):
    item: I
    answer: "asyncio.Future[A]" = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit(Generic[I, A]):
    def __init__(self, write: Writer[I, A], sizes: Histogram, max_batch: int = 500, max_in_flight: int = 4) -> None:
        self._write_batch, self._sizes = write, sizes
        self._max_batch, self._max_in_flight = max_batch, max_in_flight
        self._waiting: dict[str, list[_Waiting[I, A]]] = defaultdict(list)
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, group: str, item: I) -> A:
        """The item's answer once its batch committed; raises what writing it raised."""
        waiting: _Waiting[I, A] = _Waiting(item)
        self._waiting[group].append(waiting)
        self._start()
        return await waiting.answer

    def _start(self) -> None:
        while self._in_flight < self._max_in_flight and self._waiting:
            group = next(iter(self._waiting))
            queue = self._waiting[group]
            batch, rest = queue[: self._max_batch], queue[self._max_batch :]
            if rest:
                self._waiting[group] = rest
            else:
                del self._waiting[group]
            self._in_flight += 1
            task = asyncio.create_task(self._write(group, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self, group: str, batch: list[_Waiting[I, A]]) -> None:
        self._sizes.observe(len(batch))
        try:
            answers = await self._write_batch(group, [w.item for w in batch])
        except Exception as exc:
            for w in batch:
                if not w.answer.done():
                    w.answer.set_exception(exc)
        else:
            for w, answer in zip(batch, answers, strict=True):
                if w.answer.done():
                    continue
                if isinstance(answer, BaseException):
                    w.answer.set_exception(answer)
                else:
                    w.answer.set_result(answer)
        finally:
            self._in_flight -= 1
            self._start()
