"""The declared topics: one table of every topic leadrelay uses, with its partitions, replication
factor, `min.insync.replicas` and retention. `leadrelay topics plan|apply` provisions a cluster from
it; development stacks create the same topics at boot.

Retention: the event topics keep everything by default (`retention.ms=-1`), so `leadrelay insights
rebuild` can project every event ever published again; set LEADRELAY_TOPIC_RETENTION_MS to bound it
(then a rebuild only reaches that far back). Dead-letter topics keep 90 days (DLQ replay's horizon).
`config.published` is compacted, with one partition: the latest routing version is always there."""

from dataclasses import dataclass
from typing import Protocol

from shared.topics import CONFIG_PUBLISHED, Topic, dlq


class TopicSettings(Protocol):
    topic_prefix: str
    topic_partitions: int
    topic_replication: int
    topic_min_insync_replicas: int
    topic_retention_ms: int
    dlq_retention_ms: int


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    min_insync_replicas: int
    retention_ms: int
    cleanup_policy: str = "delete"

    def configs(self) -> dict[str, str]:
        """The topic-level configs leadrelay manages (all others keep the broker's defaults)."""
        return {
            "cleanup.policy": self.cleanup_policy,
            "min.insync.replicas": str(self.min_insync_replicas),
            "retention.ms": str(self.retention_ms),
        }


def declared_topics(settings: TopicSettings) -> list[TopicSpec]:
    if settings.topic_min_insync_replicas > settings.topic_replication:
        raise ValueError(
            f"topic_min_insync_replicas ({settings.topic_min_insync_replicas}) exceeds"
            f" topic_replication ({settings.topic_replication}): every write would be refused"
        )
    specs = []
    for topic in Topic:
        for name, retention in (
            (topic.value, settings.topic_retention_ms),
            (dlq(topic.value), settings.dlq_retention_ms),
        ):
            specs.append(
                TopicSpec(
                    name=f"{settings.topic_prefix}{name}",
                    partitions=settings.topic_partitions,
                    replication=settings.topic_replication,
                    min_insync_replicas=settings.topic_min_insync_replicas,
                    retention_ms=retention,
                )
            )
    specs.append(
        TopicSpec(
            name=f"{settings.topic_prefix}{CONFIG_PUBLISHED}",
            partitions=1,
            replication=settings.topic_replication,
            min_insync_replicas=settings.topic_min_insync_replicas,
            retention_ms=-1,
            cleanup_policy="compact",
        )
    )
    return specs
