"""Salesforce owner write-back over the REST API, with OAuth 2.0 client credentials (a connected app)
at the org's My Domain token URL; an expired session is renewed once. REQUEST_LIMIT_EXCEEDED, 5xx
and connection errors back off and retry.

A lead whose email Salesforce already has is not duplicated: a Contact with that email, else an
unconverted Lead, gets the owner (`OwnerId`, the rep's user id from `contacts: {salesforce: 005...}`),
subject to `owner_policy` (services/notify/owner_policy.py; a queue is never an owner kept). Only a
lead Salesforce does not know is upserted by an external id field holding leadrelay's lead id, which
never makes a second record. After a crash mid-write, a record already owned by the rep counts as
written.

The business config's `channel_options.salesforce` sets the object, the external id field, the
field mapping (Salesforce field -> lead field) and the owner policy."""

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notify.channels.base import ChannelContext, DeliveryError, Sent
from services.notify.owner_policy import OwnerPolicy, decide, may_respect
from shared.backoff import Backoff
from shared.payloads import Assignment

RETRIED = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}
LEAD_FIELDS = ("email", "first_name", "last_name", "name", "company", "title", "phone", "source", "score")


class SalesforceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADRELAY_SALESFORCE_", env_ignore_empty=True, extra="ignore")
    token_url: str | None = None
    """The org's My Domain token endpoint, https://<MyDomain>.my.salesforce.com/services/oauth2/token:
    Salesforce refuses the client-credentials flow on login.salesforce.com."""
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
    match_by_email: bool = Field(
        default=True, description="Write the owner on a Contact or unconverted Lead with the lead's email."
    )
    owner_policy: OwnerPolicy = "overwrite"


QUEUE_PREFIX = "00G"
"""Record owners that are queues, not people: never an owner to keep."""


def soql_text(value: str) -> str:
    """A SOQL string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def token_url_problem(url: str | None) -> str | None:
    if not url:
        return "LEADRELAY_SALESFORCE_TOKEN_URL is required: https://<MyDomain>.my.salesforce.com/services/oauth2/token"
    host = (urlsplit(url).hostname or "").lower()
    if host in ("login.salesforce.com", "test.salesforce.com"):
        return (
            f"LEADRELAY_SALESFORCE_TOKEN_URL: {host} does not serve the client-credentials flow; use the org's "
            "My Domain, https://<MyDomain>.my.salesforce.com/services/oauth2/token"
        )
    return None


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

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: SalesforceSettings,
        options: SalesforceOptions,
        ours: frozenset[str] = frozenset(),
    ) -> None:
        assert settings.client_id is not None and settings.client_secret is not None
        self._http, self._settings, self._options, self._ours = http, settings, options, ours
        self._token: str | None = None
        self._instance = ""

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.contacts.get(self.name)

    def _path(self, a: Assignment) -> str:
        if a.lead_id is None:
            raise DeliveryError("the assignment names no lead id to upsert by")
        o = self._options
        return f"/services/data/{self._settings.api_version}/sobjects/{o.object}/{o.external_id_field}/{a.lead_id}"

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> Sent:
        found = await self._match(assignment)
        if found is None:
            response = await self._call("PATCH", self._path(assignment), record(assignment, target, self._options))
            if response.status_code not in (200, 201):
                raise DeliveryError(f"Salesforce refused the upsert: HTTP {response.status_code} {response.text[:300]}")
            return Sent(str(response.json()["id"]), f"owner set to {target} (new {self._options.object})")
        obj, record_id, existing = found
        policy = self._options.owner_policy
        active = None
        if policy == "respect_if_active" and may_respect(policy, existing, target, self._ours, assignment.attempt):
            active = await self._user_active(str(existing))
        decision = decide(policy, existing, target, self._ours, assignment.attempt, active)
        if decision.write:
            path = f"/services/data/{self._settings.api_version}/sobjects/{obj}/{record_id}"
            response = await self._call("PATCH", path, {"OwnerId": target})
            if response.status_code not in (200, 204):
                raise DeliveryError(f"Salesforce refused the owner: HTTP {response.status_code} {response.text[:300]}")
        return Sent(record_id, f"{obj} {record_id} matched by email: {decision.note}")

    async def _match(self, a: Assignment) -> tuple[str, str, str | None] | None:
        """(object, Id, OwnerId unless a queue) of the Contact, else the unconverted Lead, with the
        lead's email."""
        if not self._options.match_by_email or not a.lead.email:
            return None
        email = soql_text(a.lead.email)
        for obj, extra in (("Contact", ""), ("Lead", " AND IsConverted = false")):
            rows = await self._query(f"SELECT Id, OwnerId FROM {obj} WHERE Email = {email}{extra} LIMIT 1")
            if rows:
                owner = str(rows[0].get("OwnerId") or "") or None
                return obj, str(rows[0]["Id"]), None if owner and owner.startswith(QUEUE_PREFIX) else owner
        return None

    async def _user_active(self, user_id: str) -> bool:
        rows = await self._query(f"SELECT Id, IsActive FROM User WHERE Id = {soql_text(user_id)} LIMIT 1")
        return bool(rows and rows[0].get("IsActive"))

    async def _query(self, soql: str) -> list[dict[str, Any]]:
        path = f"/services/data/{self._settings.api_version}/query?q={quote(soql)}"
        response = await self._call("GET", path, None)
        if response.status_code != 200:
            raise DeliveryError(f"Salesforce refused a query: HTTP {response.status_code} {response.text[:300]}")
        rows: list[dict[str, Any]] = response.json().get("records") or []
        return rows

    async def record_url(self, external_id: str) -> str | None:
        if self._token is None:
            await self._login()
        return f"{self._instance}/lightning/r/{self._options.object}/{external_id}/view"

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        found = await self._match(assignment)
        if found is not None:
            return found[1] if found[2] == target else None
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
            response = await self._http.post(str(s.token_url), data=form)
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
    """Salesforce when LEADRELAY_SALESFORCE_CLIENT_ID and _CLIENT_SECRET are given (and then the My
    Domain token URL must be too)."""
    settings = SalesforceSettings()
    if settings.client_id is None or settings.client_secret is None:
        return None
    if problem := token_url_problem(settings.token_url):
        raise ValueError(problem)
    options = SalesforceOptions.model_validate(ctx.options.get("salesforce", {}))
    return SalesforceOwner(ctx.http, settings, options, ctx.rep_ids.get("salesforce", frozenset()))
