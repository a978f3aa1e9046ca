"""Claim links in alerts: signed, expiring, for the assigned rep (route checks them)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.claim_links import make_token
from shared.payloads import Assignment


@dataclass(frozen=True)
class ClaimLinks:
    secret: str
    base_url: str
    ttl: timedelta

    def url(self, assignment: Assignment) -> str:
        token = make_token(self.secret, assignment.assignment_id, assignment.rep.id, datetime.now(UTC), self.ttl)
        return f"{self.base_url.rstrip('/')}/v1/claims/{token}"
