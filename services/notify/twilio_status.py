"""Twilio delivery status callbacks (queued, sent, delivered, undelivered, failed), verified with
X-Twilio-Signature against the callback URL we gave Twilio, stored beside our own delivery status."""

import hmac
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.notify import repository
from services.notify.channels.twilio import twilio_signature
from services.notify.config import NotifySettings
from shared.http_errors import invalid
from shared.service import Runtime

router = APIRouter()


@router.post("/v1/twilio/status")
async def twilio_status(request: Request) -> Response:
    settings: NotifySettings = request.app.state.settings
    rt: Runtime = request.app.state.runtime
    if settings.twilio_auth_token is None or settings.twilio_status_callback_url is None:
        return invalid([{"field": "X-Twilio-Signature", "message": "Twilio is not configured"}], "unavailable", 503)
    params = dict(parse_qsl((await request.body()).decode()))
    expected = twilio_signature(
        settings.twilio_auth_token.get_secret_value(), settings.twilio_status_callback_url, params
    )
    if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
        return invalid(
            [{"field": "X-Twilio-Signature", "message": "signature does not match"}], "invalid_signature", 401
        )
    sid, status = params.get("MessageSid"), params.get("MessageStatus")
    if not sid or not status:
        return invalid([{"field": "MessageSid", "message": "MessageSid and MessageStatus are required"}])
    async with rt.db.session_scope() as session:
        known = await repository.record_provider_status(session, "sms", sid, status)
    return JSONResponse({"ok": True, "known": known})
