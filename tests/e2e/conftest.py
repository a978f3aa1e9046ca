from collections.abc import Iterator

import pytest

from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import ROOT, Stack


@pytest.fixture(scope="module")
def pipeline(stack: Stack) -> Iterator[Pipeline]:
    only_here = {"LEADRELAY_ALLOW_PRIVATE_URLS": "true", "LEADRELAY_ALLOWED_HOSTS": '["127.0.0.1"]'}
    logs = ROOT / ".local" / "test-logs" / "e2e"
    with run_pipeline(stack, logs, insights=True, outbound=True, extra_env=only_here) as running:
        yield running
