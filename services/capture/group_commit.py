"""Group commit for `POST /v1/events`: concurrent single-event requests are accepted together, as one
set-based batch in one transaction (the batch endpoint's `accept_activities`), and each request is
answered with its own result after that transaction commits. Natural batching: while up to
`max_in_flight` batches are being written, new requests wait and form the next batch; a request
arriving when nothing is in flight is written at once, so a quiet system adds no latency."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from services.capture.activity_batch import Item, accept_activities
from services.capture.config import CaptureSettings
from services.capture.service import Accepted
from shared import metrics
from shared.db import Database


def _future() -> "asyncio.Future[Accepted | None]":
    return asyncio.get_running_loop().create_future()


@dataclass
class _Waiting:
    item: Item
    answer: "asyncio.Future[Accepted | None]" = field(default_factory=_future)


class EventGroupCommit:
    def __init__(self, db: Database, settings: CaptureSettings, max_batch: int = 500, max_in_flight: int = 4) -> None:
        self._db, self._settings = db, settings
        self._max_batch, self._max_in_flight = max_batch, max_in_flight
        self._waiting: dict[str, list[_Waiting]] = defaultdict(list)
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, namespace: str, item: Item) -> Accepted | None:
        """The item's answer once its batch committed (None: its lead id is unknown)."""
        waiting = _Waiting(item)
        self._waiting[namespace].append(waiting)
        self._start()
        return await waiting.answer

    def _start(self) -> None:
        while self._in_flight < self._max_in_flight and self._waiting:
            namespace = next(iter(self._waiting))
            queue = self._waiting[namespace]
            batch, rest = queue[: self._max_batch], queue[self._max_batch :]
            if rest:
                self._waiting[namespace] = rest
            else:
                del self._waiting[namespace]
            self._in_flight += 1
            task = asyncio.create_task(self._write(namespace, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self, namespace: str, batch: list[_Waiting]) -> None:
        metrics.EVENT_GROUP_SIZE.observe(len(batch))
        try:
            answers = await accept_activities(self._db, self._settings, namespace, [w.item for w in batch])
        except Exception as exc:
            for w in batch:
                if not w.answer.done():
                    w.answer.set_exception(exc)
        else:
            for w, answer in zip(batch, answers, strict=True):
                if not w.answer.done():
                    w.answer.set_result(answer)
        finally:
            self._in_flight -= 1
            self._start()
