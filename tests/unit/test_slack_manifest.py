"""The shipped Slack app manifest grants exactly what notify uses: a scope for every Web API method
the Slack client calls (and `commands` for the slash command), and the interactivity, slash command
and events URLs of notify's signed endpoints."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from services.notify.interactions import router as interactions
from services.notify.slack_desk import router as desk

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
    "views.publish": set(),
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
    needed = set().union(*(SCOPES_FOR[m] for m in methods)) | {"commands"}
    assert granted == needed, {"missing": needed - granted, "unused": granted - needed}


def test_the_interactivity_url_is_notifys_signed_endpoint() -> None:
    url = MANIFEST["settings"]["interactivity"]["request_url"]
    paths = {getattr(route, "path", "") for route in interactions.routes}
    assert urlsplit(url).scheme == "https" and urlsplit(url).path in paths


def test_the_slash_command_and_the_home_tab_reach_notifys_signed_endpoints() -> None:
    paths = {getattr(route, "path", "") for route in desk.routes}
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/leadrelay" and urlsplit(command["url"]).path in paths
    events = MANIFEST["settings"]["event_subscriptions"]
    assert urlsplit(events["request_url"]).path in paths and events["bot_events"] == ["app_home_opened"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
