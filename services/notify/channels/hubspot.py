"""HubSpot owner write-back: find the lead's contact by email (CRM v3 search), create it if it is
missing, and set `hubspot_owner_id` to the rep's owner id (`contacts: {hubspot: <owner id>}`), with
a private app token (shared.hubspot_api honours 429 and the rate-limit headers). Creating is safe
to repeat, and after a crash mid-write a contact already owned by the rep counts as written.
`channel_options.hubspot.owner_policy` says whether an owner the contact already has is kept
(services/notify/owner_policy.py); the delivery's trace note says which applied."""

from datetime import datetime

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notify.channels.base import ChannelContext, DeliveryError, Sent
from services.notify.owner_policy import OwnerPolicy, decide, may_respect
from shared.hubspot_api import HubSpotApi, HubSpotError, api_from_env
from shared.payloads import Assignment

OWNER = "hubspot_owner_id"


def contact_properties(a: Assignment) -> dict[str, str]:
    lead = a.lead
    first, _, last = (lead.name or "").partition(" ")
    found = {
        "email": (lead.email or "").lower(),
        "firstname": first,
        "lastname": last,
        "company": lead.company or "",
        "jobtitle": lead.title or "",
        "phone": lead.phone or "",
    }
    return {k: v for k, v in found.items() if v}


class RecordSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADRELAY_HUBSPOT_", env_ignore_empty=True, extra="ignore")
    portal_id: str | None = None
    """The HubSpot account id, for links to contact records in alerts."""
    app_url: str = "https://app.hubspot.com"


class HubSpotOptions(BaseModel):
    """channel_options.hubspot in the business config."""

    model_config = {"extra": "forbid"}
    owner_policy: OwnerPolicy = "overwrite"


class HubSpotOwner:
    name = "hubspot"

    def __init__(
        self,
        api: HubSpotApi,
        records: RecordSettings | None = None,
        options: HubSpotOptions | None = None,
        ours: frozenset[str] = frozenset(),
    ) -> None:
        self._api = api
        self._records = records or RecordSettings()
        self._options = options or HubSpotOptions()
        self._ours = ours

    async def record_url(self, external_id: str) -> str | None:
        r = self._records
        if r.portal_id is None:
            return None
        return f"{r.app_url.rstrip('/')}/contacts/{r.portal_id}/record/0-1/{external_id}"

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.contacts.get(self.name)

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> Sent:
        email = assignment.lead.email
        if not email:
            raise DeliveryError("the lead has no email to find its HubSpot contact by")
        owner = {OWNER: target}
        policy = self._options.owner_policy
        try:
            found = await self._api.find_contact(email, [OWNER])
            if found is None:
                created = await self._api.create_contact({**contact_properties(assignment), **owner}, owner)
                return Sent(created, f"owner set to {target} (new contact)")
            existing = (found.get("properties") or {}).get(OWNER) or None
            active = None
            if policy == "respect_if_active" and may_respect(policy, existing, target, self._ours, assignment.attempt):
                active = await self._api.owner_active(str(existing))
            decision = decide(policy, existing, target, self._ours, assignment.attempt, active)
            if decision.write:
                await self._api.update_contact(str(found["id"]), owner)
            return Sent(str(found["id"]), decision.note)
        except HubSpotError as exc:
            raise DeliveryError(str(exc)) from exc

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        """In doubt: the contact if it already has this owner (nothing more to write)."""
        if not assignment.lead.email:
            return None
        try:
            found = await self._api.find_contact(assignment.lead.email, [OWNER])
        except HubSpotError as exc:
            raise DeliveryError(str(exc)) from exc
        if found is not None and (found.get("properties") or {}).get(OWNER) == target:
            return str(found["id"])
        return None


def build(ctx: ChannelContext) -> HubSpotOwner | None:
    """HubSpot when LEADRELAY_HUBSPOT_TOKEN is given."""
    api = api_from_env(ctx.http)
    if api is None:
        return None
    options = HubSpotOptions.model_validate(ctx.options.get("hubspot", {}))
    return HubSpotOwner(api, options=options, ours=ctx.rep_ids.get("hubspot", frozenset()))
