"""Small builders for test events and leads."""

from datetime import UTC, datetime
from uuid import uuid4

from shared.events import LeadCapturedEvent, LeadScoredEvent, follow_event, new_event
from shared.payloads import CapturedLead, Company, EnrichedLead, LeadFields, ScoredLead

INITECH = Company(name="Initech", domain="initech.com", industry="Software", employees=850, country="US")


def captured(**fields: object) -> LeadCapturedEvent:
    data = CapturedLead(
        source="website",
        received_at=datetime.now(UTC),
        receipt_id=uuid4(),
        fields=LeadFields.model_validate(fields),
    )
    return new_event(LeadCapturedEvent, lead_id=uuid4(), producer="test", data=data)


def enriched_lead(
    title: str | None = "VP Sales", company: Company | None = INITECH, free_mail: bool = False
) -> EnrichedLead:
    return EnrichedLead(
        source="website",
        fields=LeadFields(email="dana@initech.com", title=title),
        email="dana@initech.com",
        email_domain="initech.com",
        phone_e164=None,
        first_name="Dana",
        last_name="Reyes",
        is_free_mail=free_mail,
        is_disposable=False,
        company=company,
        enrichment_sources=["normalize"],
    )


def scored(total: int = 50) -> LeadScoredEvent:
    cause = captured(email="dana@initech.com")
    data = ScoredLead(lead=enriched_lead(), fit=total, intent=0, total=total, contributions=[])
    return follow_event(LeadScoredEvent, cause, producer="test", data=data)
