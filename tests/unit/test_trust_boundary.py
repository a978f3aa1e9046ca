"""Pure pieces of the trust boundary: mrkdwn escaping, Claim button values, secret policy, rate limits,
secret references, and our Slack / Twilio / Standard Webhooks checks against the vendors' own code."""

import time
from pathlib import Path
from uuid import uuid4

import pytest
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from twilio.request_validator import RequestValidator

from services.notify.channels.twilio import twilio_signature
from services.notify.interactions import claim_action
from services.notify.message import alert_blocks, alert_text, mrkdwn
from services.notify.slack_request import signature_ok
from shared.business.loader import ConfigError, load_config
from shared.http_errors import ApiError
from shared.rate_limit import RateLimiter
from shared.secret_compare import same_secret
from shared.secret_policy import weak_secrets
from shared.settings import BaseServiceSettings
from tests.unit.test_notify_message import assignment

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "leadrelay.example.yaml"


def test_lead_text_cannot_ping_a_channel_or_plant_a_link() -> None:
    a = assignment()
    hostile = a.model_copy(update={"lead": a.lead.model_copy(update={"title": "<!channel> <https://evil|Claim>"})})
    blocks = str(alert_blocks(hostile))
    assert "<!channel>" not in blocks and "<https://evil|Claim>" not in blocks
    assert "&lt;!channel&gt; &lt;https://evil|Claim&gt;" in blocks
    assert mrkdwn(alert_text(hostile)) == mrkdwn(alert_text(hostile)).replace("<", "")


def test_claim_button_values_must_be_our_ids() -> None:
    good = f'payload={{"actions": [{{"action_id": "claim", "value": "{uuid4()}|alice"}}]}}'.encode()
    assert claim_action(good) is not None
    for value in ("../reps/x/pause|alice", f"{uuid4()}|../reps/x/pause", "x|y"):
        body = f'payload={{"actions": [{{"action_id": "claim", "value": "{value}"}}]}}'.encode()
        with pytest.raises(ApiError):
            claim_action(body)


def test_slack_signatures_match_slack_sdk_and_hostile_headers_are_refused() -> None:
    secret, body, now = "a-signing-secret-0123", b"payload=%7B%7D", str(int(time.time()))
    signed = SignatureVerifier(secret).generate_signature(timestamp=now, body=body)
    assert signature_ok(secret, now, signed, body)
    assert not signature_ok("another-secret-012345", now, signed, body)
    assert not signature_ok(secret, "\u00b2\u00b3", signed, body)
    assert not signature_ok(secret, now, "v0=\u00e9\u00ff", body)
    assert not signature_ok(secret, str(int(time.time()) - 600), signed, body)


def test_twilio_signature_matches_twilios_request_validator() -> None:
    token, url = "a-twilio-auth-token-0123", "https://leads.example.com/v1/twilio/status?x=1"
    params = {"MessageSid": "SM123", "MessageStatus": "delivered", "To": "+13125550199", "Body": "é & ü"}
    assert RequestValidator(token).validate(url, params, twilio_signature(token, url, params))
    assert not RequestValidator(token).validate(url, params, twilio_signature("other-token-0123456", url, params))


def test_our_standard_webhooks_source_accepts_what_the_official_library_signs() -> None:
    from datetime import UTC, datetime

    from services.capture.sources.base import Inbound, SignatureError
    from services.capture.sources.standard import StandardWebhooks

    secret = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    body, now = b'{"email": "a@b.com"}', datetime.now(UTC)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp()))}
    headers["webhook-signature"] = Webhook(secret).sign("msg_1", now, body.decode())
    inbound = Inbound("POST", "http://x/v1/webhooks/website", "/v1/webhooks/website", headers, {}, body, now)
    StandardWebhooks().verify(inbound, secret)
    with pytest.raises(SignatureError):
        StandardWebhooks().verify(inbound, "whsec_" + "b3RoZXJzZWNyZXRvdGhlcnNlY3JldG90aGVyc2VjcmV0")


def test_same_secret_compares_bytes_whatever_the_characters() -> None:
    assert same_secret("é-key", "é-key") and not same_secret("é", "e") and not same_secret(None, "x")


