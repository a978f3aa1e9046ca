"""Refuse to run in production with a secret anyone could know: a local default of `make run`, a value
from the example config, a placeholder such as `replace-me` (deploy/k8s), or one under 16 bytes.
`LEADRELAY_ENV=development` (set by `make run`) allows them, so the local stack works out of the box
and nowhere else."""

import sys

from pydantic import SecretStr

from shared.business.loader import BusinessConfig, load_config
from shared.settings import ROOT, BaseServiceSettings, secret_values

EXAMPLE_CONFIG = ROOT / "config" / "leadrelay.example.yaml"
MIN_BYTES = 16
PLACEHOLDERS = ("replace-me", "changeme", "change-me", "change-")
LOCAL_DEFAULTS = frozenset(
    {
        "local-dev-key",
        "local-ops-key",
        "local-notify-key",
        "local-slack-signing-secret",
        "local-claim-link-secret",
        "local-twilio-auth-token",
        "xoxb-local-standin",
    }
)


def config_secrets(config: BusinessConfig) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for source in config.sources:
        for name in ("secret", "verify_token", "access_token"):
            value = getattr(source, name)
            if isinstance(value, SecretStr):
                found.append((f"sources.{source.id}.{name}", value.get_secret_value()))
    for form in config.forms:
        if form.captcha is not None:
            found.append((f"forms.{form.id}.captcha.secret", form.captcha.secret.get_secret_value()))
    return found


def _example_values() -> set[str]:
    try:
        return {v for _, v in config_secrets(load_config(EXAMPLE_CONFIG))}
    except Exception:
        return set()


def weak_secrets(settings: BaseServiceSettings, config: BusinessConfig | None = None) -> list[str]:
    """Why each weak secret is weak, by setting name (never the value)."""
    problems = []
    if config is not None and settings.config.resolve() == EXAMPLE_CONFIG.resolve():
        problems.append("LEADRELAY_CONFIG: the example config is for local runs; point it at your own copy")
    known = LOCAL_DEFAULTS | _example_values()
    named = secret_values(settings) + (config_secrets(config) if config is not None else [])
    for name, value in named:
        if not value:
            continue
        if value in known or value.startswith("local-"):
            problems.append(f"{name}: a local default that anyone can read in the repository")
        elif any(p in value.lower() for p in PLACEHOLDERS):
            problems.append(f"{name}: still a placeholder from an example file")
        elif len(value.encode()) < MIN_BYTES:
            problems.append(f"{name}: shorter than {MIN_BYTES} bytes")
    return problems


def refuse_weak_secrets(settings: BaseServiceSettings, config: BusinessConfig | None = None) -> None:
    if settings.development:
        return
    problems = weak_secrets(settings, config)
    if problems:
        print(
            "refusing to start with weak secrets (set LEADRELAY_ENV=development for a local run):\n  "
            + "\n  ".join(problems),
            file=sys.stderr,
        )
        raise SystemExit(2)
