"""route's operator API as the console uses it (reps, pause/resume, simulate, claim), with the key
in LEADRELAY_ROUTE_API_KEY. route owns that state; the console only asks it."""

from typing import Any
from uuid import UUID

import httpx

from services.insights.operator_api import OperatorApi
from services.insights.operator_api import Unavailable as RouteUnavailable

__all__ = ["RouteClient", "RouteUnavailable"]


class RouteClient(OperatorApi):
    def __init__(self, http: httpx.AsyncClient, base_url: str, key: str | None) -> None:
        super().__init__(http, base_url, key, "route", "LEADRELAY_ROUTE_API_KEY")

    async def reps(self) -> dict[str, Any]:
        _, body = await self._json("GET", "/v1/reps")
        result: dict[str, Any] = body
        return result

    async def set_paused(self, rep_id: str, paused: bool, user: str) -> tuple[int, Any]:
        action = "pause" if paused else "resume"
        return await self._json("POST", f"/v1/reps/{rep_id}/{action}", {"acting_for": user})

    async def reassign(self, lead_id: UUID, rep_id: str | None, reason: str, user: str) -> tuple[int, Any]:
        body = {"rep_id": rep_id, "reason": reason, "acting_for": user}
        return await self._json("POST", f"/v1/leads/{lead_id}/reassign", body)

    async def pools(self) -> list[dict[str, Any]]:
        _, body = await self._json("GET", "/v1/pools")
        pools: list[dict[str, Any]] = body["pools"]
        return pools

    async def set_pool_paused(self, pool_id: str, paused: bool, user: str) -> tuple[int, Any]:
        action = "pause" if paused else "resume"
        return await self._json("POST", f"/v1/pools/{pool_id}/{action}", {"acting_for": user})

    async def audit(self) -> list[dict[str, Any]]:
        _, body = await self._json("GET", "/v1/audit")
        entries: list[dict[str, Any]] = body["entries"]
        return entries

    async def simulate(self, lead: dict[str, Any]) -> tuple[int, Any]:
        return await self._json("POST", "/v1/routing/simulate", lead)

    async def claim(self, assignment_id: UUID, rep_id: str) -> tuple[int, Any]:
        return await self._json("POST", f"/v1/assignments/{assignment_id}/claim", {"rep_id": rep_id, "via": "console"})

    async def current_config(self) -> dict[str, Any]:
        _, body = await self._json("GET", "/v1/config/current")
        result: dict[str, Any] = body
        return result

    async def config_versions(self) -> list[dict[str, Any]]:
        _, body = await self._json("GET", "/v1/config/versions")
        versions: list[dict[str, Any]] = body["versions"]
        return versions

    async def check_config(self, document: dict[str, Any]) -> tuple[int, Any]:
        return await self._json("POST", "/v1/config/check", {"document": document})

    async def preview_config(self, document: dict[str, Any], days: int) -> tuple[int, Any]:
        return await self._json("POST", "/v1/config/preview", {"document": document, "days": days})

    async def publish_config(self, document: dict[str, Any], message: str, user: str) -> tuple[int, Any]:
        return await self._json(
            "POST", "/v1/config/versions", {"document": document, "message": message, "acting_for": user}
        )

    async def restore_config(self, version_id: int, message: str, user: str) -> tuple[int, Any]:
        body = {"message": message, "acting_for": user}
        return await self._json("POST", f"/v1/config/versions/{version_id}/restore", body)
