"""docs/config.schema.json is generated from the config models and kept current; both shipped configs
validate against it, and it rejects what the loader rejects."""

import json

import jsonschema_rs
import pytest
import yaml

from shared.business.schema import OUTPUT, render
from shared.settings import ROOT


def test_the_committed_schema_is_current() -> None:
    assert OUTPUT.read_text() == render(), "run `python -m shared.business.schema` and commit docs/config.schema.json"


@pytest.mark.parametrize("name", ["leadrelay.example.yaml", "leadrelay.yaml"])
def test_the_shipped_configs_validate(name: str) -> None:
    schema = json.loads(OUTPUT.read_text())
    jsonschema_rs.validator_for(schema).validate(yaml.safe_load((ROOT / "config" / name).read_text()))


def test_a_misspelt_field_is_refused() -> None:
    schema = json.loads(OUTPUT.read_text())
    config = yaml.safe_load((ROOT / "config" / "leadrelay.yaml").read_text())
    config["routing"]["defualt_pool"] = "inbound"
    with pytest.raises(jsonschema_rs.ValidationError, match="defualt_pool"):
        jsonschema_rs.validator_for(schema).validate(config)
