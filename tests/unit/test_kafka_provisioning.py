"""The topology table, the ACLs and topic plans generated from it, and the Kafka security settings."""

import ssl

import pytest
from pydantic import ValidationError

from services.enrich.handler import STAGE as ENRICH
from services.insights.handler import STAGE as INSIGHTS
from services.notify.handler import STAGE as NOTIFY
from services.ops.acls import Acl, plan
from services.ops.topics import TopicState, compare
from services.outbound.handler import STAGE as OUTBOUND
from services.route.handler import STAGE as ROUTE
from services.score.handler import STAGE as SCORE
from shared.kafka_security import describe_kafka_failure, kafka_client_options
from shared.settings import BaseServiceSettings
from shared.topic_plan import declared_topics
from shared.topology import BY_NAME


def test_the_topology_reads_what_each_stage_consumes() -> None:
    for stage in (ENRICH, SCORE, ROUTE, NOTIFY, INSIGHTS, OUTBOUND):
        assert set(BY_NAME[stage.name].reads) == set(stage.inputs), stage.name


def test_acls_grant_each_service_only_its_topics_and_group() -> None:
    acls = plan(BaseServiceSettings(topic_prefix="p."))
    enrich = {(a.resource, a.name, a.operation) for a in acls if a.principal == "User:enrich"}
    assert enrich == {
        ("TOPIC", "p.lead.captured", "READ"),
        ("TOPIC", "p.lead.captured", "DESCRIBE"),
        ("TOPIC", "p.lead.enriched", "WRITE"),
        ("TOPIC", "p.lead.enriched", "DESCRIBE"),
        ("TOPIC", "p.lead.captured.dlq", "WRITE"),
        ("TOPIC", "p.lead.captured.dlq", "DESCRIBE"),
        ("GROUP", "p.enrich", "READ"),
        ("TOPIC", "p.config.published", "READ"),
        ("TOPIC", "p.config.published", "DESCRIBE"),
    }, "enrich follows the routing versions (accounts)"
    writers = {a.principal for a in acls if a.name == "p.config.published" and a.operation == "WRITE"}
    assert writers == {"User:route"}, "only route publishes a routing version"
    assert Acl("User:notify", "TOPIC", "p.lead.captured", "READ") not in acls
    capture = {(a.resource, a.operation) for a in acls if a.principal == "User:capture"}
    assert ("GROUP", "READ") not in capture and ("TOPIC", "READ") not in capture, "capture consumes nothing"


def test_acls_use_the_principals_given() -> None:
    acls = plan(BaseServiceSettings(), {"route": "User:sa-route-123"})
    assert {a.principal for a in acls if a.name == "lead.scored" and a.operation == "READ"} >= {"User:sa-route-123"}
    assert not any(a.principal == "User:route" for a in acls)


def _state(partitions: int = 6, replication: int = 3, retention: str = "-1") -> TopicState:
    return TopicState(
        partitions, replication, {"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": retention}
    )


def _declared() -> list:  # type: ignore[type-arg]
    settings = BaseServiceSettings(topic_replication=3, topic_min_insync_replicas=2, topic_prefix="p.")
    return [t for t in declared_topics(settings) if t.name == "p.lead.scored"]


def test_topic_plan_creates_grows_and_alters() -> None:
    [spec] = _declared()
    assert compare([spec], {}).create == [spec]
    grown = compare([spec], {spec.name: _state(partitions=3)})
    assert grown.add_partitions == [(spec, 3)] and not grown.refused
    altered = compare([spec], {spec.name: _state(retention="604800000")})
    assert altered.alter == [(spec, {"retention.ms": ("604800000", "-1")})]
    assert compare([spec], {spec.name: _state()}).changes == 0


def test_topic_plan_refuses_to_shrink_partitions_or_change_replication() -> None:
    [spec] = _declared()
    shrink = compare([spec], {spec.name: _state(partitions=12)})
    assert shrink.refused and "cannot be removed" in shrink.refused[0]
    lower = compare([spec], {spec.name: _state(replication=5)})
    assert lower.refused and "lowering" in lower.refused[0]


def test_min_insync_above_replication_is_refused() -> None:
    with pytest.raises(ValueError, match="min_insync"):
        declared_topics(BaseServiceSettings(topic_replication=1, topic_min_insync_replicas=2))


def test_sasl_without_credentials_is_a_settings_error() -> None:
    with pytest.raises(ValidationError, match="kafka_sasl_username"):
        BaseServiceSettings(kafka_security_protocol="SASL_SSL")
    with pytest.raises(ValidationError, match="no such file"):
        BaseServiceSettings(kafka_security_protocol="SSL", kafka_ssl_cafile="/nonexistent/ca.pem")


def test_client_options_carry_sasl_and_tls() -> None:
    settings = BaseServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="svc",
        kafka_sasl_password="pw",
    )
    options = kafka_client_options(settings)
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "PLAIN"
    assert options["sasl_plain_username"] == "svc" and options["sasl_plain_password"] == "pw"
    assert isinstance(options["ssl_context"], ssl.SSLContext) and options["ssl_context"].check_hostname
    assert kafka_client_options(BaseServiceSettings()) == {"security_protocol": "PLAINTEXT"}


def test_failures_are_named() -> None:
    verify = ssl.SSLCertVerificationError("certificate verify failed: unable to get local issuer certificate")
    assert describe_kafka_failure(verify).startswith("TLS: the broker's certificate is not trusted")
    sasl = RuntimeError("[Error 58] SaslAuthenticationFailed: invalid credentials")
    assert describe_kafka_failure(sasl).startswith("SASL authentication failed")
