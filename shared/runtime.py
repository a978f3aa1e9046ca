"""The stage runtime: consume -> validate -> handle -> produce -> await acks -> commit, for every stage.

Delivery is at-least-once: offsets are committed only after every output of the batch is acknowledged
by the broker, so a crash anywhere before the commit means the batch is processed again. Handlers make
their side effects idempotent and `follow_event` makes their outputs carry the same event_id again.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError
from pydantic import ValidationError

from shared import metrics, tracing
from shared.backoff import Backoff
from shared.errors import is_transient
from shared.events import EnvelopeBase, Event, parse_event
from shared.kafka import make_consumer, topic_name
from shared.logs import bind_event
from shared.publish import Publisher
from shared.settings import BaseServiceSettings
from shared.topics import Topic, dlq

log = logging.getLogger(__name__)
D = TypeVar("D")
Offsets = dict[TopicPartition, int]


class Stopping(Exception):
    """Raised inside a batch when shutdown interrupts an open-ended wait; the batch is not committed."""


@dataclass(frozen=True)
class Stage(Generic[D]):
    """A stage: its name (also its consumer group), the topics it reads and its handler."""

    name: str
    inputs: Sequence[Topic]
    handle: Callable[[Event, D], Awaitable[Sequence[EnvelopeBase]]]
    batch_transaction: Callable[[D], AbstractAsyncContextManager[object]] | None = None
    """When given, a partition's batch is handled in this one transaction (outputs are sent after it
    commits); if anything in it fails, the batch is rolled back and handled one message at a time.
    Only for handlers whose side effects are all in the database."""
    handle_batch: Callable[[Sequence[Event], D], Awaitable[Sequence[Sequence[EnvelopeBase]]]] | None = None
    """When given, a partition's batch goes to this handler at once (outputs per event, in order). If
    it raises, the batch is handled one message at a time by `handle`, so its effects must be
    idempotent per event, as `handle`'s are."""
    wants_any: Callable[[D], Awaitable[bool]] | None = None
    """When given and it answers False, nothing this poll returned can matter to the stage (outbound
    with no subscription): the records are committed unread, without parsing a byte of them."""
    fetch_wait_ms: int = 0
    """Above 0, a stage off the lead's critical path (insights, outbound) lets the broker hold each
    fetch until 64 KiB are ready or this many ms passed: fewer, fuller fetches under load, for at
    most this much delay at low rate. 0: every record is fetched as soon as it is written."""


