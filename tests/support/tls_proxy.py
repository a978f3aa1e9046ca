"""Debian's nginx terminating TLS in front of the services, from deploy/nginx/leadrelay.conf.template,
with a CA and server certificate made by openssl. nginx connects to the services from 127.0.0.5
(proxy_bind), as an ingress pod would from its own address, so nothing on 127.0.0.1 is trusted by
accident."""

import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template

import httpx

from tests.support.inprocess import free_port
from tests.support.stack import ROOT

TEMPLATE = ROOT / "deploy" / "nginx" / "leadrelay.conf.template"
CERTS = ROOT / "deploy" / "local" / "certs.sh"
PROXY_ADDRESS = "127.0.0.5"


@dataclass(frozen=True)
class TlsProxy:
    url: str
    cafile: Path


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1 and localhost, by deploy/local/certs.sh."""
    subprocess.run([str(CERTS), str(directory), "leadrelay test CA"], check=True, capture_output=True, timeout=60)
    return directory / "ca.crt", directory / "server.crt", directory / "server.key"


@contextmanager
def tls_proxy(upstreams: dict[str, int], directory: Path, port: int | None = None) -> Iterator[TlsProxy]:
    """nginx on `port` (else a free one) with TLS, proxying to capture, notify, route and insights."""
    shutil.rmtree(directory, ignore_errors=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    subprocess.run(["chmod", "-R", "a+rwx", str(directory / "tmp")], check=True)
    ca, cert, key = make_certificates(directory / "tls")
    port = port or free_port()
    config = Template(TEMPLATE.read_text()).safe_substitute(
        DIR=str(directory),
        LISTEN="127.0.0.1",
        PORT=str(port),
        SERVER_NAME="localhost",
        CERT=str(cert),
        KEY=str(key),
        PROXY_ADDRESS=PROXY_ADDRESS,
        CAPTURE=f"127.0.0.1:{upstreams['capture']}",
        NOTIFY=f"127.0.0.1:{upstreams['notify']}",
        ROUTE=f"127.0.0.1:{upstreams['route']}",
        INSIGHTS=f"127.0.0.1:{upstreams['insights']}",
    )
    assert "${" not in config, "a placeholder of the template was left unfilled"
    (directory / "nginx.conf").write_text(config)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    log = (directory / "stdout.log").open("wb")
    proc = subprocess.Popen(
        [nginx, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    proxy = TlsProxy(f"https://127.0.0.1:{port}", ca)
    try:
        _wait(proxy, proc, directory)
        yield proxy
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait(proxy: TlsProxy, proc: subprocess.Popen[bytes], directory: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {(directory / 'stdout.log').read_text()}{_error_log(directory)}")
        try:
            httpx.get(
                f"{proxy.url}/nothing-here", verify=ssl.create_default_context(cafile=str(proxy.cafile)), timeout=2
            )
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"nginx did not answer over TLS in {timeout}s{_error_log(directory)}")


def _error_log(directory: Path) -> str:
    path = directory / "error.log"
    return path.read_text() if path.exists() else ""
