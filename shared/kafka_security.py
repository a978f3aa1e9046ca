"""How every Kafka client of leadrelay authenticates: one settings block, turned into aiokafka's own
options (`security_protocol`, `sasl_*`, `ssl_context`) for producers, consumers and admin clients alike.

    PLAINTEXT       the local stack
    SSL             TLS, optionally with a client certificate (mTLS, e.g. Aiven)
    SASL_PLAINTEXT  SASL without TLS (only inside a trusted network)
    SASL_SSL        TLS + SASL PLAIN (Confluent Cloud) or SCRAM-SHA-256/512 (MSK, Redpanda, Aiven)
"""

import ssl
from pathlib import Path
from typing import Any, Literal, Self

from aiokafka.helpers import create_ssl_context
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSecuritySettings(BaseSettings):
    """The Kafka part of every process's settings (prefix LEADRELAY_, secrets also from *_FILE)."""

    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512", description="PLAIN (Confluent Cloud) or SCRAM-SHA-256/512 (MSK, Aiven, Redpanda)."
    )
    kafka_sasl_username: str | None = Field(default=None, description="This service's own principal.")
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="PEM file of the CA that signed the brokers' certificates (default: system CAs)."
    )
    kafka_ssl_certfile: Path | None = Field(default=None, description="PEM client certificate, for mTLS.")
    kafka_ssl_keyfile: Path | None = Field(default=None, description="PEM key of the client certificate.")
    kafka_ssl_key_password: SecretStr | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        protocol = self.kafka_security_protocol
        if protocol.startswith("SASL_") and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(f"kafka_security_protocol {protocol} needs kafka_sasl_username and kafka_sasl_password")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("kafka_ssl_certfile and kafka_ssl_keyfile go together (mTLS)")
        tls_files = (self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        if not protocol.endswith("SSL") and any(tls_files):
            raise ValueError(f"kafka_ssl_* files are set but kafka_security_protocol is {protocol} (no TLS)")
        for name, path in zip(("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile"), tls_files, strict=True):
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file {path}")
        return self


def kafka_ssl_context(settings: KafkaSecuritySettings) -> ssl.SSLContext:
    """TLS that verifies the broker's certificate and host name, with the client certificate if given."""
    key_password = settings.kafka_ssl_key_password
    context: ssl.SSLContext = create_ssl_context(
        cafile=settings.kafka_ssl_cafile,
        certfile=settings.kafka_ssl_certfile,
        keyfile=settings.kafka_ssl_keyfile,
        password=key_password.get_secret_value() if key_password else None,
    )
    return context


def kafka_client_options(settings: KafkaSecuritySettings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client (AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient)."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.endswith("SSL"):
        options["ssl_context"] = kafka_ssl_context(settings)
    if protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=password.get_secret_value() if password else None,
        )
    return options


def describe_kafka_failure(exc: BaseException) -> str:
    """A readiness message that names the cause of a failed broker call: wrong credentials, an
    untrusted certificate, a missing ACL, or an unreachable broker."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__
    text = " | ".join(f"{type(e).__name__}: {e}" for e in chain)
    lowered = text.lower()
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "certificate verify failed" in lowered:
        return f"TLS: the broker's certificate is not trusted (check kafka_ssl_cafile): {text}"
    if "authentication" in lowered or "sasl" in lowered:
        return f"SASL authentication failed (wrong username or password, or mechanism): {text}"
    if "authorization" in lowered:
        return f"not authorized (check this principal's ACLs): {text}"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return f"TLS handshake failed (is the listener TLS? a client certificate required?): {text}"
    if isinstance(exc, TimeoutError):
        return "broker did not answer within the readiness timeout (unreachable, or TLS/SASL mismatch)"
    return f"broker unreachable: {text}"
