"""Who reads and writes which topic: the one table behind the AsyncAPI document, the least-privilege
Kafka ACLs (`leadrelay acl plan`), and the topics each service checks for at readiness. A unit test
holds it equal to each stage's declared inputs, so it cannot drift from the code."""

from dataclasses import dataclass

from shared.topics import Topic, dlq


@dataclass(frozen=True)
class ServiceTopics:
    name: str
    """The service, its consumer group (with the topic prefix) and its Kafka principal's default name."""
    reads: tuple[Topic, ...]
    writes: tuple[Topic, ...]

    @property
    def group(self) -> str | None:
        return self.name if self.reads else None

    @property
    def dead_letters(self) -> tuple[str, ...]:
        """The runtime dead-letters a bad message of an input to `<input>.dlq`."""
        return tuple(dlq(t.value) for t in self.reads)

    def topics(self) -> tuple[str, ...]:
        """Every topic this service touches (what it checks for at readiness)."""
        names = [t.value for t in (*self.reads, *self.writes)] + list(self.dead_letters)
        return tuple(dict.fromkeys(names))


T = Topic
SERVICES: tuple[ServiceTopics, ...] = (
    ServiceTopics("capture", reads=(), writes=(T.LEAD_CAPTURED, T.LEAD_ACTIVITY)),
    ServiceTopics("enrich", reads=(T.LEAD_CAPTURED,), writes=(T.LEAD_ENRICHED,)),
    ServiceTopics("score", reads=(T.LEAD_ENRICHED, T.LEAD_ACTIVITY), writes=(T.LEAD_SCORED,)),
    ServiceTopics(
        "route",
        reads=(T.LEAD_SCORED,),
        writes=(T.LEAD_ASSIGNED, T.LEAD_NURTURE, T.LEAD_ACKNOWLEDGED, T.LEAD_ACTIVITY),
    ),
    ServiceTopics("notify", reads=(T.LEAD_ASSIGNED, T.LEAD_ACKNOWLEDGED), writes=(T.LEAD_NOTIFIED,)),
    ServiceTopics(
        "insights",
        reads=(
            T.LEAD_CAPTURED,
            T.LEAD_ENRICHED,
            T.LEAD_SCORED,
            T.LEAD_ASSIGNED,
            T.LEAD_NURTURE,
            T.LEAD_ACKNOWLEDGED,
            T.LEAD_NOTIFIED,
        ),
        writes=(),
    ),
    ServiceTopics(
        "outbound",
        reads=(T.LEAD_CAPTURED, T.LEAD_SCORED, T.LEAD_ASSIGNED, T.LEAD_ACKNOWLEDGED, T.LEAD_NURTURE),
        writes=(),
    ),
)
OPS = "ops"
"""The operator tools' principal (`leadrelay lag|dlq|insights rebuild`, the lag exporter): describes
every group, reads every topic, writes the topics a DLQ replay re-publishes to, and resets insights'
group for a rebuild."""

CONFIG_FOLLOWERS = ("enrich", "score", "route", "notify", "insights")
"""The services that apply published routing versions (they read `config.published`)."""
CONFIG_PUBLISHER = "route"
"""The service whose operator API publishes a version (it writes `config.published`)."""

BY_NAME = {s.name: s for s in SERVICES}


def service_topics(name: str) -> ServiceTopics | None:
    return BY_NAME.get(name)


def producers(topic: Topic) -> list[str]:
    return [s.name for s in SERVICES if topic in s.writes]


def consumers(topic: Topic) -> list[str]:
    return [s.name for s in SERVICES if topic in s.reads]
