"""Event builders shared by the integration and e2e tiers."""

from uuid import uuid4

from shared.events import LeadScoredEvent, new_event
from shared.payloads import EnrichedLead, LeadFields, ScoredLead


def scored_event(total: int, email: str | None = None) -> LeadScoredEvent:
    email = email or f"lead-{uuid4().hex[:8]}@initech.com"
    lead = EnrichedLead(
        source="test",
        fields=LeadFields(email=email),
        email=email,
        email_domain=email.split("@")[1],
        phone_e164=None,
        first_name="Test",
        last_name="Lead",
        is_free_mail=False,
        is_disposable=False,
        company=None,
        enrichment_sources=[],
    )
    data = ScoredLead(lead=lead, fit=total, intent=0, total=total, contributions=[])
    return new_event(LeadScoredEvent, lead_id=uuid4(), producer="test", data=data)
