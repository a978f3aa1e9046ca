"""Salesforce owner write-back: upsert the Lead by an external id field holding leadrelay's lead id,
with the mapped fields and `OwnerId` set to the rep's user id (`contacts: {salesforce: 005...}`), over
the REST API. OAuth 2.0 client credentials (a connected app); an expired session is renewed once.
REQUEST_LIMIT_EXCEEDED, 5xx and connection errors back off and retry. An upsert by external id
never makes a second Lead; after a crash mid-write, a Lead already owned by the rep counts as written.

The business config's `channel_options.salesforce` sets the object, the external id field and the
field mapping (Salesforce field -> lead field)."""

from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notify.channels.base import ChannelContext, DeliveryError
from shared.backoff import Backoff
from shared.payloads import Assignment

RETRIED = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}
LEAD_FIELDS = ("email", "first_name", "last_name", "name", "company", "title", "phone", "source", "score")


class SalesforceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADRELAY_SALESFORCE_", env_ignore_empty=True, extra="ignore")
    login_url: str = "https://login.salesforce.com"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    api_version: str = "v61.0"
    max_attempts: int = 5


class SalesforceOptions(BaseModel):
    """channel_options.salesforce in the business config."""

    model_config = {"extra": "forbid"}
    object: str = Field(default="Lead", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
    external_id_field: str = Field(default="Leadrelay_Id__c", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
    fields: dict[str, str] = Field(
        default_factory=lambda: {
            "Email": "email",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Company": "company",
            "Title": "title",
            "Phone": "phone",
            "LeadSource": "source",
        },
        description=f"Salesforce field -> lead field, one of {', '.join(LEAD_FIELDS)}.",
    )
    defaults: dict[str, str] = Field(
        default_factory=lambda: {"LastName": "[not provided]", "Company": "[not provided]"},
        description="Values for required fields the lead does not have.",
    )


def lead_values(a: Assignment) -> dict[str, str]:
    lead = a.lead
    first, _, last = (lead.name or "").partition(" ")
    return {
        "email": lead.email or "",
        "first_name": first,
        "last_name": last or first,
        "name": lead.name or "",
        "company": lead.company or "",
        "title": lead.title or "",
        "phone": lead.phone or "",
        "source": lead.source,
        "score": str(lead.score),
    }


def record(a: Assignment, owner: str, options: SalesforceOptions) -> dict[str, str]:
    values = lead_values(a)
    mapped = {sf: values.get(ours, "") for sf, ours in options.fields.items()}
    body = {**options.defaults, **{k: v for k, v in mapped.items() if v}}
    return {**body, "OwnerId": owner}


class SalesforceOwner:
    name = "salesforce"

    def __init__(self, http: httpx.AsyncClient, settings: SalesforceSettings, options: SalesforceOptions) -> None:
        assert settings.client_id is not None and settings.client_secret is not None
        self._http, self._settings, self._options = http, settings, options
        self._token: str | None = None
        self._instance = ""

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.contacts.get(self.name)

    def _path(self, a: Assignment) -> str:
        if a.lead_id is None:
            raise DeliveryError("the assignment names no lead id to upsert by")
        o = self._options
        return f"/services/data/{self._settings.api_version}/sobjects/{o.object}/{o.external_id_field}/{a.lead_id}"

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        response = await self._call("PATCH", self._path(assignment), record(assignment, target, self._options))
        if response.status_code not in (200, 201):
            raise DeliveryError(f"Salesforce refused the upsert: HTTP {response.status_code} {response.text[:300]}")
        return str(response.json()["id"])

    async def record_url(self, external_id: str) -> str | None:
        if self._token is None:
            await self._login()
        return f"{self._instance}/lightning/r/{self._options.object}/{external_id}/view"

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        response = await self._call("GET", self._path(assignment), None)
        if response.status_code == 200 and response.json().get("OwnerId") == target:
            return str(response.json()["Id"])
        return None

    async def _login(self) -> None:
        s = self._settings
        assert s.client_id is not None and s.client_secret is not None
        form = {
            "grant_type": "client_credentials",
            "client_id": s.client_id,
            "client_secret": s.client_secret.get_secret_value(),
        }
        try:
            response = await self._http.post(f"{s.login_url.rstrip('/')}/services/oauth2/token", data=form)
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot reach Salesforce's token endpoint: {exc!r}") from exc
        body = response.json()
        if response.status_code != 200:
            raise DeliveryError(f"Salesforce refused the client credentials: {body.get('error_description', body)}")
        self._token, self._instance = str(body["access_token"]), str(body["instance_url"]).rstrip("/")

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        backoff = Backoff("salesforce_api")
        last, renewed = "no attempt made", False
        for _ in range(self._settings.max_attempts):
            if self._token is None:
                await self._login()
            headers = {"Authorization": f"Bearer {self._token}"}
            try:
                response = await self._http.request(method, f"{self._instance}{path}", json=body, headers=headers)
            except httpx.TransportError as exc:
                last = f"connection error: {exc!r}"
                await backoff.wait()
                continue
            code = _error_code(response)
            if response.status_code == 401 and code == "INVALID_SESSION_ID" and not renewed:
                self._token, renewed = None, True
                continue
            if code in RETRIED or response.status_code >= 500:
                last = code or f"HTTP {response.status_code}"
                await backoff.wait()
                continue
            return response
        raise DeliveryError(f"Salesforce {method} failed after {self._settings.max_attempts} attempts: {last}")


def _error_code(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body[0].get("errorCode")) if isinstance(body, list) and body and isinstance(body[0], dict) else None


def build(ctx: ChannelContext) -> SalesforceOwner | None:
    """Salesforce when LEADRELAY_SALESFORCE_CLIENT_ID and _CLIENT_SECRET are given."""
    settings = SalesforceSettings()
    if settings.client_id is None or settings.client_secret is None:
        return None
    return SalesforceOwner(ctx.http, settings, SalesforceOptions.model_validate(ctx.options.get("salesforce", {})))
