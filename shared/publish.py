"""The one place an event becomes a Kafka record: its topic (from its type, with the deployment's
prefix), the lead id as key (per-lead order), the envelope headers and the serialised body."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.events import EnvelopeBase, kafka_headers, serialize_event
from shared.kafka import topic_name
from shared.settings import BaseServiceSettings


@dataclass(frozen=True)
class Record:
    topic: str
    key: str
    payload: bytes
    headers: list[tuple[str, bytes]]


def record_of(event: EnvelopeBase, settings: BaseServiceSettings) -> Record:
    """The record for `event`, sent now (`Publisher`) or kept in an outbox to be sent later."""
    topic = topic_name(settings, str(getattr(event, "type", "")))
    return Record(topic, str(event.lead_id), serialize_event(event), kafka_headers(event))


class Publisher:
    def __init__(self, producer: AIOKafkaProducer, settings: BaseServiceSettings) -> None:
        self._producer = producer
        self._settings = settings

    async def send(self, event: EnvelopeBase) -> asyncio.Future[Any]:
        """Queue one event; the future resolves when the broker acknowledges it."""
        record = record_of(event, self._settings)
        fut: asyncio.Future[Any] = await self._producer.send(
            record.topic, record.payload, key=record.key.encode(), headers=record.headers
        )
        return fut

    async def publish(self, events: Sequence[EnvelopeBase]) -> None:
        """Send all, in order, and return once the broker acknowledged every one."""
        acks = [await self.send(event) for event in events]
        await asyncio.gather(*acks)
