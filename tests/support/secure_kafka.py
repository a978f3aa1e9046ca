"""A broker started by `deploy/local/kafka.sh --secure` for one test module: SASL_SSL with SCRAM-SHA-512,
a local CA, one user per service, StandardAuthorizer. Fresh state each time, on free ports."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port_block
from tests.support.stack import ROOT

SCRIPT = ROOT / "deploy" / "local" / "kafka.sh"


@dataclass(frozen=True)
class SecureKafka:
    directory: Path
    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def cafile(self) -> Path:
        return self.directory / "tls" / "ca.crt"

    def password(self, principal: str) -> str:
        for line in (self.directory / "credentials").read_text().splitlines():
            name, secret = line.split()
            if name == principal:
                return secret
        raise KeyError(principal)

    def env(self, principal: str, password: str | None = None) -> dict[str, str]:
        """A leadrelay process's settings to connect as `principal`."""
        return {
            "LEADRELAY_KAFKA_BOOTSTRAP": self.bootstrap,
            "LEADRELAY_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "LEADRELAY_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "LEADRELAY_KAFKA_SASL_USERNAME": principal,
            "LEADRELAY_KAFKA_SASL_PASSWORD": password if password is not None else self.password(principal),
            "LEADRELAY_KAFKA_SSL_CAFILE": str(self.cafile),
        }

    def run(self, action: str) -> None:
        env = {"LEADRELAY_KAFKA_DIR": str(self.directory), "LEADRELAY_KAFKA_PORT": str(self.port), "PATH": _path()}
        result = subprocess.run(
            ["bash", str(SCRIPT), "--secure", action], env=env, capture_output=True, text=True, timeout=180
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka.sh --secure {action} failed:\n{result.stdout}\n{result.stderr}")


def _path() -> str:
    return os.environ.get("PATH", "/usr/bin:/bin")


@contextmanager
def secure_kafka() -> Iterator[SecureKafka]:
    directory = ROOT / ".local" / "test-kafka-secure"
    shutil.rmtree(directory, ignore_errors=True)
    broker = SecureKafka(directory, free_port_block(2))
    broker.run("start")
    try:
        yield broker
    finally:
        broker.run("stop")
