"""route's HTTP API: claim an assignment, see a lead's routing trace, simulate a decision, pause a rep."""

import html
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.route import repository
from services.route.engine import decide
from services.route.handler import RouteDeps
from services.route.routing import lead_domain, pools_in_play
from shared.claim_links import ExpiredLink, InvalidLink, read_token
from shared.events import LeadAcknowledgedEvent, LeadAssignedEvent, follow_event, kafka_headers, serialize_event
from shared.http_errors import invalid
from shared.kafka import topic_name
from shared.payloads import Acknowledgement, Company, EnrichedLead, LeadFields, ScoredLead
from shared.service import Runtime
from shared.topics import Topic

router = APIRouter()


def _deps(request: Request) -> tuple[Runtime, RouteDeps]:
    return request.app.state.runtime, request.app.state.route_deps


def _not_found(field: str, message: str) -> JSONResponse:
    return invalid([{"field": field, "message": message}], error="not_found", status=404)


class ClaimBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rep_id: str | None = Field(default=None, description="Who claims; must be the assigned rep when given.")
    via: str = Field(default="api", max_length=40)


@router.post("/v1/assignments/{assignment_id}/claim")
async def claim(
    request: Request, assignment_id: UUID, body: Annotated[ClaimBody | None, Body()] = None
) -> JSONResponse:
    """First claim wins and stops the SLA clock; the same claim again is answered the same way."""
    return await claim_assignment(request, assignment_id, body or ClaimBody())


@router.get("/v1/claims/{token}")
async def claim_link(request: Request, token: str) -> Response:
    """A signed claim link opened from an SMS or an email: claims the lead for the rep it was sent to."""
    _, deps = _deps(request)
    settings = request.app.state.settings
    if settings.claim_link_secret is None:
        return invalid([{"field": "token", "message": "claim links are not configured"}], "unavailable", 503)
    try:
        grant = read_token(settings.claim_link_secret.get_secret_value(), token, deps.clock())
    except ExpiredLink as exc:
        return _page(410, "Link expired", str(exc))
    except InvalidLink as exc:
        return _page(400, "Invalid link", str(exc))
    answer = await claim_assignment(request, grant.assignment_id, ClaimBody(rep_id=grant.rep_id, via="link"))
    if answer.status_code == 200:
        return _page(200, "Claimed", "The lead is yours. The SLA clock has stopped.")
    error = orjson.loads(answer.body).get("error", "conflict")
    return _page(answer.status_code, "Not claimed", f"This lead cannot be claimed: {error.replace('_', ' ')}.")


def _page(status: int, title: str, message: str) -> HTMLResponse:
    body = (
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
    )
    return HTMLResponse(body, status_code=status)


async def claim_assignment(request: Request, assignment_id: UUID, body: ClaimBody) -> JSONResponse:
    rt, deps = _deps(request)
    async with deps.db.session_scope() as session:
        result = await repository.claim(session, assignment_id, body.rep_id)
        if not result.found:
            return _not_found("assignment_id", "no such assignment")
        answer = {
            "assignment_id": str(assignment_id),
            "status": result.status,
            "rep_id": result.rep_id,
            "claimed_by": result.claimed_by,
            "claimed_at": result.claimed_at.isoformat() if result.claimed_at else None,
        }
        if result.claimed_now:
            assert result.event is not None and result.claimed_at is not None and result.rep_id is not None
            assigned = LeadAssignedEvent.model_validate(result.event)
            ack = follow_event(
                LeadAcknowledgedEvent,
                assigned,
                producer="route",
                data=Acknowledgement(
                    assignment_id=assignment_id, rep_id=result.rep_id, claimed_at=result.claimed_at, via=body.via
                ),
            )
            await rt.producer.send_and_wait(
                topic_name(rt.settings, Topic.LEAD_ACKNOWLEDGED.value),
                serialize_event(ack),
                key=str(ack.lead_id).encode(),
                headers=kafka_headers(ack),
            )
            return JSONResponse(answer)
    if result.status == "claimed" and (body.rep_id is None or body.rep_id == result.claimed_by):
        return JSONResponse(answer)
    if result.status == "claimed":
        error = "already_claimed"
    elif result.status == "pending":
        error = "not_assigned_to_rep"
    else:
        error = "no_longer_assigned"
    return JSONResponse({**answer, "error": error}, status_code=409)


