"""Signed, expiring, single-purpose claim links: `<base>/v1/claims/<token>`. The token names the
assignment, the rep and an expiry, signed with HMAC-SHA256 under a secret notify and route share.
Pure: the clock is an argument."""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import orjson

PURPOSE = "claim"


class InvalidLink(Exception):
    pass


class ExpiredLink(InvalidLink):
    pass


@dataclass(frozen=True)
class ClaimGrant:
    assignment_id: UUID
    rep_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def make_token(secret: str, assignment_id: UUID, rep_id: str, now: datetime, ttl: timedelta) -> str:
    body = _b64(orjson.dumps({"p": PURPOSE, "a": str(assignment_id), "r": rep_id, "exp": int((now + ttl).timestamp())}))
    return f"{body}.{_mac(secret, body)}"


def read_token(secret: str, token: str, now: datetime) -> ClaimGrant:
    body, _, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidLink("this claim link is not valid")
    try:
        claims = orjson.loads(_unb64(body))
        grant = ClaimGrant(UUID(claims["a"]), str(claims["r"]), datetime.fromtimestamp(claims["exp"], now.tzinfo))
        purpose = claims["p"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidLink("this claim link is not valid") from exc
    if purpose != PURPOSE:
        raise InvalidLink("this link is not a claim link")
    if now >= grant.expires_at:
        raise ExpiredLink("this claim link has expired")
    return grant


DIGEST_PURPOSE = "digest"


def make_digest_token(secret: str, digest_id: int, rep_id: str, now: datetime, ttl: timedelta) -> str:
    """A link to an escalation digest's page (every lead in it, each with its own claim link)."""
    body = _b64(orjson.dumps({"p": DIGEST_PURPOSE, "d": digest_id, "r": rep_id, "exp": int((now + ttl).timestamp())}))
    return f"{body}.{_mac(secret, body)}"


def read_digest_token(secret: str, token: str, now: datetime) -> int:
    """The digest id a digest link names; InvalidLink / ExpiredLink otherwise."""
    body, _, mac = token.partition(".")
    if not body or not mac or len(token) > 512 or not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidLink("this digest link is not valid")
    try:
        claims = orjson.loads(_unb64(body))
        purpose, digest_id, expires = claims["p"], int(claims["d"]), datetime.fromtimestamp(claims["exp"], now.tzinfo)
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise InvalidLink("this digest link is not valid") from exc
    if purpose != DIGEST_PURPOSE:
        raise InvalidLink("this link is not a digest link")
    if now >= expires:
        raise ExpiredLink("this digest link has expired")
    return digest_id


RECORD_PURPOSE = "record"


def make_record_token(secret: str, assignment_id: UUID, channel: str, now: datetime, ttl: timedelta) -> str:
    """A link to the CRM record an assignment's write-back made (notify redirects to it)."""
    claims = {"p": RECORD_PURPOSE, "a": str(assignment_id), "c": channel, "exp": int((now + ttl).timestamp())}
    body = _b64(orjson.dumps(claims))
    return f"{body}.{_mac(secret, body)}"


def read_record_token(secret: str, token: str, now: datetime) -> tuple[UUID, str]:
    body, _, mac = token.partition(".")
    if not body or not mac or len(token) > 512 or not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidLink("this record link is not valid")
    try:
        claims = orjson.loads(_unb64(body))
        purpose, found = claims["p"], (UUID(claims["a"]), str(claims["c"]))
        expires = datetime.fromtimestamp(claims["exp"], now.tzinfo)
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise InvalidLink("this record link is not valid") from exc
    if purpose != RECORD_PURPOSE:
        raise InvalidLink("this link is not a record link")
    if now >= expires:
        raise ExpiredLink("this record link has expired")
    return found
