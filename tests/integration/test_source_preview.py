"""`POST /v1/sources/<id>/preview` against a real capture process: an operator sees how a vendor's
sample maps with the source's field_map (and the label guesses), nothing is stored, and everyone
else, and every payload that maps to no lead, gets a clear refusal."""

from urllib.parse import urlencode

import httpx
import orjson

from tests.integration.test_vendor_sources import stored
from tests.support.stack import INTAKE, OPS, ROOT, Stack

FIXTURES = ROOT / "tests" / "fixtures"


def typeform_titled(questions: list[tuple[str, str, str]]) -> bytes:
    """A Typeform delivery whose questions have opaque refs: (ref, title, answer)."""
    return orjson.dumps(
        {
            "event_type": "form_response",
            "form_response": {
                "form_id": "Zx81Kq",
                "token": "preview-token-1",
                "definition": {
                    "fields": [{"id": f"id-{r}", "title": t, "type": "short_text", "ref": r} for r, t, _ in questions]
                },
                "answers": [
                    {"type": "text", "text": a, "field": {"id": f"id-{r}", "type": "short_text", "ref": r}}
                    for r, _, a in questions
                ],
            },
        }
    )


async def test_preview_maps_with_the_field_map_and_label_guesses_and_stores_nothing(capture: str, stack: Stack) -> None:
    before = await stored(stack)
    body = typeform_titled(
        [
            ("a1b2", "Company name", "Hooli"),
            ("c3d4", "Your name", "Lauren Mbeki"),
            ("e5f6", "Work email address", "lauren@hooli.com"),
            ("seats", "How many seats?", "50-200"),
        ]
    )
    async with httpx.AsyncClient() as http:
        typeform = await http.post(f"{capture}/v1/sources/typeform/preview", content=body, headers=OPS)
        sample = (FIXTURES / "webflow_form_submission.json").read_bytes()
        webflow = await http.post(f"{capture}/v1/sources/webflow-dashboard/preview", content=sample, headers=OPS)
        unbounce = await http.post(
            f"{capture}/v1/sources/unbounce/preview",
            content=urlencode(
                {"data.json": orjson.dumps({"email": ["ana@umbrella.com"], "page_name": ["Demo"]}).decode()}
            ).encode(),
            headers={**OPS, "Content-Type": "application/x-www-form-urlencoded"},
        )
    assert typeform.status_code == 200, typeform.text
    fields = typeform.json()["fields"]
    assert (fields["company"], fields["first_name"], fields["last_name"], fields["email"]) == (
        "Hooli",
        "Lauren",
        "Mbeki",
        "lauren@hooli.com",
    ), "'Company name' is the company, not the person's name"
    assert fields["extra"]["team_size"] == "50-200", "the configured field_map (seats -> extra.team_size)"
    assert typeform.json()["stored"] is False
    assert webflow.status_code == 200 and webflow.json()["fields"]["notes"].startswith("We route")
    assert unbounce.status_code == 200 and "first_name" not in unbounce.json()["fields"], "page_name is not a name"
    assert await stored(stack) == before, "a preview stores and publishes nothing"


async def test_preview_refusals(capture: str) -> None:
    body = (FIXTURES / "typeform_form_response.json").read_bytes()
    async with httpx.AsyncClient() as http:
        anonymous = await http.post(f"{capture}/v1/sources/typeform/preview", content=body)
        intake = await http.post(f"{capture}/v1/sources/typeform/preview", content=body, headers=INTAKE)
        unknown = await http.post(f"{capture}/v1/sources/nosuch/preview", content=body, headers=OPS)
        meta = await http.post(f"{capture}/v1/sources/facebook/preview", content=b"{}", headers=OPS)
        garbage = await http.post(f"{capture}/v1/sources/typeform/preview", content=b"\x00not json", headers=OPS)
        no_contact = await http.post(
            f"{capture}/v1/sources/typeform/preview",
            content=typeform_titled([("x", "Favourite colour", "teal")]),
            headers=OPS,
        )
        looked = await http.get(f"{capture}/v1/sources/typeform/preview", headers=OPS)
    assert anonymous.status_code == 401 and anonymous.json()["fields"][0]["field"] == "X-API-Key"
    assert intake.status_code == 403, "an intake key is not an operator"
    assert unknown.status_code == 404 and unknown.json()["fields"][0]["field"] == "source"
    assert meta.status_code == 422 and meta.json()["fields"][0]["field"] == "source"
    assert garbage.status_code == 422 and garbage.json()["fields"][0]["field"] == "form_response"
    assert no_contact.status_code == 422 and no_contact.json()["fields"][0]["field"] == "answers"
    assert looked.status_code == 405
