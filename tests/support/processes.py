"""leadrelay processes under test: started like `make run` starts them, stopped by pid."""

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.stack import ROOT

PYTHON = str(ROOT / ".venv" / "bin" / "python")


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> "Proc":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    def wait_ready(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            try:
                response = httpx.get(url, timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s: {last}\n{self.tail()}")

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, then wait. True when the process shut down by itself: exit 0, or uvicorn's habit of
        re-raising the SIGTERM it handled once its graceful shutdown is complete."""
        if self.popen is None or self.popen.poll() is not None:
            return False
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout) in (0, -signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)
            return False

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def service(name: str, port: int, env: dict[str, str], log_dir: Path) -> Proc:
    return Proc(
        name,
        [PYTHON, "-m", f"services.{name}"],
        {**env, "LEADRELAY_PORT": str(port)},
        log_dir / f"{name}.log",
    )


def slack_standin(
    port: int, env: dict[str, str], log_dir: Path, signing_secret: str | None = None, interactions: str | None = None
) -> Proc:
    args = [PYTHON, "-m", "standins.slack", "--port", str(port)]
    if signing_secret and interactions:
        args += ["--signing-secret", signing_secret, "--interactions-url", interactions]
    return Proc("slack-standin", args, env, log_dir / "slack-standin.log")
