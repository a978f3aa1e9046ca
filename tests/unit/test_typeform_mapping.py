"""Real Typeform forms often have opaque refs (UUIDs) and email asked as a short text question: the
adapter falls back to the question titles from the form definition."""

from datetime import UTC, datetime

import orjson

from services.capture.sources.base import Inbound
from services.capture.sources.typeform import Typeform


def inbound(body: dict[str, object]) -> Inbound:
    return Inbound(
        "POST", "http://x/v1/webhooks/typeform", "/v1/webhooks/typeform", {}, {}, orjson.dumps(body), datetime.now(UTC)
    )


def test_opaque_refs_are_mapped_by_question_title() -> None:
    fields = [
        ("ReGqDc2VqMX9", "Your First Name:", "ecbb3121-1bc9-42f0-ae29-29aeee5d39d3", "Priya"),
        ("U4i2uXoZzXPZ", "Your Last Name:", "93bcd199-2648-4d4b-9f01-acc47da04fd8", "Nair"),
        ("aScWB6tE7lKg", "Your Email Address:", "31c5058f-715a-402a-b5aa-5183d9963484", "priya@initech.com"),
        ("vd0HJWiAJM47", "Their Email Address:", "fd0152e7-c549-49c8-aba0-34a01b0647fa", "friend@hooli.com"),
    ]
    body = {
        "event_id": "01E1FT3ZBHA2WA9AZSA2KPJ6RJ",
        "event_type": "form_response",
        "form_response": {
            "form_id": "TZLwUH",
            "token": "01E1FT3ZBHA2WA9AZSA2KPJ6RJ",
            "definition": {
                "id": "TZLwUH",
                "fields": [{"id": i, "title": t, "type": "short_text", "ref": r} for i, t, r, _ in fields],
            },
            "answers": [
                {"type": "text", "text": v, "field": {"id": i, "type": "short_text", "ref": r}} for i, _, r, v in fields
            ],
        },
    }
    parsed = Typeform().parse(inbound(body))
    assert parsed.delivery_id == "01E1FT3ZBHA2WA9AZSA2KPJ6RJ"
    assert parsed.fields is not None
    assert (parsed.fields.first_name, parsed.fields.last_name, parsed.fields.email) == (
        "Priya",
        "Nair",
        "priya@initech.com",
    )
    assert parsed.fields.extra["fd0152e7-c549-49c8-aba0-34a01b0647fa"] == "friend@hooli.com"
