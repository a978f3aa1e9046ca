"""Typed payloads carried in the `data` field of each event. Only add optional fields within a version."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LeadFields(Frozen):
    """A lead as captured from its source: what the sender gave us, lightly cleaned."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    country: str | None = None
    notes: str | None = None
    utm: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)


class CapturedLead(Frozen):
    source: str
    received_at: datetime
    receipt_id: UUID
    fields: LeadFields


class Activity(Frozen):
    """A behaviour event on a lead (page view, download, email open, ...)."""

    kind: str
    occurred_at: datetime
    properties: dict[str, Any] = Field(default_factory=dict)


class Company(Frozen):
    name: str
    domain: str
    industry: str
    employees: int
    country: str


class AccountMatch(Frozen):
    """The account enrich matched the lead to, how sure it is, and why."""

    domain: str = Field(description="The account's primary domain.")
    name: str | None = None
    owner: str
    confidence: float
    method: str = Field(description="domain, subdomain, other_tld or company_name")
    reason: str


class EnrichedLead(Frozen):
    source: str
    fields: LeadFields
    email: str | None
    email_domain: str | None
    phone_e164: str | None
    first_name: str | None
    last_name: str | None
    is_free_mail: bool
    is_disposable: bool
    company: Company | None
    enrichment_sources: list[str]
    account: AccountMatch | None = None


class Contribution(Frozen):
    """One scoring rule that fired: its id, its points and a sentence saying why."""

    rule_id: str
    points: int
    why: str


class Driver(Frozen):
    feature: str
    effect: float = Field(description="Its push on the log-odds: positive raises the probability.")


class Prediction(Frozen):
    """The predictive model's view of a lead: a calibrated probability of converting and why."""

    probability: float = Field(ge=0, le=1)
    drivers: list[Driver] = Field(default_factory=list)


class ScoredLead(Frozen):
    lead: EnrichedLead
    fit: int
    intent: int
    total: int
    contributions: list[Contribution]
    grade: str | None = Field(default=None, description="Fit letter A-D and intent digit 1-4, e.g. 'A2'.")
    stage: str | None = Field(default=None, description="Lifecycle stage by thresholds: lead, mql or sql.")
    scored_at: datetime | None = None
    model_version: str = Field(default="rules", description="The predictive model blended in, or 'rules' only.")
    prediction: Prediction | None = None
    outcome: str | None = Field(default=None, description="The lead's latest outcome: converted, won or lost.")
    progress_at: datetime | None = Field(default=None, description="When the lead last made progress (an outcome).")
    config_version: int | None = Field(
        default=None, description="The published routing version that scored it (0: the YAML file's own)."
    )


class RepContact(Frozen):
    id: str
    name: str
    slack: str | None = None
    email: str | None = None
    phone: str | None = None
    contacts: dict[str, str] = Field(default_factory=dict, description="Addresses on other channels (CRM ids).")


class LeadSummary(Frozen):
    """What a rep needs to act on a lead, carried in every assignment."""

    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    source: str
    score: int
    reasons: list[Contribution]
    prediction: str | None = Field(default=None, description="The predictive model's probability and drivers.")


class Assignment(Frozen):
    assignment_id: UUID
    lead_id: UUID | None = None
    lead_arrived_at: datetime | None = None
    """When the input that made the lead sales-ready reached leadrelay: speed to lead counts from it."""
    attempt: int
    pool_id: str
    rep: RepContact
    reason: str
    lead: LeadSummary
    trace: list[str] = Field(default_factory=list)
    outcome: str = Field(default="assigned", description="assigned, or escalated to a manager.")
    channels: list[str] = Field(default_factory=list, description="Where to alert the rep; empty means Slack.")
    rule_id: str | None = None
    sla_due_at: datetime | None = Field(default=None, description="Claim before this, or the lead moves on.")
    records: dict[str, str] = Field(
        default_factory=dict, description="notify only: channel -> link to the lead's CRM record, shown in the alert."
    )
    config_version: int | None = Field(
        default=None, description="The published routing version that decided it (0: the YAML file's own)."
    )


class Nurture(Frozen):
    reason: str
    score: int
    email: str | None = Field(default=None, description="The lead's email, for the marketing tool's hand-off.")


class Acknowledgement(Frozen):
    assignment_id: UUID
    rep_id: str
    claimed_at: datetime
    via: str


class Notified(Frozen):
    """An alert's outcome on one channel: sent (with the provider's id and, once reported, its
    delivery status) or failed for good."""

    assignment_id: UUID
    attempt: int
    rep_id: str
    channel: str
    status: str = Field(description="sent or failed")
    at: datetime
    tries: int
    external_id: str | None = None
    provider_status: str | None = Field(default=None, description="The provider's latest status, e.g. delivered.")
    error: str | None = None
    alert: bool = Field(default=True, description="False for a CRM write-back (external_id is the CRM record).")
