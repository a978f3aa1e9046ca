"""HubSpot's CRM v3 API as leadrelay uses it (notify's owner write-back, outbound's nurture lists):
contacts found by email with search, created (a second contact with the same email is refused
with 409 naming the existing one), updated, and added to or removed from a list. A private app
token authenticates. 429 waits as HubSpot says (Retry-After, else its rate-limit interval), 5xx and
connection errors back off; `HubSpotError` when it refuses or every attempt failed."""

from typing import Any

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.backoff import Backoff, retry_after_seconds


class HubSpotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADRELAY_HUBSPOT_", env_ignore_empty=True, extra="ignore")
    token: SecretStr | None = None
    """A private app token (pat-...) with the CRM contacts and lists scopes."""
    api_url: str = "https://api.hubapi.com"
    max_attempts: int = 5


class HubSpotError(Exception):
    pass


def rate_limit_wait(response: httpx.Response) -> float:
    """How long HubSpot asks to wait: Retry-After, else its rate-limit interval, else a second."""
    if response.headers.get("retry-after"):
        return retry_after_seconds(response.headers["retry-after"])
    interval = response.headers.get("x-hubspot-ratelimit-interval-milliseconds", "")
    return min(int(interval) / 1000, 10.0) if interval.isdigit() else 1.0


class HubSpotApi:
    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str, max_attempts: int = 5) -> None:
        self._http, self._base = http, base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._max_attempts = max_attempts

    async def find_contact(self, email: str, properties: list[str]) -> dict[str, Any] | None:
        body = {
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email.lower()}]}],
            "properties": ["email", *properties],
            "limit": 1,
        }
        results = _ok(await self._call("POST", "/crm/v3/objects/contacts/search", body)).get("results") or []
        return dict(results[0]) if results else None

    async def upsert_contact(self, email: str, properties: dict[str, str], on_update: dict[str, str]) -> str:
        """The contact with this email, created with `properties` if missing, else updated with
        `on_update`; its id. Safe to repeat: HubSpot refuses a second contact with the same email."""
        found = await self.find_contact(email, [])
        if found is not None:
            return await self.update_contact(str(found["id"]), on_update)
        return await self.create_contact(properties, on_update)

    async def create_contact(self, properties: dict[str, str], on_conflict: dict[str, str]) -> str:
        """A new contact; if one with its email appeared meanwhile (409), that one updated with
        `on_conflict`. Its id."""
        created = await self._call("POST", "/crm/v3/objects/contacts", {"properties": properties})
        if created.status_code == 409:
            existing = str(created.json().get("message", "")).rpartition("Existing ID: ")[2].strip()
            if not existing.isdigit():
                raise HubSpotError(f"HubSpot refused the contact: {created.text[:200]}")
            return await self.update_contact(existing, on_conflict)
        return str(_ok(created)["id"])

    async def update_contact(self, contact_id: str, properties: dict[str, str]) -> str:
        if properties:
            _ok(await self._call("PATCH", f"/crm/v3/objects/contacts/{contact_id}", {"properties": properties}))
        return contact_id

    async def owner_active(self, owner_id: str) -> bool:
        """Whether the owner is a current user: HubSpot archives the owner of a deactivated user, and
        the owners API answers 404 for an archived owner unless asked for archived ones."""
        if not owner_id.isdigit():
            return False
        response = await self._call("GET", f"/crm/v3/owners/{owner_id}?idProperty=id&archived=false", None)
        if response.status_code == 404:
            return False
        return not _ok(response).get("archived", False)

    async def list_membership(self, list_id: str, action: str, contact_id: str) -> None:
        """`add` or `remove` the contact (v3 lists); repeating either changes nothing."""
        _ok(await self._call("PUT", f"/crm/v3/lists/{list_id}/memberships/{action}", [contact_id]))

    async def _call(self, method: str, path: str, body: Any) -> httpx.Response:
        backoff = Backoff("hubspot_api")
        last = "no attempt made"
        for _ in range(self._max_attempts):
            try:
                response = await self._http.request(method, f"{self._base}{path}", json=body, headers=self._headers)
            except httpx.TransportError as exc:
                last = f"connection error: {exc!r}"
                await backoff.wait()
                continue
            if response.status_code == 429:
                last = "rate limited"
                await backoff.wait(retry_after=rate_limit_wait(response))
                continue
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                await backoff.wait()
                continue
            return response
        raise HubSpotError(f"HubSpot {method} {path} failed after {self._max_attempts} attempts: {last}")


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise HubSpotError(f"HubSpot refused: HTTP {response.status_code} {response.text[:200]}")
    body: dict[str, Any] = response.json()
    return body


def api_from_env(http: httpx.AsyncClient) -> "HubSpotApi | None":
    """The API when LEADRELAY_HUBSPOT_TOKEN is set."""
    settings = HubSpotSettings()
    if settings.token is None:
        return None
    return HubSpotApi(http, settings.api_url, settings.token.get_secret_value(), settings.max_attempts)
