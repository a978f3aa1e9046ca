"""Request body caps enforced before the body is read.

A declared Content-Length over the cap is answered 413 at once. A chunked body is counted as it
arrives; once over the cap the request gets 413 and nothing more is read. Paths listed as streaming
(CSV imports) are counted but not buffered, so their handler can read chunk by chunk."""

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class BodyCap:
    prefix: str
    max_bytes: int
    streaming: bool = False


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


def too_large_body(limit: int) -> bytes:
    message = f"the request body is larger than {limit} bytes"
    return orjson.dumps({"error": "too_large", "fields": [{"field": "(body)", "message": message}]})


class BodyLimit:
    def __init__(self, app: ASGIApp, caps: Sequence[BodyCap], default_bytes: int) -> None:
        self.app = app
        self.caps = sorted(caps, key=lambda c: len(c.prefix), reverse=True)
        self.default = BodyCap("", default_bytes)

    def cap_for(self, path: str) -> BodyCap:
        return next((c for c in self.caps if path.startswith(c.prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap.max_bytes):
            await _reply_413(send, cap.max_bytes)
            return
        if cap.streaming:
            await self._streaming(scope, receive, send, cap.max_bytes)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > cap.max_bytes:
                await _reply_413(send, cap.max_bytes)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _streaming(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except BodyTooLarge:
            if not started:
                await _reply_413(send, limit)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reply_413(send: Send, limit: int) -> None:
    body = too_large_body(limit)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
