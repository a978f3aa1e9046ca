"""Where leads come from: signed vendor sources (`/v1/webhooks/<id>`) and public website forms
(`/v1/forms/<id>`), with their secrets and, for forms, the defences a public endpoint needs."""

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


class Source(Strict):
    """An inbound webhook source, posted to /v1/webhooks/<id>, with its signing secret (or URL token)."""

    id: str = Field(pattern=ID_PATTERN)
    type: SourceType
    secret: SecretRef = Field(min_length=8)
    verify_token: SecretRef | None = Field(default=None, description="Meta: the subscription handshake token.")
    access_token: SecretRef | None = Field(
        default=None, description="Meta: page token to read leads; hubspot_app: the private app token."
    )
    graph_url: str = Field(default="https://graph.facebook.com/v19.0", description="Meta: Graph API base URL.")
    api_url: str = Field(default="https://api.hubapi.com", description="hubspot_app: HubSpot's API base URL.")

    @model_validator(mode="after")
    def _tokens(self) -> "Source":
        if self.type == "meta_lead_ads" and (self.verify_token is None or self.access_token is None):
            raise ValueError("a meta_lead_ads source needs verify_token and access_token")
        if self.type == "hubspot_app" and self.access_token is None:
            raise ValueError("a hubspot_app source needs access_token (a private app token) to read contacts")
        return self

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
