"""An SMTP server stand-in (aiosmtpd) that records every message it accepts, with a small HTTP API to
read what arrived: GET /_standin/messages. Given a certificate it behaves like a submission relay
(SendGrid, SES, Postmark, Google Workspace on 587): STARTTLS is required before anything else
("530 Must issue a STARTTLS command first"), and with a username, AUTH too (only over TLS).

    python -m standins.smtp --smtp-port 8025 --http-port 8097 [--tls-cert C --tls-key K [--username U --password P]]"""

import argparse
import asyncio
import ssl
import time
from email import message_from_bytes, policy
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
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
                "tls": session.ssl is not None,
                "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
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


def authenticator(username: str, password: str) -> Any:
    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == username and data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    return check


async def serve(
    host: str, smtp_port: int, http_port: int, tls: tuple[str, str] | None = None, auth: tuple[str, str] | None = None
) -> None:
    recorder = Recorder()
    options: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options.update(tls_context=context, require_starttls=True)
    if auth is not None:
        options.update(authenticator=authenticator(*auth), auth_required=True, auth_require_tls=True)
    controller = Controller(recorder, hostname=host, port=smtp_port, server_kwargs=options)
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
    parser.add_argument("--tls-cert", help="offer STARTTLS with this certificate, and require it")
    parser.add_argument("--tls-key")
    parser.add_argument("--username", help="require AUTH (over TLS) with this login")
    parser.add_argument("--password")
    args = parser.parse_args()
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    auth = (args.username, args.password) if args.username else None
    asyncio.run(serve(args.host, args.smtp_port, args.http_port, tls, auth))


if __name__ == "__main__":
    main()
