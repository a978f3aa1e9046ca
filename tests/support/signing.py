"""Sign requests the way each vendor does, so tests send exactly what the vendor would. Written from the
vendors' documentation (Standard Webhooks through its official library), never from our own code."""

import base64
import hashlib
import hmac
from datetime import datetime

from standardwebhooks.webhooks import Webhook


def typeform(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"Typeform-Signature": f"sha256={digest}", "Content-Type": "application/json"}


def calendly(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    t = str(int(at.timestamp()))
    v1 = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Calendly-Webhook-Signature": f"t={t},v1={v1}", "Content-Type": "application/json"}


def hubspot(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    stamp = str(int(at.timestamp() * 1000))
    signed = f"POST{url}".encode() + body + stamp.encode()
    digest = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return {"X-HubSpot-Signature-v3": digest, "X-HubSpot-Request-Timestamp": stamp, "Content-Type": "application/json"}


def webflow(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    stamp = str(int(at.timestamp() * 1000))
    digest = hmac.new(secret.encode(), stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"x-webflow-timestamp": stamp, "x-webflow-signature": digest, "Content-Type": "application/json"}


def standard(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    msg_id = "msg_" + hashlib.sha256(body).hexdigest()[:20]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
        "Content-Type": "application/json",
    }


def outreach(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    return {"X-Webhook-Secret": secret, "Content-Type": "application/json"}


def unbounce(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def unsigned_json(secret: str, body: bytes, at: datetime, url: str) -> dict[str, str]:
    """What a Webflow webhook made in the site dashboard sends: no signature headers at all."""
    return {"Content-Type": "application/json"}


def slack(secret: str, body: bytes, at: datetime) -> dict[str, str]:
    """Slack's request signing: v0=hex(HMAC-SHA256("v0:<timestamp>:<body>"))."""
    stamp = str(int(at.timestamp()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def twilio(token: str, url: str, params: dict[str, str]) -> dict[str, str]:
    """Twilio's X-Twilio-Signature: base64(HMAC-SHA1(url + each param name and value, sorted by name))."""
    signed = url + "".join(k + params[k] for k in sorted(params))
    digest = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    return {"X-Twilio-Signature": digest, "Content-Type": "application/x-www-form-urlencoded"}
