import pytest
from pydantic import ValidationError

from services.capture.intake import GenericLead, body_hash


def test_minimal_lead_with_email_is_valid_and_keeps_unknown_fields() -> None:
    lead = GenericLead.model_validate(
        {"email": " dana@initech.com ", "utm_source": "google", "plan": "pro", "seats": 40}
    )
    fields = lead.to_fields()
    assert lead.missing_contact() == []
    assert fields.email == "dana@initech.com"
    assert fields.utm == {"source": "google"}
    assert fields.extra == {"plan": "pro", "seats": 40}


def test_phone_alone_is_enough_and_may_arrive_as_a_number() -> None:
    lead = GenericLead.model_validate({"phone": 4155550134})
    assert lead.missing_contact() == []
    assert lead.to_fields().phone == "4155550134"


def test_missing_contact_names_both_fields() -> None:
    lead = GenericLead.model_validate({"name": "Dana"})
    assert [e["field"] for e in lead.missing_contact()] == ["email", "phone"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"email": "a@b.com", "name": "x" * 201}, "name"),
        ({"email": "a@b.com", "title": ["VP"]}, "title"),
    ],
)
def test_bad_fields_are_named(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        GenericLead.model_validate(body)
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


def test_body_hash_ignores_key_order() -> None:
    assert body_hash({"a": 1, "b": [1, 2]}) == body_hash({"b": [1, 2], "a": 1})
    assert body_hash({"a": 1}) != body_hash({"a": 2})
