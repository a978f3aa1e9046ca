"""`POST /v1/events` body: one behaviour event for a lead identified by lead id or email. Pure."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.capture.intake import EMAIL
from shared.business.scoring import RESERVED_KINDS
from shared.payloads import Activity
from shared.settings import ApiKey
from shared.time_bounds import BoundedDatetime


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = Field(pattern=r"^[a-z][a-z_]{1,39}$", description="e.g. page_view, email_opened, demo_requested")
    lead_id: UUID | None = None
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL.pattern)
    occurred_at: BoundedDatetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    event_id: str | None = Field(default=None, max_length=200, description="The sender's id, for dedupe.")

    def reserved_for(self, key: ApiKey, progress_events: Iterable[str]) -> list[dict[str, str]]:
        """An outcome or progress event from a key without the `outcomes` scope (see RESERVED_KINDS)."""
        if "outcomes" in key.scopes or self.kind not in RESERVED_KINDS.union(progress_events):
            return []
        return [{"field": "kind", "message": f"{self.kind} is an outcome or progress event: it needs an outcomes key"}]

    def missing_lead(self) -> list[dict[str, str]]:
        if self.lead_id is not None or self.email is not None:
            return []
        message = "lead_id or email is required"
        return [{"field": "lead_id", "message": message}, {"field": "email", "message": message}]

    def to_activity(self, now: datetime | None = None) -> Activity:
        return Activity(
            kind=self.kind, occurred_at=self.occurred_at or now or datetime.now(UTC), properties=self.properties
        )
