"""route's operator API (API keys with scopes): claim an assignment (`claim`), see a lead's routing
trace, the reps' availability and simulate a decision (`ops:read`), pause and resume a rep
(`ops:write`)."""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.route.availability import PERIODS, skip_reason
from services.route.claims import claim_in
from services.route.engine import decide
from services.route.handler import RouteDeps
from services.route.operator_actions import Acting, actor
from services.route.rejections import Reason, reject_in
from services.route.routing import lead_domains, pools_in_play
from services.route.store.assignments import AssignmentStore
from services.route.store.audit import AuditStore
from services.route.store.leads import LeadStore
from services.route.store.pools import PoolStore
from shared.http_errors import ApiError, invalid
from shared.payloads import Company, EnrichedLead, LeadFields, ScoredLead
from shared.settings import ApiKey
from shared.time_bounds import BoundedDatetime
from shared.zones import Operator

router = APIRouter()


def _deps(request: Request) -> RouteDeps:
    deps: RouteDeps = request.app.state.route_deps
    return deps


def _not_found(field: str, message: str) -> JSONResponse:
    return invalid([{"field": field, "message": message}], error="not_found", status=404)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the scope, or acts for another rep"},
    404: {"description": "Unknown assignment, lead or rep"},
    409: {"description": "Claimed by someone else, or no longer assigned"},
    422: {"description": "Invalid field: {error, fields: [{field, message}]}"},
    503: {"description": "Database unavailable; retry after Retry-After seconds"},
}


class ClaimBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rep_id: str = Field(
        pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Who claims: the assigned rep or the pool's manager."
    )
    via: str = Field(default="api", pattern=r"^[a-z_]{1,40}$")


@router.post("/v1/assignments/{assignment_id}/claim", responses=ERRORS)
async def claim(
    request: Request, assignment_id: UUID, body: ClaimBody, key: Annotated[ApiKey, Operator("claim")]
) -> JSONResponse:
    """First claim wins and stops the SLA clock; the same claim again is answered the same way.
    A rep's own key claims only as that rep."""
    if key.rep is not None and key.rep != body.rep_id:
        raise ApiError.field(403, "forbidden", "rep_id", "this key claims only for its own rep")
    deps = _deps(request)
    async with deps.uow() as uow:
        answer = await claim_in(uow, deps.config, assignment_id, body.rep_id, body.via)
    return JSONResponse(answer.body, status_code=answer.status)


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rep_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="The assigned rep.")
    reason: Reason
    via: str = Field(default="api", pattern=r"^[a-z_]{1,40}$")


@router.post("/v1/assignments/{assignment_id}/reject", responses=ERRORS)
async def reject(
    request: Request, assignment_id: UUID, body: RejectBody, key: Annotated[ApiKey, Operator("claim")]
) -> JSONResponse:
    """The assigned rep turns the lead down: not_mine, not_a_fit or wrong_territory. It moves at once
    to the next eligible rep who has not had it; not_mine and wrong_territory give the rep's
    round-robin turn back. A rep's own key rejects only as that rep."""
    if key.rep is not None and key.rep != body.rep_id:
        raise ApiError.field(403, "forbidden", "rep_id", "this key acts only for its own rep")
    deps = _deps(request)
    async with deps.uow() as uow:
        answer = await reject_in(uow, deps.config, assignment_id, body.rep_id, body.reason, deps.clock())
    return JSONResponse(answer.body, status_code=answer.status)


@router.get("/v1/rejections", dependencies=[Operator("ops:read")], responses=ERRORS)
async def rejections(request: Request) -> JSONResponse:
    """How often each rep turned leads down, by reason, routing rule and source."""
    deps = _deps(request)
    async with deps.db.session_scope() as session:
        counts = await AssignmentStore(session).rejection_counts()
    return JSONResponse({"rejections": counts})


