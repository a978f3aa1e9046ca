"""Pure parts of the integrations: which events a subscriber can get and their envelope, the URL
guard, the Salesforce field mapping, the channel registry's check of the config, and the Standard
Webhooks envelope on the way in."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from services.capture.sources.standard import unwrap
from services.notify.channels import REGISTRY, unknown_channels
from services.notify.channels.salesforce import SalesforceOptions, record
from services.outbound.address_guard import refused_host
from services.outbound.events import envelope, outbound_type
from shared.business.loader import BusinessConfig
from shared.events import LeadAssignedEvent
from shared.payloads import Assignment, LeadSummary, RepContact

ROOT = Path(__file__).parents[2]


def assignment(outcome: str = "assigned", name: str | None = "Ada Lovelace") -> Assignment:
    return Assignment(
        assignment_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        attempt=1,
        pool_id="inbound",
        rep=RepContact(id="alice", name="Alice", contacts={"salesforce": "005A1", "hubspot": "7001"}),
        reason="Round robin",
        lead=LeadSummary(
            name=name, email="ada@acme.com", phone=None, company=None, title="CTO", source="web", score=90, reasons=[]
        ),
        outcome=outcome,
    )


def test_assigned_and_escalated_are_told_apart_and_wrapped_as_standard_webhooks() -> None:
    lead_id = uuid.uuid4()
    for outcome, kind in (("assigned", "assigned"), ("escalated", "escalated")):
        event = LeadAssignedEvent(
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            lead_id=lead_id,
            correlation_id=lead_id,
            producer="route",
            data=assignment(outcome),
        )
        assert outbound_type(event) == kind
        body = envelope(event, kind)
        assert body["type"] == f"lead.{kind}" and body["data"]["lead_id"] == str(lead_id)
        assert set(body) == {"type", "timestamp", "data"}


@pytest.mark.parametrize(
    ("host", "refused"),
    [("169.254.169.254", True), ("127.0.0.1", True), ("10.0.0.7", True), ("localhost", True), ("[::1]", True),
     ("hooks.zapier.com", False), ("8.8.8.8", False)],
)  # fmt: skip
def test_private_addresses_are_refused(host: str, refused: bool) -> None:
    assert (refused_host(host) is not None) is refused


def test_the_salesforce_record_maps_fields_fills_required_ones_and_sets_the_owner() -> None:
    body = record(assignment(name="Ada"), "005A1", SalesforceOptions())
    assert body["OwnerId"] == "005A1" and body["Email"] == "ada@acme.com" and body["Title"] == "CTO"
    assert body["Company"] == "[not provided]" and body["LastName"] == "Ada"
    custom = SalesforceOptions(fields={"Email": "email", "Rating__c": "score"}, defaults={})
    assert record(assignment(), "005A1", custom) == {"Email": "ada@acme.com", "Rating__c": "90", "OwnerId": "005A1"}


def test_the_registry_names_every_channel_and_the_config_is_checked_against_it() -> None:
    assert {"slack", "sms", "email", "hubspot", "salesforce"} <= set(REGISTRY)
    raw = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    raw["reps"][0]["channels"] = ["slack", "teams"]
    raw["reps"][0]["contacts"] = {"teams": "alice@acme"}
    assert unknown_channels(BusinessConfig.model_validate(raw)) == ["teams"]


def test_the_standard_webhooks_envelope_is_unwrapped() -> None:
    lead = {"email": "a@b.co"}
    assert unwrap({"type": "lead.created", "timestamp": "2026-11-23T12:00:00Z", "data": lead}) == lead
    activity = unwrap({"type": "lead.activity", "timestamp": "t", "data": {"kind": "page_view"}})
    assert activity == {"kind": "page_view", "type": "lead.activity"}
    flat = {"email": "a@b.co", "data": {"x": 1}}
    assert unwrap(flat) == flat, "no timestamp: our own flat body, left alone"
