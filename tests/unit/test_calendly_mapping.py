"""Calendly booking questions are a form's answers: "Company name" and "Job title" become the lead's
company and title, a source's field_map names the others, and an answer never replaces the invitee's
own email."""

import json
from datetime import UTC, datetime

import orjson

from services.capture.sources.base import Inbound
from services.capture.sources.calendly import Calendly
from tests.support.stack import ROOT


def booking(questions: list[tuple[str, str]]) -> Inbound:
    body = json.loads((ROOT / "tests" / "fixtures" / "calendly_invitee_created.json").read_text())
    body["payload"]["questions_and_answers"] = [
        {"question": q, "answer": a, "position": i} for i, (q, a) in enumerate(questions)
    ]
    url = "http://x/v1/webhooks/calendly"
    return Inbound("POST", url, "/v1/webhooks/calendly", {}, {}, orjson.dumps(body), datetime.now(UTC))


def test_booking_questions_are_mapped_like_form_answers() -> None:
    asked = [("Company name", "Globex"), ("Job title", "VP Sales"), ("Work email", "other@hooli.com")]
    parsed = Calendly().parse(booking(asked))
    assert parsed.fields is not None
    assert (parsed.fields.company, parsed.fields.title) == ("Globex", "VP Sales")
    assert parsed.fields.email != "other@hooli.com", "the invitee's email is Calendly's, not an answer's"
    assert parsed.fields.extra["answers"]["Work email"] == "other@hooli.com"


def test_a_field_map_names_what_guessing_cannot() -> None:
    asked = [("Where do you work?", "Initech"), ("What do you do there?", "Head of RevOps")]
    field_map = {"Where do you work?": "company", "What do you do there?": "title"}
    parsed = Calendly().parse(booking(asked), field_map)
    assert parsed.fields is not None
    assert (parsed.fields.company, parsed.fields.title) == ("Initech", "Head of RevOps")
