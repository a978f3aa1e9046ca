"""notify's vendor doors under attack: Slack interactions and Twilio status callbacks, forged, stale,
signed with another vendor's secret, with non-ASCII signatures and non-UTF-8 bodies, and replayed.
Every answer is a 4xx or the idempotent 2xx; nothing is a 5xx. (Twilio callbacks carry no
timestamp, so "stale" applies to Slack only; a replayed Twilio callback changes nothing.)"""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import asyncpg
import httpx
import orjson

from tests.support import signing
from tests.support.pipeline import SLACK_SIGNING_SECRET, TWILIO_TOKEN, Pipeline
from tests.support.stack import Stack


def click_body(value: str) -> bytes:
    payload = {"type": "block_actions", "user": {"id": "U01ALICE"}, "actions": [{"action_id": "claim", "value": value}]}
    return urlencode({"payload": orjson.dumps(payload).decode()}).encode()


async def test_slack_interactions_refuse_everything_but_a_fresh_slack_signature(pipeline: Pipeline) -> None:
    url = f"{pipeline.notify}/v1/slack/interactions"
    body = click_body(f"{uuid.uuid4()}|alice")
    now = datetime.now(UTC)
    async with httpx.AsyncClient() as http:
        forged = await http.post(url, content=body, headers=signing.slack("not-the-secret-0123", body, now))
        stale = await http.post(
            url, content=body, headers=signing.slack(SLACK_SIGNING_SECRET, body, now - timedelta(minutes=10))
        )
        other_vendor = await http.post(url, content=body, headers=signing.slack(TWILIO_TOKEN, body, now))
        non_ascii = await http.post(
            url,
            content=body,
            headers=[
                (b"x-slack-request-timestamp", str(int(now.timestamp())).encode()),
                (b"x-slack-signature", "v0=\u00e9\u00ff".encode("latin-1")),
            ],
        )
        odd_stamp = await http.post(
            url, content=body, headers=[(b"x-slack-request-timestamp", "\u00b2".encode("latin-1"))]
        )
        not_utf8 = b"payload=\xff\xfe"
        garbled = await http.post(url, content=not_utf8, headers=signing.slack(SLACK_SIGNING_SECRET, not_utf8, now))
        traversal = click_body("../reps/alice/pause|alice")
        tampered = await http.post(url, content=traversal, headers=signing.slack(SLACK_SIGNING_SECRET, traversal, now))
        unknown = await http.post(url, content=body, headers=signing.slack(SLACK_SIGNING_SECRET, body, now))
        replayed = await http.post(url, content=body, headers=signing.slack(SLACK_SIGNING_SECRET, body, now))
    for refused in (forged, stale, other_vendor, non_ascii, odd_stamp, garbled):
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "invalid_signature"
    assert tampered.status_code == 422 and tampered.json()["fields"][0]["field"] == "actions.value"
    assert unknown.status_code == 200 and unknown.json()["claim"]["error"] == "not_found"
    assert replayed.json() == unknown.json(), "a replayed click is answered the same and changes nothing"


async def test_twilio_status_callbacks_refuse_forged_other_vendor_and_garbled(pipeline: Pipeline, stack: Stack) -> None:
    url = f"{pipeline.notify}/v1/twilio/status"
    signed_url = url  # the status callback URL notify gave Twilio
    sid = f"SM{uuid.uuid4().hex}"
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC1"}
    async with httpx.AsyncClient() as http:
        forged = await http.post(url, data=params, headers=signing.twilio("not-the-token-0123", signed_url, params))
        other_vendor = await http.post(
            url, data=params, headers=signing.twilio(SLACK_SIGNING_SECRET, signed_url, params)
        )
        non_ascii = await http.post(
            url,
            content=urlencode(params).encode(),
            headers=[
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"x-twilio-signature", "\u00e9\u00ff==".encode("latin-1")),
            ],
        )
        garbled = await http.post(
            url,
            content=b"MessageSid=\xff\xfe&MessageStatus=sent",
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
        )
        first = await http.post(url, data=params, headers=signing.twilio(TWILIO_TOKEN, signed_url, params))
        replayed = await http.post(url, data=params, headers=signing.twilio(TWILIO_TOKEN, signed_url, params))
    assert forged.status_code == 401 and other_vendor.status_code == 401 and non_ascii.status_code == 401
    assert garbled.status_code == 422 and garbled.json()["fields"][0]["field"] == "(body)"
    assert first.status_code == 200 and replayed.status_code == 200
    conn = await asyncpg.connect(stack.dsn)
    try:
        rows = await conn.fetchval("SELECT count(*) FROM notify.provider_statuses WHERE external_id = $1", sid)
    finally:
        await conn.close()
    assert rows == 1, "the replayed callback recorded nothing new"
