"""An SMTP server stand-in (aiosmtpd) that accepts every message and records it, with a small HTTP
API to read what arrived: GET /_standin/messages.

    python -m standins.smtp --smtp-port 8025 --http-port 8097"""

import argparse
import asyncio
import time
from email import message_from_bytes, policy
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI


class Recorder:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        parts = {part.get_content_type(): part.get_content() for part in parsed.walk() if not part.is_multipart()}
        self.messages.append(
            {
                "received_at": time.time(),
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "subject": str(parsed["Subject"]),
                "message_id": str(parsed["Message-ID"]),
                "headers": {k: str(v) for k, v in parsed.items()},
                "text": parts.get("text/plain", ""),
                "html": parts.get("text/html", ""),
            }
        )
        return "250 Message accepted for delivery"


def create_app(recorder: Recorder) -> FastAPI:
    app = FastAPI(title="SMTP stand-in")

    @app.get("/_standin/messages")
    async def list_messages() -> list[dict[str, Any]]:
        return recorder.messages

    return app


async def serve(host: str, smtp_port: int, http_port: int) -> None:
    recorder = Recorder()
    controller = Controller(recorder, hostname=host, port=smtp_port)
    controller.start()
    try:
        server = uvicorn.Server(uvicorn.Config(create_app(recorder), host=host, port=http_port, log_level="warning"))
        await server.serve()
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="SMTP stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8097)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.smtp_port, args.http_port))


if __name__ == "__main__":
    main()
