"""Links in alerts: claim links (signed, expiring, for the assigned rep; route checks them) and links
to the lead's CRM records."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.claim_links import make_record_token, make_token
from shared.payloads import Assignment


@dataclass(frozen=True)
class ClaimLinks:
    secret: str
    base_url: str
    ttl: timedelta
    public_url: str = ""
    """notify's own public URL: record links redirect through it."""
    record_labels: dict[str, str] = field(default_factory=dict)
    """Record-keeping channels (CRMs) by name, and how the alert names them."""

    def url(self, assignment: Assignment) -> str:
        token = make_token(self.secret, assignment.assignment_id, assignment.rep.id, datetime.now(UTC), self.ttl)
        return f"{self.base_url.rstrip('/')}/v1/claims/{token}"

    def with_records(self, assignment: Assignment) -> Assignment:
        """The assignment with a link per CRM it is written to, each a signed redirect on notify to
        the record (valid as soon as the write-back is done), to show in the alert."""
        now = datetime.now(UTC)
        records = {}
        for channel in assignment.channels:
            if (label := self.record_labels.get(channel)) is not None:
                token = make_record_token(self.secret, assignment.assignment_id, channel, now, self.ttl)
                records[label] = f"{self.public_url.rstrip('/')}/v1/records/{token}"
        return assignment.model_copy(update={"records": records}) if records else assignment
