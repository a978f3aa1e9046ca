"""docs/asyncapi.yaml is the contract of every topic, generated from the event models: it must be
current, and every reference in it must resolve."""

from typing import Any

import yaml

from services.ops.asyncapi import OUTPUT, render
from shared.topics import Topic


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_committed_document_is_current() -> None:
    assert OUTPUT.read_text() == render(), "docs/asyncapi.yaml is out of date: run `make asyncapi`"


def test_every_topic_has_a_channel_whose_message_and_payload_resolve() -> None:
    doc = yaml.safe_load(OUTPUT.read_text())
    assert doc["asyncapi"].startswith("3.")
    for topic in Topic:
        channel = doc["channels"][topic.value]
        [message_ref] = [m["$ref"] for m in channel["messages"].values()]
        message = resolve(doc, message_ref)
        payload = resolve(doc, message["payload"]["$ref"])
        assert payload["properties"]["type"]["const"] == topic.value
        assert {"event_id", "lead_id", "correlation_id", "data"} <= set(payload["required"]) | set(
            payload["properties"]
        )
    for name, operation in doc["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        resolve(doc, operation["channel"]["$ref"])
