"""The URL a request was sent to, as the outside world wrote it. Behind a TLS ingress the service sees
`http://pod-ip:8000/...`, but a vendor signs `https://leads.example.com/...` (HubSpot v3 and Twilio
sign the URL): with LEADRELAY_PUBLIC_URL set, that base replaces the scheme, host and port seen here."""

from starlette.requests import Request


def public_request_url(request: Request, public_url: str | None) -> str:
    if not public_url:
        return str(request.url)
    url = public_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


def is_https(request: Request, public_url: str | None) -> bool:
    """Whether the browser reached us over TLS: the public URL says so, or a trusted proxy did."""
    return (public_url or "").startswith("https://") or request.url.scheme == "https"
