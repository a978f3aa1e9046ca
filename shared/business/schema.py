"""`python -m shared.business.schema`: the business rules file's JSON Schema, generated from the same
pydantic models that validate it at start-up, written to docs/config.schema.json (a unit test fails
when the committed file is out of date). Editors validate and complete the YAML with it, e.g.
`# yaml-language-server: $schema=../docs/config.schema.json` on the file's first line."""

import json
from typing import Any

from shared.business.loader import BusinessConfig
from shared.settings import ROOT

OUTPUT = ROOT / "docs" / "config.schema.json"
SECRET_REF = {
    "anyOf": [
        {"type": "string", "minLength": 8},
        {"type": "object", "properties": {"secret_env": {"type": "string"}}, "required": ["secret_env"],
         "additionalProperties": False},
        {"type": "object", "properties": {"secret_file": {"type": "string"}}, "required": ["secret_file"],
         "additionalProperties": False},
    ],
    "description": "The secret inline, or {secret_env: NAME}, or {secret_file: PATH}.",
}  # fmt: skip


def _secrets_by_reference(node: Any) -> Any:
    """A secret may be written as a reference (shared/business/secrets.py), which the models resolve
    before validation; say so in the schema."""
    if isinstance(node, dict):
        if node.get("format") == "password" and node.get("type") == "string":
            return {**SECRET_REF, "title": node.get("title", "Secret")}
        return {k: _secrets_by_reference(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_secrets_by_reference(v) for v in node]
    return node


def schema() -> dict[str, Any]:
    generated = BusinessConfig.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://leadrelay.dev/config.schema.json",
        **_secrets_by_reference(generated),
    }


def render() -> str:
    return json.dumps(schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
