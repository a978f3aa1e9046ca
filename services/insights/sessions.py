"""The console's trust zone: a person who logged in with their API key (from LEADRELAY_API_KEYS).
An `ops:read` key sees everything (`ops:write` may also pause reps); a rep's own key (`claim` with
`rep`) sees that rep's leads and claims them. Any other key is refused at login.

The session is a cookie signed with HMAC-SHA256 (LEADRELAY_SESSION_SECRET), HttpOnly and
SameSite=Strict, holding the key's name (never the key), an expiry and a CSRF token that every
console form posts back. A key removed from the environment ends its sessions at the next request."""

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, HTTPException, Request

from shared.secret_compare import same_secret
from shared.settings import ApiKey, BaseServiceSettings

COOKIE = "leadrelay_console"
LOGIN_PATH = "/console/login"


@dataclass(frozen=True)
class ConsoleUser:
    name: str
    rep: str | None
    can_write: bool
    csrf: str

    @property
    def is_ops(self) -> bool:
        return self.rep is None


def role_of(key: ApiKey) -> tuple[str | None, bool] | None:
    """(rep, can_write) for a key that may use the console, None for one that may not."""
    if "ops:read" in key.scopes:
        return None, "ops:write" in key.scopes
    if "claim" in key.scopes and key.rep is not None:
        return key.rep, False
    return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue(secret: str, key_name: str, hours: float, now: float | None = None) -> tuple[str, str]:
    """A signed session for this key: (cookie value, its CSRF token)."""
    csrf = secrets.token_urlsafe(24)
    payload = _b64(orjson.dumps({"k": key_name, "exp": int((now or time.time()) + hours * 3600), "csrf": csrf}))
    return f"{payload}.{_mac(secret, payload)}", csrf


def verify(secret: str, cookie: str | None, now: float | None = None) -> dict[str, Any] | None:
    if not cookie or cookie.count(".") != 1:
        return None
    payload, mac = cookie.split(".")
    if not same_secret(mac, _mac(secret, payload)):
        return None
    try:
        data = orjson.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int) or data["exp"] < (now or time.time()):
        return None
    return data


def _user(request: Request) -> ConsoleUser | None:
    settings: BaseServiceSettings = request.app.state.settings
    secret: str = request.app.state.session_secret
    data = verify(secret, request.cookies.get(COOKIE))
    if data is None:
        return None
    key = next((k for k in settings.api_keys if k.name == data.get("k")), None)
    role = role_of(key) if key is not None else None
    if key is None or role is None:
        return None
    return ConsoleUser(key.name, role[0], role[1], str(data.get("csrf", "")))


async def console_user(request: Request) -> ConsoleUser:
    """Zone: operator or rep, by session cookie. Without a valid session, a page redirects to login."""
    user = _user(request)
    if user is None:
        raise HTTPException(303, "log in first", headers={"Location": LOGIN_PATH})
    return user


async def ops_user(user: Annotated[ConsoleUser, Depends(console_user)]) -> ConsoleUser:
    if not user.is_ops:
        raise HTTPException(403, "this page is for sales ops (an ops:read key)")
    return user


async def ops_writer(user: Annotated[ConsoleUser, Depends(console_user)]) -> ConsoleUser:
    if not (user.is_ops and user.can_write):
        raise HTTPException(403, "this needs an ops:write key")
    return user


def check_csrf(user: ConsoleUser, given: str | None) -> None:
    if not same_secret(given, user.csrf):
        raise HTTPException(403, "the form's csrf token does not match this session; reload the page")


User = Annotated[ConsoleUser, Depends(console_user)]
OpsUser = Annotated[ConsoleUser, Depends(ops_user)]
OpsWriter = Annotated[ConsoleUser, Depends(ops_writer)]
