"""`make run` from a checkout in a directory the postgres user cannot enter (root's home, mode 0700):
the local cluster still starts, kept under /var/lib/leadrelay in a directory of its own."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.inprocess import free_port
from tests.support.stack import ROOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")


def test_a_checkout_postgres_cannot_enter_still_gets_its_cluster() -> None:
    home = Path(tempfile.mkdtemp(prefix="leadrelay-home-"))
    home.chmod(0o700)
    script = home / "checkout" / "deploy" / "local" / "postgres.sh"
    script.parent.mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "local" / "postgres.sh", script)
    port = str(free_port())
    env = {**os.environ, "LEADRELAY_PG_PORT": port}
    env.pop("LEADRELAY_PG_DIR", None)
    try:
        started = subprocess.run(["bash", str(script), "start"], env=env, capture_output=True, text=True, timeout=180)
        assert started.returncode == 0, started.stderr
        answer = subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-U",
                "postgres",
                "-tAc",
                "select 1",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert answer.stdout.strip() == "1", answer.stderr
        assert not (home / "checkout" / ".local" / "postgres" / "data").exists(), "the cluster is not in the checkout"
    finally:
        subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True, timeout=120)
        for located in Path("/var/lib/leadrelay").glob("pg-*"):
            if (located / "data" / "postmaster.opts").exists() and port in (
                located / "data" / "postmaster.opts"
            ).read_text():
                shutil.rmtree(located, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
