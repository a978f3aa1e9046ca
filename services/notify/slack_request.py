"""What every Slack request to notify needs: the signature check, the Slack member -> rep mapping,
and work done after the answer (Slack wants one within 3 seconds)."""

import asyncio
import logging
import re
from typing import Any

from fastapi import Request
from slack_sdk.signature import SignatureVerifier

from services.notify.slack_client import SlackError
from services.notify.slack_directory import SlackDirectory
from shared.business.loader import BusinessConfig
from shared.business.reps import SLACK_BY_EMAIL, Rep
from shared.http_errors import ApiError

log = logging.getLogger(__name__)
SLACK_ID = re.compile(r"^[A-Z0-9]{2,20}$")


def verify_slack_request(request: Request, body: bytes) -> None:
    """The vendor zone's check, before anything is parsed: 503 without a signing secret, 401 for a
    bad or stale signature."""
    secret = request.app.state.settings.slack_signing_secret
    if secret is None:
        raise ApiError.field(503, "unavailable", "X-Slack-Signature", "Slack signing secret not configured")
    ok = signature_ok(
        secret.get_secret_value(),
        request.headers.get("x-slack-request-timestamp"),
        request.headers.get("x-slack-signature"),
        body,
    )
    if not ok:
        raise ApiError.field(401, "invalid_signature", "X-Slack-Signature", "bad or stale signature")


def signature_ok(secret: str, timestamp: str | None, signature: str | None, body: bytes) -> bool:
    """slack_sdk's check, guarded: it calls int() on the timestamp, decodes the body as UTF-8 and
    compares str digests, each of which raises on hostile input. Slack itself always sends UTF-8."""
    if not timestamp or not signature or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 16):
        return False
    if not signature.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return SignatureVerifier(secret).is_valid(body, timestamp, signature)


async def rep_for_member(request: Request, config: BusinessConfig, member: str) -> Rep | None:
    """The rep a Slack member is: by the id in the config, else (for reps with `slack: by_email`) by
    the member's email from users.info."""
    rep = next((r for r in config.reps if r.slack and r.slack == member), None)
    if rep is not None or not SLACK_ID.match(member):
        return rep
    by_email = [r for r in config.reps if r.slack == SLACK_BY_EMAIL and r.email]
    if not by_email:
        return None
    directory: SlackDirectory = request.app.state.slack_directory
    try:
        email = await directory.email_of(member)
    except SlackError as exc:
        log.warning("cannot look up Slack member %s: %s", member, exc)
        return None
    return next((r for r in by_email if email and r.email and r.email.lower() == email.lower()), None)


def background(request: Request, work: Any) -> None:
    task = asyncio.create_task(work)
    request.app.state.background.add(task)
    task.add_done_callback(request.app.state.background.discard)
