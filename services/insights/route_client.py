"""route's operator API as the console uses it (reps, pause/resume, simulate, claim), with the key
in LEADRELAY_ROUTE_API_KEY. route owns that state; the console only asks it."""

from typing import Any
from uuid import UUID

import httpx


class RouteUnavailable(Exception):
    """route could not be reached, or the console has no key for it."""


class RouteClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, key: str | None) -> None:
        self._http, self._base, self._key = http, base_url.rstrip("/"), key

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        if self._key is None:
            raise RouteUnavailable("LEADRELAY_ROUTE_API_KEY is not set")
        try:
            return await self._http.request(method, self._base + path, json=body, headers={"X-API-Key": self._key})
        except httpx.HTTPError as exc:
            raise RouteUnavailable(f"route is unreachable ({type(exc).__name__})") from exc

    async def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = await self._call(method, path, body)
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise RouteUnavailable(f"route answered {response.status_code}")
        return response.status_code, response.json()

    async def reps(self) -> dict[str, Any]:
        _, body = await self._json("GET", "/v1/reps")
        result: dict[str, Any] = body
        return result

    async def set_paused(self, rep_id: str, paused: bool) -> tuple[int, Any]:
        return await self._json("POST", f"/v1/reps/{rep_id}/{'pause' if paused else 'resume'}")

    async def simulate(self, lead: dict[str, Any]) -> tuple[int, Any]:
        return await self._json("POST", "/v1/routing/simulate", lead)

    async def claim(self, assignment_id: UUID, rep_id: str) -> tuple[int, Any]:
        return await self._json("POST", f"/v1/assignments/{assignment_id}/claim", {"rep_id": rep_id, "via": "console"})
