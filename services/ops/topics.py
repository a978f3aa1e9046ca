"""`leadrelay topics plan|apply`: provision the declared topics (shared/topic_plan.py) on any cluster.

The plan compares the declared table with the cluster and lists what apply would do: create a
topic, add partitions, or set a managed config (retention, min.insync.replicas). It refuses what
cannot be done safely: fewer partitions (Kafka cannot remove them, and keys would move), and a
different replication factor (lowering loses copies; raising needs a partition reassignment, which
is an operator's decision). Apply is idempotent: a second run finds nothing to do."""

from dataclasses import dataclass, field

from aiokafka.admin import NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

from shared.kafka import TOPIC_ALREADY_EXISTS, make_admin
from shared.settings import BaseServiceSettings
from shared.topic_plan import TopicSpec, declared_topics


@dataclass(frozen=True)
class TopicState:
    partitions: int
    replication: int
    configs: dict[str, str]


@dataclass
class TopicPlan:
    create: list[TopicSpec] = field(default_factory=list)
    add_partitions: list[tuple[TopicSpec, int]] = field(default_factory=list)
    """(spec, partitions now)"""
    alter: list[tuple[TopicSpec, dict[str, tuple[str | None, str]]]] = field(default_factory=list)
    """(spec, {config: (now, wanted)})"""
    refused: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.add_partitions) + len(self.alter)

    def lines(self) -> list[str]:
        out = [
            f"+ create {s.name}: partitions {s.partitions}, replication {s.replication},"
            f" min.insync.replicas {s.min_insync_replicas}, retention.ms {s.retention_ms}"
            for s in self.create
        ]
        out += [f"~ partitions {s.name}: {now} -> {s.partitions}" for s, now in self.add_partitions]
        for spec, diff in self.alter:
            out += [f"~ config {spec.name}: {key} {now} -> {want}" for key, (now, want) in sorted(diff.items())]
        out += [f"! refused {reason}" for reason in self.refused]
        if not out:
            out.append("= every declared topic matches the cluster; nothing to do")
        return out


def compare(declared: list[TopicSpec], cluster: dict[str, TopicState]) -> TopicPlan:
    """The pure diff between the declared table and what the cluster has."""
    plan = TopicPlan()
    for spec in declared:
        state = cluster.get(spec.name)
        if state is None:
            plan.create.append(spec)
            continue
        if spec.partitions < state.partitions:
            plan.refused.append(
                f"{spec.name}: has {state.partitions} partitions, declared {spec.partitions};"
                " partitions cannot be removed (raise the declared count instead)"
            )
        elif spec.partitions > state.partitions:
            plan.add_partitions.append((spec, state.partitions))
        if spec.replication != state.replication:
            verb = "lowering" if spec.replication < state.replication else "raising"
            plan.refused.append(
                f"{spec.name}: replication factor {state.replication}, declared {spec.replication};"
                f" {verb} it needs kafka-reassign-partitions, not this tool"
            )
        diff = {
            key: (state.configs.get(key), want)
            for key, want in spec.configs().items()
            if state.configs.get(key) != want
        }
        if diff:
            plan.alter.append((spec, diff))
    return plan


async def read_cluster(settings: BaseServiceSettings, names: list[str]) -> dict[str, TopicState]:
    admin = make_admin(settings)
    await admin.start()
    try:
        present = [n for n in names if n in set(await admin.list_topics())]
        if not present:
            return {}
        described = await admin.describe_topics(present)
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in present]
        configs: dict[str, dict[str, str]] = {}
        for response in await admin.describe_configs(resources):
            for error_code, error_message, _type, name, entries in response.resources:
                if error_code:
                    raise for_code(error_code)(f"{name}: {error_message}")
                configs[name] = {entry[0]: entry[1] for entry in entries}
    finally:
        await admin.close()
    return {
        t["topic"]: TopicState(
            partitions=len(t["partitions"]),
            replication=max((len(p["replicas"]) for p in t["partitions"]), default=0),
            configs=configs.get(t["topic"], {}),
        )
        for t in described
    }


async def make_plan(settings: BaseServiceSettings) -> TopicPlan:
    declared = declared_topics(settings)
    return compare(declared, await read_cluster(settings, [s.name for s in declared]))


async def apply(settings: BaseServiceSettings, plan: TopicPlan) -> None:
    """Carry out a plan with no refusals (the caller checks)."""
    admin = make_admin(settings)
    await admin.start()
    try:
        if plan.create:
            new = [NewTopic(s.name, s.partitions, s.replication, topic_configs=s.configs()) for s in plan.create]
            response = await admin.create_topics(new)
            for topic, code, *rest in response.topic_errors:
                if code not in (0, TOPIC_ALREADY_EXISTS):
                    raise for_code(code)(f"cannot create {topic}: {rest}")
        if plan.add_partitions:
            await admin.create_partitions({s.name: NewPartitions(s.partitions) for s, _ in plan.add_partitions})
        if plan.alter:
            # AlterConfigs replaces a topic's whole set of overrides: send every managed config.
            resources = [ConfigResource(ConfigResourceType.TOPIC, s.name, s.configs()) for s, _ in plan.alter]
            for response in await admin.alter_configs(resources):
                for error_code, error_message, _type, name in response.resources:
                    if error_code:
                        raise for_code(error_code)(f"{name}: {error_message}")
    finally:
        await admin.close()
