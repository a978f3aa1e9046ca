"""What a lead looks like on the wire, per system: the baselines take generic JSON; leadrelay as deployed
takes a mix of signed vendor deliveries (Typeform, Calendly, Webflow, Unbounce) and generic leads with
an API key, each built from the vendor's sample payload with the bench tag in the email, a fresh
delivery id and a job title (so that every lead is routed to a rep and alerted, which is what the
bench times), signed at send time with the example config's secrets."""

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from shared.business.loader import load_config
from tests.support import signing
from tests.support.stack import INTAKE, ROOT

FIXTURES = ROOT / "tests" / "fixtures"
Request = tuple[str, dict[str, str], bytes]
"""(URL, headers, body) of one lead's delivery."""
Builder = Callable[[str], Request]
MIX = ("generic", "typeform", "calendly", "webflow", "unbounce")


def generic_lead(tag: str) -> dict[str, str]:
    return {"email": f"bench+{tag}@initech.com", "name": f"Bench {tag}", "title": "VP Sales", "company": "Initech"}


def generic(url: str, headers: dict[str, str]) -> Builder:
    return lambda tag: (url, {**headers, "Content-Type": "application/json"}, json.dumps(generic_lead(tag)).encode())


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _phone(tag: str, prefix: str, digits: int = 7) -> str:
    """A number of the lead's own: each vendor's sample carries one fixed number (Typeform, Unbounce,
    Calendly's text_reminder_number, Webflow's Phone), which made all of that source's leads one
    person to sticky routing, and its phone lookup match thousands of leads."""
    return f"{prefix}{int(tag[:8], 16) % 10**digits:0{digits}d}"


class VendorMix:
    """Leads in turn from each source of MIX, to capture's `/v1/webhooks/<source>`."""

    def __init__(self, capture: str) -> None:
        self._capture = capture
        config = load_config(ROOT / "config" / "leadrelay.example.yaml")
        self._secrets = {s.id: s.secret.get_secret_value() for s in config.sources}
        self._typeform = _fixture("typeform_form_response.json")
        self._calendly = _fixture("calendly_invitee_created.json")
        self._webflow = _fixture("webflow_form_submission.json")
        self._unbounce = _fixture("unbounce_data.json")
        self._count = 0
        self._builders: dict[str, Builder] = {
            "generic": self._generic_request,
            "typeform": self._typeform_request,
            "calendly": self._calendly_request,
            "webflow": self._webflow_request,
            "unbounce": self._unbounce_request,
        }

    def __call__(self, tag: str) -> Request:
        source = MIX[self._count % len(MIX)]
        self._count += 1
        return self._builders[source](tag)

    def _url(self, source: str) -> str:
        return f"{self._capture}/v1/webhooks/{source}"

    def _generic_request(self, tag: str) -> Request:
        return generic(self._url("generic"), dict(INTAKE))(tag)

    def _typeform_request(self, tag: str) -> Request:
        body = copy.deepcopy(self._typeform)
        body["form_response"]["token"] = tag
        for answer in body["form_response"]["answers"]:
            if answer["type"] == "email":
                answer["email"] = f"bench+{tag}@hooli.com"
            if answer["type"] == "phone_number":
                answer["phone_number"] = _phone(tag, "+1415")
        raw = json.dumps(body).encode()
        url = self._url("typeform")
        return url, signing.typeform(self._secrets["typeform"], raw, datetime.now(UTC), url), raw

    def _calendly_request(self, tag: str) -> Request:
        body = copy.deepcopy(self._calendly)
        body["payload"]["email"] = f"bench+{tag}@globex.com"
        body["payload"]["text_reminder_number"] = _phone(tag, "+1312")
        body["payload"]["uri"] = f"https://api.calendly.com/scheduled_events/BENCH/invitees/{tag}"
        body["payload"]["questions_and_answers"].append({"answer": "VP Sales", "position": 2, "question": "Job title"})
        raw = json.dumps(body).encode()
        url = self._url("calendly")
        return url, signing.calendly(self._secrets["calendly"], raw, datetime.now(UTC), url), raw

    def _webflow_request(self, tag: str) -> Request:
        body = copy.deepcopy(self._webflow)
        body["payload"]["id"] = tag
        body["payload"]["data"]["Email"] = f"bench+{tag}@starklogistics.com"
        body["payload"]["data"]["Job title"] = "VP Sales"
        body["payload"]["data"]["Phone"] = int(_phone(tag, "+49151").lstrip("+"))
        raw = json.dumps(body).encode()
        url = self._url("webflow")
        return url, signing.webflow(self._secrets["webflow"], raw, datetime.now(UTC), url), raw

    def _unbounce_request(self, tag: str) -> Request:
        own = {"email": [f"bench+{tag}@umbrellahealth.com"], "phone_number": [_phone(tag, "+4420", 8)]}
        data = {**self._unbounce, **own}
        raw = urlencode({"data.json": json.dumps(data), "page_id": "bench", "page_url": "https://try.example.com"})
        url = f"{self._url('unbounce')}?token={self._secrets['unbounce']}"
        return url, signing.unbounce(self._secrets["unbounce"], raw.encode(), datetime.now(UTC), url), raw.encode()
