"""How alerts are grouped (an escalation storm to one person becomes a digest per window), and where
nurtured leads are handed off."""

from pydantic import Field

from shared.business.base import Strict


class EscalationDigest(Strict):
    """Escalations to one person on one channel within `window_seconds`: the first `threshold` are
    sent one by one; every further one joins that window's digest. On Slack the digest is one
    message, updated in place (chat.update) at most every `update_seconds`; SMS and email get one
    digest message when the window closes. Every escalation in a digest stays claimable."""

    window_seconds: float = Field(default=300, gt=0, le=86400)
    threshold: int = Field(default=3, ge=0, description="Escalations per window sent one by one before digesting.")
    update_seconds: float = Field(default=2.0, ge=0.2, le=600)
    show: int = Field(default=3, ge=1, le=10, description="Oldest and highest-scored leads shown with a Claim button.")


class Notifications(Strict):
    escalation_digest: EscalationDigest = EscalationDigest()


class Handoff(Strict):
    """Nurtured leads enrolled in the marketing tool by outbound (with the reason), and taken off
    again once routed: a HubSpot list (v3 list id; LEADRELAY_HUBSPOT_TOKEN on outbound)."""

    hubspot_list_id: str | None = Field(default=None, pattern=r"^[0-9]{1,20}$")
