"""The shipped Slack app manifest grants exactly what notify uses: a scope for every Web API method
the Slack client calls, and the interactivity URL of notify's signed endpoint."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from services.notify.interactions import router as interactions

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "deploy" / "slack" / "manifest.yaml").read_text())
SCOPES_FOR = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "conversations.open": {"im:write"},
    "conversations.history": {"im:history", "channels:history", "groups:history"},
    "users.lookupByEmail": {"users:read.email"},
    "users.info": {"users:read"},
}
"""Slack's documented required scopes per method (conversations.history needs the one for the
conversation's kind; leadrelay alerts DMs and channels)."""


def called_methods() -> set[str]:
    source = (ROOT / "services" / "notify" / "slack_client.py").read_text()
    return set(re.findall(r'_call\(\s*"([a-zA-Z.]+)"', source))


def test_every_called_method_has_its_scope_and_nothing_more_is_asked() -> None:
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    methods = called_methods()
    assert methods <= set(SCOPES_FOR), f"add the scope of {methods - set(SCOPES_FOR)} to SCOPES_FOR and the manifest"
    needed = set().union(*(SCOPES_FOR[m] for m in methods))
    assert granted == needed, {"missing": needed - granted, "unused": granted - needed}


def test_the_interactivity_url_is_notifys_signed_endpoint() -> None:
    url = MANIFEST["settings"]["interactivity"]["request_url"]
    paths = {getattr(route, "path", "") for route in interactions.routes}
    assert urlsplit(url).scheme == "https" and urlsplit(url).path in paths
