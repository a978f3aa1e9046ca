"""Settings for running behind a proxy: which peers are trusted, and the public URLs links and
vendor signatures use."""

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from services.notify.config import NotifySettings
from shared.public_url import is_https, public_request_url
from shared.settings import BaseServiceSettings


def test_trusted_proxies_take_a_comma_list_and_refuse_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADRELAY_TRUSTED_PROXIES", "127.0.0.5, 10.0.0.0/8")
    assert BaseServiceSettings().trusted_proxies == ["127.0.0.5", "10.0.0.0/8"]
    monkeypatch.setenv("LEADRELAY_TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ValidationError):
        BaseServiceSettings()


def test_notify_names_links_that_point_at_this_machine() -> None:
    local = NotifySettings(slack_bot_token="xoxb-t", claim_base_url="http://127.0.0.1:8004")
    assert "LEADRELAY_CLAIM_BASE_URL" in local.loopback_links()
    public = NotifySettings(
        slack_bot_token="xoxb-t",
        claim_base_url="https://leads.example.com",
        public_url="https://leads.example.com",
        console_url="https://leads.example.com/console",
    )
    assert public.loopback_links() == []
    assert public.twilio_status_callback_url == "https://leads.example.com/v1/twilio/status"


def _request(scheme: str = "http", path: str = "/v1/webhooks/hubspot", query: bytes = b"") -> Request:
    scope = {
        "type": "http",
        "scheme": scheme,
        "method": "POST",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"10.1.2.3:8000")],
        "server": ("10.1.2.3", 8000),
    }
    return Request(scope)


def test_the_url_a_vendor_signed_is_the_public_one() -> None:
    inside = _request(query=b"portal=1")
    assert public_request_url(inside, None) == "http://10.1.2.3:8000/v1/webhooks/hubspot?portal=1"
    signed = public_request_url(inside, "https://leads.example.com/")
    assert signed == "https://leads.example.com/v1/webhooks/hubspot?portal=1"
    assert not is_https(inside, None) and is_https(inside, "https://leads.example.com")
    assert is_https(_request(scheme="https"), None), "a trusted proxy's X-Forwarded-Proto made it https"


def test_smtp_submission_uses_starttls_by_default() -> None:
    assert NotifySettings(slack_bot_token="xoxb-t").smtp_uses_starttls, "587 is submission: STARTTLS"
    assert not NotifySettings(slack_bot_token="xoxb-t", smtp_port=8025).smtp_uses_starttls
    assert not NotifySettings(slack_bot_token="xoxb-t", smtp_starttls=False).smtp_uses_starttls