@router.get("/v1/leads/{lead_id}/routing", dependencies=[Operator("ops:read")], responses=ERRORS)
async def routing_trace(request: Request, lead_id: UUID) -> JSONResponse:
    """Every routing decision for a lead: rules tried, candidates skipped and why, the winner, SLA."""
    deps = _deps(request)
    async with deps.db.session_scope() as session:
        decisions = await AssignmentStore(session).history(lead_id)
        nurture = await LeadStore(session).nurture_record(lead_id)
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
    at: BoundedDatetime | None = Field(default=None, description="The clock to decide at (default: now).")

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


@router.post("/v1/routing/simulate", dependencies=[Operator("ops:read")], responses=ERRORS)
async def simulate(request: Request, body: SimulateRequest) -> JSONResponse:
    """The decision route would make for this lead now: the full trace, and nothing written."""
    deps = _deps(request)
    thresholds = deps.config.scoring.thresholds
    scored = body.scored(thresholds.sql, thresholds.mql)
    now = body.at or datetime.now(UTC)
    async with deps.db.session_scope() as session:
        snap = await PoolStore(session).snapshot(
            deps.config, pools_in_play(deps.config, scored), now, lead_domains(scored), lock=False
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


async def _set_paused(request: Request, rep_id: str, paused: bool, who: str) -> JSONResponse:
    deps = _deps(request)
    if rep_id not in {r.id for r in deps.config.reps}:
        return _not_found("rep_id", f"no rep {rep_id!r} in the config")
    async with deps.db.session_scope() as session:
        await PoolStore(session).set_paused(rep_id, paused, by="ops")
        await AuditStore(session).record(who, "rep paused" if paused else "rep resumed", f"rep {rep_id}")
    return JSONResponse({"rep_id": rep_id, "paused": paused})


RepId = Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")


@router.post("/v1/reps/{rep_id}/pause", responses=ERRORS)
async def pause(
    request: Request, key: Annotated[ApiKey, Operator("ops:write")], rep_id: str = RepId, body: Acting | None = None
) -> JSONResponse:
    return await _set_paused(request, rep_id, True, actor(key, body))


@router.post("/v1/reps/{rep_id}/resume", responses=ERRORS)
async def resume(
    request: Request, key: Annotated[ApiKey, Operator("ops:write")], rep_id: str = RepId, body: Acting | None = None
) -> JSONResponse:
    return await _set_paused(request, rep_id, False, actor(key, body))


@router.get("/v1/reps", dependencies=[Operator("ops:read")], responses=ERRORS)
async def reps(request: Request) -> JSONResponse:
    """Every rep now: available or why not (paused, out of office, off hours, a cap), caps used per
    period in the rep's time zone, and how many leads are held for want of anyone."""
    deps = _deps(request)
    now = datetime.now(UTC)
    config = deps.config
    async with deps.db.session_scope() as session:
        snap = await PoolStore(session).snapshot(config, [p.id for p in config.pools], now, [], lock=False)
        held = await AssignmentStore(session).held_count()
        used = await PoolStore(session).period_counts(config, [r.id for r in config.reps], now, only_capped=False)
    listed = []
    for rep in config.reps:
        load = snap.load(rep.id)
        counts = dict(used.get(rep.id, ()))
        why = skip_reason(rep, load, now, False, config.holidays_of(rep)) if rep.active else "inactive"
        listed.append(
            {
                "id": rep.id,
                "name": rep.name,
                "timezone": rep.timezone,
                "paused": load.paused,
                "available": why is None,
                "why_not": why,
                "out_of_office": [{"from": o.from_.isoformat(), "to": o.to.isoformat()} for o in rep.out_of_office],
                "working_hours": rep.working_hours.model_dump(mode="json") if rep.working_hours else None,
                "caps": {p: {"used": counts.get(p, 0), "cap": getattr(rep.caps, p)} for p in PERIODS},
                "pools": [p.id for p in config.pools if rep.id in p.rep_ids],
            }
        )
    return JSONResponse({"at": now.isoformat(), "held_leads": held, "reps": listed})
