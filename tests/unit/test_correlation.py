"""An HTTP request's correlation id (its X-Request-ID when a UUID, else a new one) is on every log line
written while it is handled, and echoed in the response."""

import logging

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.correlation import RequestCorrelation
from shared.logs import JsonFormatter


def test_every_log_line_of_a_request_carries_its_correlation_id() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(JsonFormatter("test").format(record))

    app = FastAPI()
    app.add_middleware(RequestCorrelation)
    log = logging.getLogger("test.correlation")
    log.addHandler(Keep())
    log.setLevel(logging.INFO)

    @app.get("/work")
    async def work() -> dict[str, str]:
        log.info("doing the work")
        return {}

    request_id = "8e2b3c1e-0f5d-4c8e-9a7b-2d1f0e6c5b4a"
    answer = TestClient(app).get("/work", headers={"X-Request-ID": request_id})
    assert answer.headers["x-request-id"] == request_id
    assert records and all(f'"correlation_id":"{request_id}"' in r for r in records)
    TestClient(app).get("/work", headers={"X-Request-ID": "not-a-uuid"})
    assert '"correlation_id":"not-a-uuid"' not in records[-1], "only a UUID is taken from outside"
