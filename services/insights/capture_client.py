"""capture's field reviews as the console uses them: list a lead's, accept or reject one. capture owns
the lead's fields; the console only asks it, with the console's key."""

from typing import Any
from uuid import UUID

import httpx

from services.insights.operator_api import OperatorApi


class CaptureClient(OperatorApi):
    def __init__(self, http: httpx.AsyncClient, base_url: str, key: str | None) -> None:
        super().__init__(http, base_url, key, "capture", "LEADRELAY_CAPTURE_API_KEY")

    async def reviews(self, lead_id: UUID) -> list[dict[str, Any]]:
        _, body = await self._json("GET", f"/v1/leads/{lead_id}/reviews")
        found: list[dict[str, Any]] = body.get("reviews", []) if isinstance(body, dict) else []
        return found

    async def decide(self, review_id: int, decision: str, operator: str) -> tuple[int, Any]:
        return await self._json("POST", f"/v1/reviews/{review_id}/{decision}", {"operator": operator})