def test_weak_secrets_are_named_and_refused_outside_development() -> None:
    settings = BaseServiceSettings(api_keys=["local-dev-key", "short"], config=EXAMPLE)  # type: ignore[list-item]
    problems = weak_secrets(settings, load_config(EXAMPLE))
    assert any("example config" in p for p in problems)
    assert any(p.startswith("api_keys.key1") and "local default" in p for p in problems)
    assert any(p.startswith("api_keys.key2") and "shorter" in p for p in problems)
    assert any(p.startswith("sources.typeform.secret") for p in problems)
    assert all("local-dev-key" not in p for p in problems), "never the value itself"
    strong = BaseServiceSettings(api_keys=["k" * 32])  # type: ignore[list-item]
    assert weak_secrets(strong) == []


def test_rate_limiter_refills_and_says_how_long_to_wait() -> None:
    limiter = RateLimiter(per_minute=2)
    assert limiter.hit("ip", 0.0) is None and limiter.hit("ip", 0.0) is None
    wait = limiter.hit("ip", 0.0)
    assert wait is not None and 29 < wait <= 30
    assert limiter.hit("other", 0.0) is None
    assert limiter.hit("ip", 31.0) is None


def test_config_secrets_can_come_from_env_or_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "typeform"
    secret_file.write_text("from-a-file-0123456789\n")
    monkeypatch.setenv("CALENDLY_SECRET", "from-the-env-0123456789")
    text = EXAMPLE.read_text()
    text = text.replace("secret: local-typeform-secret", f"secret: {{secret_file: {secret_file}}}")
    text = text.replace("secret: local-calendly-secret", "secret: {secret_env: CALENDLY_SECRET}")
    config_path = tmp_path / "c.yaml"
    config_path.write_text(text)
    config = load_config(config_path)
    secrets = {s.id: s.secret.get_secret_value() for s in config.sources}
    assert secrets["typeform"] == "from-a-file-0123456789" and secrets["calendly"] == "from-the-env-0123456789"
    config_path.write_text(text.replace("CALENDLY_SECRET", "NOT_SET_ANYWHERE"))
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE"):
        load_config(config_path)


def test_a_non_utf8_slack_body_is_refused_not_raised() -> None:
    secret, now = "a-signing-secret-0123", str(int(time.time()))
    assert not signature_ok(secret, now, "v0=" + "0" * 64, b"payload=\xff\xfe")


def test_placeholders_from_the_k8s_example_are_refused() -> None:
    settings = BaseServiceSettings(api_keys=["replace-me-with-32-random-bytes-1"])  # type: ignore[list-item]
    assert weak_secrets(settings) == ["api_keys.key1: still a placeholder from an example file"]


def test_a_trusted_source_replaces_what_only_a_public_form_said() -> None:
    from services.capture.profiling import merge
    from shared.payloads import LeadFields

    public = LeadFields(email="a@b.co", country="KP", title="CEO")
    trusted = LeadFields(email="a@b.co", country="US", company="Initech")
    assert merge(public, trusted, new_wins=True).country == "US"
    assert merge(public, trusted, new_wins=True).title == "CEO", "an empty trusted field keeps the public value"
    assert merge(trusted, public).country == "US", "between trusted sources, known values win"


def test_any_setting_can_be_read_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "api_keys"
    keys.write_text('[{"name": "ops", "key": "from-a-mounted-secret-file", "scopes": ["ops:read"]}]\n')
    monkeypatch.setenv("LEADRELAY_API_KEYS_FILE", str(keys))
    [key] = BaseServiceSettings().api_keys
    assert key.name == "ops" and key.key.get_secret_value() == "from-a-mounted-secret-file"


def test_a_public_submission_about_a_known_person_is_proposals_only() -> None:
    from services.capture.profiling import proposals, with_value
    from shared.payloads import LeadFields

    known = LeadFields(email="sofia@acme.com", phone="+1 415 555 0134", company="Acme", title=None)
    typed = LeadFields(
        email="SOFIA@acme.com", phone="+1 (415) 555-0134", company="ACME ", title="CEO", country="US", notes="call me"
    )
    found = proposals(known, typed)
    assert "company" not in found and "phone" not in found, "the same values, written differently, are no proposal"
    assert found["title"] == (None, "CEO") and found["country"] == (None, "US"), "filling an empty field is proposed"
    assert "notes" not in found and "email" not in found
    attacker = proposals(known, LeadFields(email="sofia@acme.com", phone="+44 20 7946 0000"))
    assert attacker == {"phone": ("+1 415 555 0134", "+44 20 7946 0000")}
    assert with_value(known, "phone", "+44 20 7946 0000").phone == "+44 20 7946 0000"
