"""Trust zones: every endpoint names its caller in one FastAPI dependency.

- `Operator(scope)`: route's, notify's and capture's trusted APIs. An API key (`X-API-Key` or
  `Authorization: Bearer`) from LEADRELAY_API_KEYS, compared in constant time, that holds the scope.
- `public_zone`: anyone on the internet (web forms, claim-link pages, health probes); the handler
  treats every input as hostile.
- `vendor_zone`: a vendor's signed webhook; the handler verifies the signature on the raw body
  before it parses anything.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from shared.http_errors import ApiError
from shared.secret_compare import same_secret
from shared.settings import ApiKey, BaseServiceSettings, Scope

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key from LEADRELAY_API_KEYS.")
bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token (Prometheus scrapes).")


def settings_of(request: Request) -> BaseServiceSettings:
    settings: BaseServiceSettings = request.app.state.settings
    return settings


def find_key(settings: BaseServiceSettings, given: str | None) -> ApiKey | None:
    """The configured key equal to `given`; every key is compared, so timing says nothing."""
    found = None
    for candidate in settings.api_keys:
        if same_secret(given, candidate.key.get_secret_value()):
            found = candidate
    return found


def operator(scope: Scope) -> Callable[..., Coroutine[Any, Any, ApiKey]]:
    async def require(
        request: Request,
        x_api_key: Annotated[str | None, Security(api_key_header)] = None,
        authorization: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    ) -> ApiKey:
        given = x_api_key or (authorization.credentials if authorization else None)
        key = find_key(settings_of(request), given)
        if key is None:
            raise ApiError.field(
                401, "unauthorized", "X-API-Key", "missing or unknown API key", headers={"WWW-Authenticate": "Bearer"}
            )
        if scope not in key.scopes:
            raise ApiError.field(403, "forbidden", "X-API-Key", f"this key lacks the {scope!r} scope")
        return key

    require.__name__ = f"operator_{scope.replace(':', '_')}"
    return require


def Operator(scope: Scope) -> Any:
    return Depends(operator(scope))


async def public_zone() -> None:
    """Anyone may call: the handler validates, caps and rate-limits everything it reads."""


async def vendor_zone() -> None:
    """A vendor's signed request: the handler verifies the signature on the raw body first."""


Public = Depends(public_zone)
Vendor = Depends(vendor_zone)
