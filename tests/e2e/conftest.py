from collections.abc import Iterator

import pytest

from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import ROOT, Stack


@pytest.fixture(scope="module")
def pipeline(stack: Stack) -> Iterator[Pipeline]:
    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e", insights=True) as running:
        yield running
