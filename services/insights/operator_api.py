"""Another service's operator API as the console calls it: the console's key in X-API-Key, and any
answer that is not the API's own (unreachable, 5xx, a refused key) as `Unavailable`."""

from typing import Any

import httpx


class Unavailable(Exception):
    """The service could not be reached, refused the console's key, or the console has no key for it."""


class OperatorApi:
    def __init__(self, http: httpx.AsyncClient, base_url: str, key: str | None, service: str, setting: str) -> None:
        self._http, self._base, self._key = http, base_url.rstrip("/"), key
        self._service, self._setting = service, setting

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        if self._key is None:
            raise Unavailable(f"{self._setting} is not set")
        try:
            return await self._http.request(method, self._base + path, json=body, headers={"X-API-Key": self._key})
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self._service} is unreachable ({type(exc).__name__})") from exc

    async def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = await self._call(method, path, body)
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise Unavailable(f"{self._service} answered {response.status_code}")
        return response.status_code, response.json()
