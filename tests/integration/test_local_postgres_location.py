"""`make run` from a checkout in a directory the postgres user cannot enter (root's home, mode 0700):
the local cluster still starts, kept under /var/lib/leadrelay in a directory of its own."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.inprocess import free_port
from tests.support.stack import ROOT

AS_ROOT = os.geteuid() == 0
"""Only root hands the server to the postgres user; anyone else runs it as themselves, and then the
checkout's own directory always works."""


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
        psql = ["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-tAc", "select 1"]
        answer = subprocess.run(
            ["runuser", "-u", "postgres", "--", *psql] if AS_ROOT else psql, capture_output=True, text=True, timeout=30
        )
        assert answer.stdout.strip() == "1", answer.stderr
        in_checkout = (home / "checkout" / ".local" / "postgres" / "data").exists()
        assert in_checkout != AS_ROOT, "as root, the cluster lives where the postgres user can enter"
    finally:
        subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True, timeout=120)
        for located in Path("/var/lib/leadrelay").glob("pg-*"):
            if (located / "data" / "postmaster.opts").exists() and port in (
                located / "data" / "postmaster.opts"
            ).read_text():
                shutil.rmtree(located, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
