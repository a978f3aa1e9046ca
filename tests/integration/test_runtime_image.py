"""What the image holds: a fresh virtualenv from requirements-runtime.lock alone (as deploy/Dockerfile
builds it, no dev or test tools) must import every module of services/ and shared/ and run every
`leadrelay` command's --help. A module that imports a dev-only package (rich was one) fails here."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import ROOT

LOCK = ROOT / "requirements-runtime.lock"
VENV = ROOT / ".local" / "runtime-venv"


def _digest() -> str:
    parts = (LOCK, ROOT / "pyproject.toml", ROOT / "deploy" / "Dockerfile")
    return hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()


@pytest.fixture(scope="module")
def runtime_python() -> Path:
    """The runtime venv, rebuilt whenever the lock, pyproject or Dockerfile changes (a minute or two)."""
    python, stamp = VENV / "bin" / "python", VENV / ".lock-digest"
    if not (stamp.exists() and stamp.read_text() == _digest() and python.exists()):
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(LOCK)], check=True, timeout=900)
        src = _build_context(VENV / "src")
        subprocess.run([*pip, "--no-deps", str(src)], check=True, timeout=300, cwd=VENV)
        stamp.write_text(_digest())
    return python


def _build_context(target: Path) -> Path:
    """What deploy/Dockerfile's build stage copies to /src before `pip install --no-deps /src`."""
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    build_stage = dockerfile.split("\nFROM ")[1]
    for line in build_stage.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, destination = line.split()[1:]
            for source in sources:
                dest = target / source if destination.endswith("/") else target / Path(destination).name
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, dest, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(ROOT / source, dest)
    return target


def _modules() -> list[str]:
    found = []
    for package in ("shared", "services"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_every_module_imports_with_the_runtime_lock_alone(runtime_python: Path) -> None:
    modules = _modules()
    assert len(modules) > 100, "the walk found the code"
    script = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    result = subprocess.run(
        [str(runtime_python), "-c", script, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        # The app modules build their app at import, which needs settings (a development run's).
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "LEADRELAY_ENV": "development",
            "LEADRELAY_SLACK_BOT_TOKEN": "xoxb-import-check",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_leadrelay_command_answers_help(runtime_python: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = [str(runtime_python.parent / "leadrelay")]
    top = subprocess.run([*run, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert top.returncode == 0, top.stderr
    commands = top.stdout.split("{", 1)[1].split("}", 1)[0].split(",")
    assert {"lag", "topics", "acl", "dlq", "insights", "replay"} <= set(commands), commands
    for command in commands:
        result = subprocess.run(
            [*run, command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
        )
        assert result.returncode == 0 and "usage:" in result.stdout, (command, result.stderr[-2000:])