@router.get("/v1/leads/{lead_id}/routing")
async def routing_trace(request: Request, lead_id: UUID) -> JSONResponse:
    """Every routing decision for a lead: rules tried, candidates skipped and why, the winner, SLA."""
    _, deps = _deps(request)
    async with deps.db.session_scope() as session:
        decisions = await repository.history(session, lead_id)
        nurture = await repository.nurture_record(session, lead_id)
    if not decisions and nurture is None:
        return _not_found("lead_id", "route has not seen this lead")
    return JSONResponse(
        {"lead_id": str(lead_id), "nurture": _jsonable(nurture), "decisions": [_jsonable(d) for d in decisions]}
    )


def _jsonable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        k: (v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v) for k, v in row.items()
    }


class SimulateRequest(BaseModel):
    """A lead as route would see it. Only what your rules test needs to be given."""

    model_config = ConfigDict(extra="forbid")
    email: str | None = None
    title: str | None = None
    country: str | None = None
    source: str = "simulate"
    is_free_mail: bool = False
    company: Company | None = None
    fit: int = 0
    intent: int = 0
    grade: str | None = None
    stage: str | None = Field(default=None, description="lead, mql or sql; derived from the score when absent.")
    at: AwareDatetime | None = Field(default=None, description="The clock to decide at (default: now).")

    def scored(self, thresholds_sql: int, thresholds_mql: int) -> ScoredLead:
        domain = self.email.rsplit("@", 1)[1].lower() if self.email and "@" in self.email else None
        lead = EnrichedLead(
            source=self.source,
            fields=LeadFields(email=self.email, title=self.title, country=self.country),
            email=self.email,
            email_domain=domain,
            phone_e164=None,
            first_name=None,
            last_name=None,
            is_free_mail=self.is_free_mail,
            is_disposable=False,
            company=self.company,
            enrichment_sources=[],
        )
        total = self.fit + self.intent
        stage = self.stage or ("sql" if total >= thresholds_sql else "mql" if total >= thresholds_mql else "lead")
        return ScoredLead(
            lead=lead, fit=self.fit, intent=self.intent, total=total, contributions=[], grade=self.grade, stage=stage
        )


@router.post("/v1/routing/simulate")
async def simulate(request: Request, body: SimulateRequest) -> JSONResponse:
    """The decision route would make for this lead now: the full trace, and nothing written."""
    _, deps = _deps(request)
    thresholds = deps.config.scoring.thresholds
    scored = body.scored(thresholds.sql, thresholds.mql)
    now = body.at or datetime.now(UTC)
    async with deps.db.session_scope() as session:
        snap = await repository.load_snapshot(
            session, deps.config, pools_in_play(deps.config, scored), now, lead_domain(scored), lock=False
        )
    d = decide(deps.config, scored, snap, now)
    return JSONResponse(
        {
            "outcome": d.outcome,
            "rep_id": d.rep_id,
            "pool_id": d.pool_id,
            "rule_id": d.rule_id,
            "reason": d.reason,
            "sla_minutes": d.sla_minutes,
            "trace": d.trace,
            "at": now.isoformat(),
        }
    )


async def _set_paused(request: Request, rep_id: str, paused: bool) -> JSONResponse:
    _, deps = _deps(request)
    if rep_id not in {r.id for r in deps.config.reps}:
        return _not_found("rep_id", f"no rep {rep_id!r} in the config")
    async with deps.db.session_scope() as session:
        await repository.set_paused(session, rep_id, paused)
    return JSONResponse({"rep_id": rep_id, "paused": paused})


@router.post("/v1/reps/{rep_id}/pause")
async def pause(request: Request, rep_id: str) -> JSONResponse:
    return await _set_paused(request, rep_id, True)


@router.post("/v1/reps/{rep_id}/resume")
async def resume(request: Request, rep_id: str) -> JSONResponse:
    return await _set_paused(request, rep_id, False)
