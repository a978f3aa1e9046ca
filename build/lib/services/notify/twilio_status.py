"""Twilio delivery status callbacks (queued, sent, delivered, undelivered, failed), verified with
X-Twilio-Signature against the callback URL we gave Twilio (the vendor zone), stored beside our own
delivery status."""

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.notify import repository
from services.notify.channels.twilio import twilio_signature
from services.notify.config import NotifySettings
from shared.http_errors import ApiError
from shared.json_body import form_values
from shared.secret_compare import same_secret
from shared.service import Runtime
from shared.zones import Vendor

router = APIRouter()


def callback_params(body: bytes) -> dict[str, str]:
    try:
        return form_values(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError.field(422, "invalid_request", "(body)", "not UTF-8 form data") from exc


@router.post("/v1/twilio/status", dependencies=[Vendor])
async def twilio_status(request: Request) -> Response:
    settings: NotifySettings = request.app.state.settings
    rt: Runtime = request.app.state.runtime
    if settings.twilio_auth_token is None or settings.twilio_status_callback_url is None:
        raise ApiError.field(503, "unavailable", "X-Twilio-Signature", "Twilio is not configured")
    params = callback_params(await request.body())
    expected = twilio_signature(
        settings.twilio_auth_token.get_secret_value(), settings.twilio_status_callback_url, params
    )
    if not same_secret(request.headers.get("x-twilio-signature"), expected):
        raise ApiError.field(401, "invalid_signature", "X-Twilio-Signature", "signature does not match")
    sid, status = params.get("MessageSid"), params.get("MessageStatus")
    if not sid or not status or len(sid) > 64 or len(status) > 32:
        raise ApiError.field(422, "invalid_request", "MessageSid", "MessageSid and MessageStatus are required")
    async with rt.db.session_scope() as session:
        known = await repository.record_provider_status(session, "sms", sid, status)
    return JSONResponse({"ok": True, "known": known})
