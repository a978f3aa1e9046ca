"""The correlation id of the work in hand: an HTTP request's (its `X-Request-ID` when that is a UUID,
else a new one), or the event's being handled. Every log line carries it, and a lead created by a
request takes the request's id as its correlation id, so one id follows a webhook from the access
of capture to the alert in notify."""

import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_uuid() -> uuid.UUID | None:
    value = current.get()
    return uuid.UUID(value) if value is not None else None


def _given(scope: Scope) -> uuid.UUID | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            try:
                return uuid.UUID(value.decode("latin-1"))
            except ValueError:
                return None
    return None


class RequestCorrelation:
    """ASGI middleware: bind the request's correlation id and echo it as `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(_given(scope) or uuid.uuid4())
        token = current.set(request_id)

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_header)
        finally:
            current.reset(token)
