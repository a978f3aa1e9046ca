"""Least-privilege Kafka ACLs, generated from the topology table (shared/topology.py): each service's
principal may read only its input topics and its own consumer group, and write only its output
topics and the dead-letter topics of its inputs. The operator tools' principal (`ops`) may describe
every group, read every topic, re-publish dead letters and reset insights' group for a rebuild.

`leadrelay acl plan` prints them; `leadrelay acl apply` creates the missing ones (run it as a
principal allowed to alter ACLs). aiokafka has no ACL admin call, so the requests are sent with its
own protocol classes (CreateAcls v1, DescribeAcls v1, which Kafka 4 still serves)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest

from shared.kafka import make_admin, topic_name
from shared.settings import BaseServiceSettings
from shared.topics import CONFIG_PUBLISHED, Topic, dlq
from shared.topology import CONFIG_FOLLOWERS, CONFIG_PUBLISHER, OPS, SERVICES

# Kafka's wire codes (org.apache.kafka.common.acl / resource).
RESOURCE = {"TOPIC": 2, "GROUP": 3, "CLUSTER": 4}
RESOURCE_NAMES = {v: k for k, v in RESOURCE.items()}
OPERATION = {"READ": 3, "WRITE": 4, "DESCRIBE": 8}
OPERATION_NAMES = {v: k for k, v in OPERATION.items()}
LITERAL, ANY, ALLOW = 3, 1, 3
DLQ_REPLAY_GROUP = "dlq-replay"


@dataclass(frozen=True, order=True)
class Acl:
    principal: str
    resource: str
    """TOPIC or GROUP"""
    name: str
    operation: str
    """READ, WRITE or DESCRIBE"""

    def __str__(self) -> str:
        return f"ALLOW {self.principal:<18} {self.operation:<8} {self.resource:<5} {self.name}"


def principal_of(service: str, principals: Mapping[str, str]) -> str:
    return principals.get(service, f"User:{service}")


def plan(settings: BaseServiceSettings, principals: Mapping[str, str] | None = None) -> list[Acl]:
    """Every ACL the deployment needs, from the topology; topic and group names carry the prefix."""
    names = principals or {}
    acls: set[Acl] = set()

    def allow(service: str, resource: str, name: str, *operations: str) -> None:
        acls.update(Acl(principal_of(service, names), resource, name, op) for op in operations)

    for service in SERVICES:
        for topic in service.reads:
            allow(service.name, "TOPIC", topic_name(settings, topic.value), "READ", "DESCRIBE")
        for out in (*(t.value for t in service.writes), *service.dead_letters):
            allow(service.name, "TOPIC", topic_name(settings, out), "WRITE", "DESCRIBE")
        if service.group is not None:
            allow(service.name, "GROUP", topic_name(settings, service.group), "READ")
    config = topic_name(settings, CONFIG_PUBLISHED)
    for follower in CONFIG_FOLLOWERS:
        allow(follower, "TOPIC", config, "READ", "DESCRIBE")
    allow(CONFIG_PUBLISHER, "TOPIC", config, "WRITE", "DESCRIBE")
    allow(OPS, "TOPIC", config, "READ", "DESCRIBE")
    for topic in Topic:
        allow(OPS, "TOPIC", topic_name(settings, topic.value), "READ", "WRITE", "DESCRIBE")
        allow(OPS, "TOPIC", topic_name(settings, dlq(topic.value)), "READ", "DESCRIBE")
    for service in SERVICES:
        if service.group is not None:
            allow(OPS, "GROUP", topic_name(settings, service.group), "DESCRIBE")
    allow(OPS, "GROUP", topic_name(settings, "insights"), "READ")
    allow(OPS, "GROUP", topic_name(settings, DLQ_REPLAY_GROUP), "READ")
    return sorted(acls)


async def existing(settings: BaseServiceSettings, principals: Iterable[str]) -> set[Acl]:
    """The ALLOW ACLs the cluster holds for these principals (literal TOPIC and GROUP ones)."""
    admin = make_admin(settings)
    await admin.start()
    found: set[Acl] = set()
    try:
        for principal in sorted(set(principals)):
            request = DescribeAclsRequest(ANY, None, ANY, principal, None, ANY, ANY)
            response = await admin._send_request(request)
            if response.error_code:
                raise for_code(response.error_code)(response.error_message)
            for resource_type, name, pattern, acl_entries in response.resources:
                if resource_type not in RESOURCE_NAMES or pattern != LITERAL:
                    continue
                for acl_principal, _host, operation, permission in acl_entries:
                    if permission == ALLOW and operation in OPERATION_NAMES:
                        found.add(Acl(acl_principal, RESOURCE_NAMES[resource_type], name, OPERATION_NAMES[operation]))
    finally:
        await admin.close()
    return found


async def apply(settings: BaseServiceSettings, wanted: list[Acl]) -> list[Acl]:
    """Create the ACLs of `wanted` the cluster lacks; returns them. Existing ACLs are never removed."""
    have = await existing(settings, {a.principal for a in wanted})
    missing = [a for a in wanted if a not in have]
    admin = make_admin(settings)
    await admin.start()
    try:
        for acl in missing:
            request = CreateAclsRequest(
                RESOURCE[acl.resource], acl.name, LITERAL, acl.principal, "*", OPERATION[acl.operation], ALLOW
            )
            response = await admin._send_request(request)
            for error_code, error_message in response.creation_responses:
                if error_code:
                    raise for_code(error_code)(f"{acl}: {error_message}")
    finally:
        await admin.close()
    return missing
