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


def test_company_name_is_a_company_and_a_field_map_overrides_the_guess() -> None:
    from services.capture.sources.field_map import Answers

    guessed = Answers({})
    guessed.add(("q1", "Company name"), "Hooli", key="q1")
    guessed.add(("q2", "Name"), "Lauren Mbeki", key="q2")
    guessed.add(("q3", "Country name"), "DE", key="q3")
    assert guessed.mapped() == ({"company": "Hooli", "name": "Lauren Mbeki", "country": "DE"}, {})

    mapped = Answers({"Q2": "extra.contact", "q9": "email", "Legacy": "ignore"})
    mapped.add(("q2", "Name"), "Lauren Mbeki", key="q2")
    mapped.add(("q8", "Email"), "guess@hooli.com", key="q8")
    mapped.add(("q9", "Reach you at"), "lauren@hooli.com", key="q9")
    mapped.add(("q10", "legacy"), "x", key="q10")
    assert mapped.mapped() == (
        {"email": "lauren@hooli.com"},
        {"contact": "Lauren Mbeki", "q8": "guess@hooli.com"},
    ), "configured targets win over guesses; the guessed duplicate stays in extra; ignore drops"
