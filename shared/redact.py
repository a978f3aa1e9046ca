"""What may be written to logs and spans of a URL or a token. A subscriber's webhook URL can carry
credentials (`https://user:pass@host/hook?token=…`, a Zapier catch-hook's secret path), and claim,
digest and record links are bearer tokens: telemetry keeps only what identifies the destination."""

from urllib.parse import urlsplit

TOKEN_PATHS = ("/v1/claims/", "/v1/digests/", "/v1/records/")


def redacted_url(url: str) -> str:
    """scheme://host[:port]/… : no user info, no path, no query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def redacted_path(path: str) -> str:
    """A request path with the token of a claim, digest or record link replaced."""
    for prefix in TOKEN_PATHS:
        if path.startswith(prefix):
            tail = path[len(prefix) :]
            suffix = tail[tail.index("/") :] if "/" in tail else ""
            return f"{prefix}{{token}}{suffix}"
    return path
