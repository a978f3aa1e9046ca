"""Field reviews (operator zone): what visitors proposed for people leadrelay already knows, for ops
to accept or reject. `GET /v1/leads/<id>/reviews` (ops:read) lists them; `POST
/v1/reviews/<id>/accept` and `.../reject` (ops:write) decide one, named after the deciding key (or,
from the console, the operator it names). Accepting changes the lead and publishes it anew."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Path, Request

from services.capture.api import runtime
from services.capture.repository import decide_field_review, field_review, field_reviews
from services.capture.service import accept_field_review
from shared.http_errors import ApiError
from shared.settings import ApiKey
from shared.zones import Operator

router = APIRouter()
ReviewId = Annotated[int, Path(ge=1, le=2**62)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the scope"},
    404: {"description": "No such review"},
    409: {"description": "Already decided"},
    422: {"description": "Invalid field: {error, fields: [{field, message}]}"},
    503: {"description": "Database unavailable"},
}
OnBehalf = Annotated[
    str | None,
    Body(embed=True, max_length=120, pattern=r"^[\w .@+-]{1,120}$", description="The operator who decided."),
]


def jsonable(review: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else str(v) if isinstance(v, UUID) else v)
        for k, v in review.items()
    }


@router.get("/v1/leads/{lead_id}/reviews", responses=ERRORS)
async def list_reviews(request: Request, lead_id: UUID, key: Annotated[ApiKey, Operator("ops:read")]) -> dict[str, Any]:
    """Pending reviews first, then decided ones, newest first."""
    rt, _ = runtime(request)
    async with rt.db.session_scope() as session:
        found = await field_reviews(session, lead_id)
    return {"lead_id": str(lead_id), "reviews": [jsonable(r) for r in found]}


@router.post("/v1/reviews/{review_id}/{decision}", responses=ERRORS)
async def decide(
    request: Request,
    review_id: ReviewId,
    decision: Literal["accept", "reject"],
    key: Annotated[ApiKey, Operator("ops:write")],
    operator: OnBehalf = None,
) -> dict[str, Any]:
    rt, settings = runtime(request)
    who = f"{key.name}:{operator}" if operator else key.name
    async with rt.db.session_scope() as session:
        decided = await decide_field_review(session, review_id, "accepted" if decision == "accept" else "rejected", who)
        if decided is None:
            existing = await field_review(session, review_id)
            if existing is None:
                raise ApiError.field(404, "not_found", "review_id", f"no review {review_id}")
            raise ApiError.field(409, "already_decided", "review_id", f"review {review_id} is {existing['status']}")
        if decision == "accept" and await accept_field_review(session, settings, decided, who) is None:
            raise ApiError.field(404, "not_found", "lead_id", "the lead no longer exists")
    return jsonable(decided)
