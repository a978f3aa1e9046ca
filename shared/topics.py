"""Topic names. Every event of a lead is keyed by its lead_id, so one lead's events stay in order."""

from enum import StrEnum


class Topic(StrEnum):
    LEAD_CAPTURED = "lead.captured"
    LEAD_ACTIVITY = "lead.activity"
    LEAD_ENRICHED = "lead.enriched"
    LEAD_SCORED = "lead.scored"
    LEAD_ASSIGNED = "lead.assigned"
    LEAD_NURTURE = "lead.nurture"
    LEAD_ACKNOWLEDGED = "lead.acknowledged"
    LEAD_NOTIFIED = "lead.notified"


CONFIG_PUBLISHED = "config.published"
"""The routing configuration's published versions: compacted, one partition, one key, so a service
starting reads the latest version (and any it has not applied) from the start of the topic."""


def dlq(topic: str) -> str:
    """The dead-letter topic for an input topic."""
    return f"{topic}.dlq"


def all_topic_names() -> list[str]:
    """Every topic the system uses, dead-letter topics included (without any prefix)."""
    names = [t.value for t in Topic]
    return names + [dlq(n) for n in names] + [CONFIG_PUBLISHED]
