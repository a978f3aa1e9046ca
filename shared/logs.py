"""JSON logs, one object per line, carrying the correlation id and lead id of the event being handled."""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

from shared.correlation import current as _correlation_id
from shared.events import EnvelopeBase

_lead_id: ContextVar[str | None] = ContextVar("lead_id", default=None)


@contextmanager
def bind_event(event: EnvelopeBase) -> Iterator[None]:
    c = _correlation_id.set(str(event.correlation_id))
    lead = _lead_id.set(str(event.lead_id))
    try:
        yield
    finally:
        _correlation_id.reset(c)
        _lead_id.reset(lead)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (cid := _correlation_id.get()) is not None:
            entry["correlation_id"] = cid
        if (lead := _lead_id.get()) is not None:
            entry["lead_id"] = lead
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(service: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for chatty in ("httpx", "httpcore"):  # they log whole URLs, which can carry tokens
        logging.getLogger(chatty).setLevel(logging.WARNING)
