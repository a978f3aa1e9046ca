"""Config and leads for routing-engine tests."""

from datetime import UTC, datetime
from typing import Any

from shared.business.loader import BusinessConfig
from shared.payloads import Company, ScoredLead
from tests.unit.factories import enriched_lead

# A Tuesday, 15:00 UTC: 10:00 in New York, 16:00 in Berlin, 07:00 in Los Angeles.
TUESDAY_15_UTC = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def config(**overrides: Any) -> BusinessConfig:
    base: dict[str, Any] = {
        "reps": [
            {"id": "alice", "name": "Alice", "timezone": "America/New_York"},
            {"id": "bruno", "name": "Bruno", "timezone": "Europe/Berlin"},
            {"id": "chen", "name": "Chen", "timezone": "America/Los_Angeles"},
            {"id": "erin", "name": "Erin"},
            {"id": "maya", "name": "Maya"},
        ],
        "pools": [
            {"id": "inbound", "members": ["alice", "bruno", "chen"], "manager": "maya"},
            {
                "id": "enterprise",
                "strategy": "account_owner",
                "members": [{"rep": "erin", "weight": 2}, "alice"],
                "when_no_one_available": {"overflow": "inbound"},
            },
        ],
        "routing": {
            "default_pool": "inbound",
            "rules": [
                {
                    "id": "big",
                    "when": [{"field": "lead.company.employees", "range": {"min": 5001}}],
                    "pool": "enterprise",
                    "sla_minutes": 5,
                }
            ],
        },
    }
    base.update(overrides)
    return BusinessConfig.model_validate(base)


def scored(
    total: int = 80,
    stage: str = "sql",
    grade: str = "A2",
    employees: int = 850,
    domain: str = "initech.com",
    free_mail: bool = False,
) -> ScoredLead:
    company = Company(name="Co", domain=domain, industry="Software", employees=employees, country="US")
    lead = enriched_lead(company=company, free_mail=free_mail).model_copy(
        update={"email": f"x@{domain}", "email_domain": domain}
    )
    return ScoredLead(lead=lead, fit=total, intent=0, total=total, contributions=[], grade=grade, stage=stage)
