"""Where leads come from: signed vendor sources (`/v1/webhooks/<id>`) and public website forms
(`/v1/forms/<id>`), with their secrets and, for forms, the defences a public endpoint needs."""

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, HttpUrl, field_validator, model_validator

from shared.business.base import Strict
from shared.business.secrets import SecretRef

SourceType = Literal[
    "standard_webhooks",
    "typeform",
    "calendly",
    "hubspot",
    "hubspot_app",
    "webflow",
    "unbounce",
    "outreach",
    "meta_lead_ads",
]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,39}$"
VISITOR_TYPED = {"typeform", "webflow", "unbounce", "calendly", "meta_lead_ads"}
FORM_SOURCES = {"typeform", "webflow", "unbounce", "calendly"}
MAP_TARGETS = {"email", "phone", "name", "first_name", "last_name", "company", "title", "country", "notes", "ignore"}
EXTRA_TARGET = re.compile(r"extra\.[A-Za-z0-9_.-]{1,64}")
GRAPH_VERSION_IN_PATH = re.compile(r"/v[0-9]+\.[0-9]+")


class Source(Strict):
    """An inbound webhook source, posted to /v1/webhooks/<id>, with its signing secret (or URL token)."""

    id: str = Field(pattern=ID_PATTERN)
    type: SourceType
    secret: SecretRef = Field(min_length=8)
    auth: Literal["signature", "url_token"] = Field(
        default="signature",
        description="webflow: `signature` for webhooks an OAuth app created (signed with its client secret); "
        "`url_token` for webhooks made in the site dashboard, which Webflow does not sign: the URL then "
        "carries the secret as ?token=.",
    )
    trust: Literal["public", "trusted"] | None = Field(
        default=None,
        description="Whether what a delivery says about a person leadrelay already knows may change them. "
        "Default: public for forms anonymous visitors type into (typeform, webflow, unbounce, calendly, "
        "meta_lead_ads), whose differing values wait for review; trusted for the others.",
    )
    field_map: dict[str, str] = Field(
        default_factory=dict,
        description="typeform, webflow, unbounce: a form field's ref or label -> email, phone, name, first_name, "
        "last_name, company, title, country, notes, extra.<key> or ignore. Unmapped fields are guessed from "
        "their labels; check a mapping with POST /v1/sources/<id>/preview.",
    )
    verify_token: SecretRef | None = Field(default=None, description="Meta: the subscription handshake token.")
    access_token: SecretRef | None = Field(
        default=None, description="Meta: page token to read leads; hubspot_app: the private app token."
    )
    graph_url: str = Field(
        default="https://graph.facebook.com", description="Meta: Graph API host, without a version (see graph_version)."
    )
    graph_version: str = Field(
        default="v23.0",
        pattern=r"^v[0-9]{1,3}\.[0-9]$",
        description="Meta: the Graph API version leads are read with (each is retired about two years on).",
    )
    api_url: str = Field(default="https://api.hubapi.com", description="hubspot_app: HubSpot's API base URL.")

    @model_validator(mode="after")
    def _tokens(self) -> "Source":
        if self.type == "meta_lead_ads" and (self.verify_token is None or self.access_token is None):
            raise ValueError("a meta_lead_ads source needs verify_token and access_token")
        if self.auth == "url_token" and self.type != "webflow":
            raise ValueError("auth: url_token is for webflow dashboard webhooks; other sources have one way")
        if self.field_map and self.type not in FORM_SOURCES:
            raise ValueError(f"field_map is for {', '.join(sorted(FORM_SOURCES))} sources, whose fields are the form's")
        if self.type == "hubspot_app" and self.access_token is None:
            raise ValueError("a hubspot_app source needs access_token (a private app token) to read contacts")
        return self

    @property
    def visitor_typed(self) -> bool:
        """Whether anonymous visitors typed what this source delivers (so it cannot change a known lead)."""
        return self.trust == "public" if self.trust is not None else self.type in VISITOR_TYPED

    @field_validator("field_map")
    @classmethod
    def _map_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, target in value.items():
            if not name.strip() or len(name) > 200:
                raise ValueError(f"field_map key {name!r}: a field ref or label of 1-200 characters")
            if target not in MAP_TARGETS and not EXTRA_TARGET.fullmatch(target):
                raise ValueError(
                    f"field_map[{name!r}]: {target!r} is not one of {', '.join(sorted(MAP_TARGETS))} or extra.<key>"
                )
        return value

    @field_validator("graph_url")
    @classmethod
    def _no_version_in_url(cls, value: str) -> str:
        if GRAPH_VERSION_IN_PATH.search(urlsplit(value).path):
            raise ValueError("give the Graph API version as graph_version, not in graph_url")
        return value.rstrip("/")

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "generic":
            raise ValueError("'generic' is the built-in API-key JSON source; pick another id")
        return value


def origin_of(url: str) -> str:
    """scheme://host[:port] as a browser sends it in the Origin header (default ports left out)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Captcha(Strict):
    """Cloudflare Turnstile or hCaptcha: the widget's token is checked with the provider's siteverify."""

    provider: Literal["turnstile", "hcaptcha"]
    secret: SecretRef = Field(min_length=8)
    verify_url: str | None = Field(default=None, description="Default: the provider's siteverify URL.")

    @property
    def token_field(self) -> str:
        return "cf-turnstile-response" if self.provider == "turnstile" else "h-captcha-response"

    @property
    def siteverify(self) -> str:
        if self.verify_url:
            return self.verify_url
        if self.provider == "turnstile":
            return "https://challenges.cloudflare.com/turnstile/v0/siteverify"
        return "https://api.hcaptcha.com/siteverify"


class RateLimit(Strict):
    """Submissions allowed per minute, per visitor IP and for the whole form."""

    per_ip_per_minute: int = Field(default=10, ge=1)
    per_form_per_minute: int = Field(default=600, ge=1)


class Form(Strict):
    """A website's own form posting to /v1/forms/<id> from visitors' browsers (public, hostile input)."""

    id: str = Field(pattern=ID_PATTERN)
    allowed_origins: list[HttpUrl] = Field(min_length=1, description="e.g. https://www.example.com")
    redirect_url: HttpUrl | None = Field(default=None, description="Where a plain HTML post is sent (303).")
    honeypot: str | None = Field(default="website", description="A hidden field people leave empty; bots fill it.")
    captcha: Captcha | None = None
    rate_limit: RateLimit = RateLimit()

    @property
    def origins(self) -> set[str]:
        return {origin_of(str(o)) for o in self.allowed_origins}