def _fetch_options(wait_ms: int) -> dict[str, int]:
    return {"fetch_min_bytes": 64 * 1024, "fetch_max_wait_ms": wait_ms} if wait_ms > 0 else {}


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move to another instance, let the batch in flight finish and commit."""

    def __init__(self, runner: "StageRunner[Any]") -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._runner.drain()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("%s assigned %d partitions", self._runner.stage.name, len(assigned))


class StageRunner(Generic[D]):
    def __init__(
        self,
        stage: Stage[D],
        deps: D,
        settings: BaseServiceSettings,
        producer: AIOKafkaProducer,
        *,
        before_commit: Callable[[Offsets], Awaitable[None]] | None = None,
    ) -> None:
        self.stage = stage
        self._deps = deps
        self._settings = settings
        self._producer = producer
        self._publisher = Publisher(producer, settings)
        self._before_commit = before_commit
        self._stopping = asyncio.Event()
        self._in_flight = asyncio.Lock()
        self._consumer: AIOKafkaConsumer | None = None
        self._topics = {topic_name(settings, t.value): t for t in stage.inputs}

    @property
    def assignment(self) -> set[TopicPartition]:
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {"partitions_assigned": bool(self.assignment)}

    async def drain(self) -> None:
        try:
            async with asyncio.timeout(30):
                async with self._in_flight:
                    pass
        except TimeoutError:
            log.warning("%s: batch still in flight at rebalance; it will be reprocessed", self.stage.name)

    async def run(self) -> None:
        consumer = make_consumer(
            self._settings,
            group_id=topic_name(self._settings, self.stage.name),
            client_id=self.stage.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=300_000,
            **_fetch_options(self.stage.fetch_wait_ms),
        )
        consumer.subscribe(list(self._topics), listener=_CommitOnRevoke(self))
        if not await self._start(consumer):
            return
        self._consumer = consumer
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=250, max_records=self._settings.max_batch)
                if batches:
                    async with self._in_flight:
                        await self._process_and_commit(consumer, batches)
        finally:
            self._consumer = None
            await consumer.stop()
            log.info("%s consumer stopped", self.stage.name)

    async def _start(self, consumer: AIOKafkaConsumer) -> bool:
        backoff = Backoff("kafka_start")
        while not self._stopping.is_set():
            try:
                await consumer.start()
                return True
            except Exception as exc:
                log.warning("%s consumer cannot start yet (%s)", self.stage.name, exc)
                await backoff.wait(self._stopping)
        return False

    async def _process_and_commit(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        if not await self._wants_any():
            for tp, records in batches.items():
                metrics.MESSAGES.labels(self.stage.name, self._topics[tp.topic].value, "unwanted").inc(len(records))
            await self._commit(consumer, batches)
            return
        try:
            results = await asyncio.gather(*(self._process_group(g) for g in self._groups(batches)))
        except Stopping:
            log.info("%s stopping mid-batch; uncommitted records will be redelivered", self.stage.name)
            return
        acks = [ack for partition_acks in results for ack in partition_acks]
        await asyncio.gather(*acks)
        await self._commit(consumer, batches)

    async def _wants_any(self) -> bool:
        """The stage's own answer; when it cannot answer (its database is down), the batch is handled
        as usual, with the usual retries."""
        if self.stage.wants_any is None:
            return True
        try:
            return await self.stage.wants_any(self._deps)
        except Exception as exc:
            log.warning("%s cannot tell whether it wants this batch (%r); handling it", self.stage.name, exc)
            return True

    async def _commit(self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        if self._before_commit is not None:
            await self._before_commit(offsets)
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("%s commit failed after rebalance (%s); batch will be redelivered", self.stage.name, exc)

    def _batchable(self) -> bool:
        return self.stage.batch_transaction is not None or self.stage.handle_batch is not None

    def _groups(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> list[list[ConsumerRecord]]:
        """A batch-capable stage handles everything one poll returned as one batch (one transaction,
        one acquisition of its locks, instead of one per partition contending for the same rows);
        each partition's records keep their order in it, so per-lead order holds. A stage without a
        batch path handles its partitions side by side."""
        if self._batchable():
            return [[r for records in batches.values() for r in records]]
        return list(batches.values())

    async def _process_group(self, records: list[ConsumerRecord]) -> list[asyncio.Future[Any]]:
        if self._batchable() and len(records) > 1:
            batched = await self._process_as_batch(records)
            if batched is not None:
                return batched
        acks: list[asyncio.Future[Any]] = []
        for record in records:
            acks.extend(await self._process_record(record))
        return acks

    def _parse_all(self, records: list[ConsumerRecord]) -> list[tuple[Topic, Event]]:
        parsed = []
        for record in records:
            source = self._topics[record.topic]
            event = parse_event(record.value)
            if event.type != source.value:
                raise ValueError(f"event type {event.type!r} does not belong on topic {source.value!r}")
            parsed.append((source, event))
        return parsed

    async def _handle_all(self, parsed: list[tuple[Topic, Event]]) -> list[Sequence[EnvelopeBase]]:
        if self.stage.handle_batch is not None:
            outputs = list(await self.stage.handle_batch([e for _, e in parsed], self._deps))
            if len(outputs) != len(parsed):
                raise RuntimeError(f"handle_batch returned {len(outputs)} results for {len(parsed)} events")
            return outputs
        assert self.stage.batch_transaction is not None
        handled: list[Sequence[EnvelopeBase]] = []
        async with self.stage.batch_transaction(self._deps):
            for _, event in parsed:
                with bind_event(event):
                    handled.append(await self.stage.handle(event, self._deps))
        return handled

    async def _process_as_batch(self, records: list[ConsumerRecord]) -> list[asyncio.Future[Any]] | None:
        """The whole batch at once (one transaction, or the stage's batch handler), outputs sent
        afterwards; None if any message fails (invalid, handler error, commit error): the caller then
        handles the batch one message at a time with the usual retries and dead letters."""
        started = time.perf_counter()
        spans = [tracing.consumer_span(self.stage.name, r.topic, r.headers) for r in records]
        try:
            parsed = self._parse_all(records)
            by_event = {event.event_id: span for (_, event), span in zip(parsed, spans, strict=True)}
            with tracing.batch_span(self.stage.name, spans), tracing.event_spans(by_event):
                outputs = await self._handle_all(parsed)
            handled = [(source, out) for (source, _), out in zip(parsed, outputs, strict=True)]
        except Exception as exc:
            for span in spans:
                span.end()
            log.warning("%s: batch of %d failed as a whole (%r); one by one", self.stage.name, len(records), exc)
            metrics.RETRIES.labels(self.stage.name, "batch_fallback").inc()
            return None
        acks: list[asyncio.Future[Any]] = []
        for (source, produced), span in zip(handled, spans, strict=True):
            with span.activate():
                acks.extend([await self._send(out) for out in produced])
            metrics.MESSAGES.labels(self.stage.name, source.value, "ok").inc()
        per_message = (time.perf_counter() - started) / len(records)
        for _ in records:
            metrics.HANDLE_SECONDS.labels(self.stage.name).observe(per_message)
        return acks

    async def _process_record(self, record: ConsumerRecord) -> list[asyncio.Future[Any]]:
        source = self._topics[record.topic]
        started = time.perf_counter()
        try:
            event = parse_event(record.value)
            if event.type != source.value:
                raise ValueError(f"event type {event.type!r} does not belong on topic {source.value!r}")
        except (ValueError, ValidationError) as exc:
            metrics.MESSAGES.labels(self.stage.name, source.value, "invalid").inc()
            return [await self._dead_letter(record, source, exc, attempts=0)]
        span = tracing.consumer_span(self.stage.name, record.topic, record.headers)
        with bind_event(event), span.activate(), tracing.event_spans({event.event_id: span}):
            outputs, failure, attempts = await self._handle_with_retries(event)
            if failure is not None:
                log.error(
                    "%s dead-lettering %s after %d attempts: %s",
                    self.stage.name,
                    event.event_id,
                    attempts,
                    failure,
                )
                metrics.MESSAGES.labels(self.stage.name, source.value, "dead_lettered").inc()
                return [await self._dead_letter(record, source, failure, attempts)]
            acks = [await self._send(out) for out in outputs]
        metrics.MESSAGES.labels(self.stage.name, source.value, "ok").inc()
        metrics.HANDLE_SECONDS.labels(self.stage.name).observe(time.perf_counter() - started)
        return acks

    async def _handle_with_retries(self, event: Event) -> tuple[Sequence[EnvelopeBase], Exception | None, int]:
        """Bounded retries for the message's own failures; open-ended waits for infrastructure outages."""
        attempts = 0
        backoff = Backoff(f"{self.stage.name}_handler", initial=self._settings.retry_backoff_ms / 1000, cap=10.0)
        while True:
            attempts += 1
            try:
                return await self.stage.handle(event, self._deps), None, attempts
            except Exception as exc:
                transient = is_transient(exc)
                if not transient and attempts >= self._settings.handler_max_attempts:
                    return [], exc, attempts
                log.warning(
                    "%s handler failed (attempt %d, transient=%s): %r; retrying",
                    self.stage.name,
                    attempts,
                    transient,
                    exc,
                )
                metrics.RETRIES.labels(self.stage.name, "transient" if transient else "error").inc()
                await backoff.wait(self._stopping)
                if self._stopping.is_set():
                    raise Stopping from exc

    async def _send(self, event: EnvelopeBase) -> asyncio.Future[Any]:
        return await self._publisher.send(event)

    async def _dead_letter(
        self, record: ConsumerRecord, source: Topic, error: Exception, attempts: int
    ) -> asyncio.Future[Any]:
        headers = [
            *list(record.headers or ()),
            ("dlq.stage", self.stage.name.encode()),
            ("dlq.error_class", type(error).__name__.encode()),
            ("dlq.error", str(error)[:2000].encode()),
            ("dlq.source_topic", record.topic.encode()),
            ("dlq.source_partition", str(record.partition).encode()),
            ("dlq.source_offset", str(record.offset).encode()),
            ("dlq.attempts", str(attempts).encode()),
        ]
        metrics.DEAD_LETTERS.labels(self.stage.name, source.value).inc()
        fut: asyncio.Future[Any] = await self._producer.send(
            topic_name(self._settings, dlq(source.value)), record.value, key=record.key, headers=headers
        )
        return fut
