"""The routing decision. Pure: given the lead, the config, a snapshot of the reps' state and the
clock, say who gets the lead and why, and how the state changes. The repository locks and loads the
snapshot and applies the changes in the same transaction; simulate and replay apply them in memory."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from services.route.availability import RepLoad, skip_reason
from services.route.state import ExistingOwner, PoolState, Snapshot, StateChange
from services.route.strategies import strategy
from services.route.strategies.base import Context
from shared.business.loader import BusinessConfig
from shared.business.routing import Pool, RoutingRule
from shared.conditions import all_match
from shared.payloads import ScoredLead

Outcome = Literal["assigned", "escalated", "held", "nurture"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    trace: list[str]
    rule_id: str | None = None
    pool_id: str | None = None
    rep_id: str | None = None
    sla_minutes: float | None = None
    change: StateChange = field(default_factory=StateChange)


def routing_doc(scored: ScoredLead) -> dict[str, Any]:
    """The fields a routing rule can test."""
    return {
        "score": scored.total,
        "fit": scored.fit,
        "intent": scored.intent,
        "grade": scored.grade,
        "stage": scored.stage,
        "lead": scored.lead.model_dump(mode="json"),
    }


def match_rule(config: BusinessConfig, doc: dict[str, Any], trace: list[str]) -> tuple[RoutingRule | None, str]:
    for rule in config.routing.rules:
        if all_match(rule.when, doc):
            trace.append(f"rule {rule.id}: matched -> pool {rule.pool}")
            return rule, rule.pool
        trace.append(f"rule {rule.id}: no match")
    trace.append(f"default rule -> pool {config.routing.default_pool}")
    return None, config.routing.default_pool


def sla_minutes(config: BusinessConfig, rule: RoutingRule | None, grade: str | None) -> float:
    if rule is not None and rule.sla_minutes is not None:
        return rule.sla_minutes
    letter = (grade or "")[:1]
    return config.routing.sla.by_grade.get(letter, config.routing.sla.default_minutes)


def _pick_in_pool(
    config: BusinessConfig,
    pool: Pool,
    snap: Snapshot,
    now: datetime,
    had: set[str],
    domain: str | None,
    trace: list[str],
) -> StateChange | None:
    trace.append(f"pool {pool.id} ({pool.strategy}): candidates {', '.join(pool.rep_ids)}")
    return strategy(pool.strategy).pick(Context(config, pool, snap, now, frozenset(had), domain, trace))


def _existing_owner(
    config: BusinessConfig,
    existing: ExistingOwner | None,
    snap: Snapshot,
    now: datetime,
    had: set[str],
    trace: list[str],
) -> str | None:
    """Sticky routing: the rep who has this person's other open lead keeps them, when available."""
    if existing is None or existing.rep_id not in config.rep_ids:
        return None
    trace.append(f"lead {existing.lead_id} (same {existing.via}) is open with {existing.rep_id}")
    rep = config.rep(existing.rep_id)
    why = skip_reason(rep, snap.load(rep.id), now, rep.id in had, config.holidays_of(rep))
    if why is not None:
        trace.append(f"  {existing.rep_id} is unavailable ({why}); the pool's policy applies")
        return None
    trace.append(f"  sticky: {existing.rep_id} keeps this person")
    return existing.rep_id


def _account_owner(
    config: BusinessConfig, scored: ScoredLead, snap: Snapshot, now: datetime, had: set[str], trace: list[str]
) -> str | None:
    """The owner of the account enrich matched, when the match is sure enough and the owner can take
    the lead now; every step is traced."""
    account = scored.lead.account
    if account is None or account.owner not in config.rep_ids:
        return None
    label = account.name or account.domain
    sure = config.routing.account_matching.min_confidence
    trace.append(f"account {label}: {account.reason} (confidence {account.confidence:.2f})")
    if account.confidence < sure:
        trace.append(f"  below the {sure:.2f} needed to prefer its owner; using the pool")
        return None
    owner = config.rep(account.owner)
    why = skip_reason(owner, snap.load(owner.id), now, owner.id in had, config.holidays_of(owner))
    if why is not None:
        trace.append(f"  owner {account.owner} is unavailable ({why}); using the pool")
        return None
    trace.append(f"  owner {account.owner} takes the lead")
    return account.owner


def nurture_reason(config: BusinessConfig, scored: ScoredLead) -> str | None:
    """Why a lead is not sales-ready yet, or None when it should be routed now. A score without a
    stage (from an older producer) gets its stage from the score thresholds."""
    thresholds = config.scoring.thresholds
    stage = scored.stage or (
        "sql" if scored.total >= thresholds.sql else "mql" if scored.total >= thresholds.mql else "lead"
    )
    if stage in config.routing.route_stages:
        return None
    return (
        f"Nurture: stage {stage} (score {scored.total}, grade {scored.grade}) is below sales-ready "
        f"({', '.join(config.routing.route_stages)})"
    )


def decide(
    config: BusinessConfig,
    scored: ScoredLead,
    snap: Snapshot,
    now: datetime,
    *,
    already_had: frozenset[str] = frozenset(),
    check_stage: bool = True,
    existing: ExistingOwner | None = None,
) -> Decision:
    trace: list[str] = []
    if check_stage and (reason := nurture_reason(config, scored)) is not None:
        return Decision(outcome="nurture", reason=reason, trace=[reason])
    rule, pool_id = match_rule(config, routing_doc(scored), trace)
    rule_id = rule.id if rule is not None else "default"
    sla = sla_minutes(config, rule, scored.grade)
    domain = None if scored.lead.is_free_mail else scored.lead.email_domain
    had = set(already_had)
    if (sticky := _existing_owner(config, existing, snap, now, had, trace)) is not None:
        rep = config.rep(sticky)
        reason = (
            f"{rep.name}, who has this person's open lead (same {existing.via if existing else ''}), rule {rule_id}"
        )
        trace.append(f"winner: {rep.id}; claim within {sla:g} min")
        return Decision("assigned", reason, trace, rule_id, pool_id, rep.id, sla, StateChange(pool_id, rep.id))
    owned = _account_owner(config, scored, snap, now, had, trace)
    if owned is not None:
        account = scored.lead.account
        assert account is not None
        rep = config.rep(owned)
        label = account.name or account.domain
        reason = f"{rep.name}, owner of account {label} ({account.method.replace('_', ' ')} match), rule {rule_id}"
        trace.append(f"winner: {rep.id}; claim within {sla:g} min")
        return Decision("assigned", reason, trace, rule_id, pool_id, rep.id, sla, StateChange(pool_id, rep.id))
    visited: list[str] = []
    while pool_id not in visited:
        visited.append(pool_id)
        pool = config.pool(pool_id)
        if (pause := snap.pool(pool.id).paused) is not None:
            trace.append(f"pool {pool.id}: {pause}; it takes no leads")
            change = None
        else:
            change = _pick_in_pool(config, pool, snap, now, had, domain, trace)
        if change is not None and change.rep_id is not None:
            rep = config.rep(change.rep_id)
            how = "account owner" if not change.credited else pool.strategy.replace("_", " ")
            via = f" (overflow from {visited[0]})" if len(visited) > 1 else ""
            reason = f"{rep.name} via {how} in pool {pool.id}{via}, rule {rule_id}"
            trace.append(f"winner: {rep.id}; claim within {sla:g} min")
            return Decision("assigned", reason, trace, rule_id, pool.id, rep.id, sla, change)
        policy = pool.when_no_one_available
        if policy.overflow is not None and policy.overflow not in visited:
            trace.append(f"  overflow: pool {pool.id} -> pool {policy.overflow}")
            pool_id = policy.overflow
            continue
        break
    for pool_id in visited:
        pool = config.pool(pool_id)
        if snap.pool(pool.id).paused is not None:
            continue
        if pool.manager is not None and pool.when_no_one_available.escalate:
            manager = config.rep(pool.manager)
            reason = f"Escalated to {manager.name}, manager of pool {pool.id}: no eligible rep (rule {rule_id})"
            trace.append(f"escalated to manager {manager.id}")
            return Decision("escalated", reason, trace, rule_id, pool.id, manager.id, None)
    reason = f"Held in pool {visited[0]}: no eligible rep and no manager to escalate to (rule {rule_id})"
    trace.append("held; routing is retried later")
    return Decision("held", reason, trace, rule_id, visited[0], None, None)


def escalate(config: BusinessConfig, pool_id: str, reason: str, trace: list[str]) -> Decision:
    """SLA attempts exhausted: the pool's manager gets the lead (held if there is none, or if the pool
    is no longer in the config: a held lead is routed again by the current rules)."""
    pool = next((p for p in config.pools if p.id == pool_id), None)
    if pool is None:
        return Decision("held", f"{reason}; pool {pool_id} is no longer configured", [*trace, "held"], None, None)
    if pool.manager is None:
        return Decision("held", f"{reason}; pool {pool_id} has no manager", [*trace, "held"], None, pool_id)
    manager = config.rep(pool.manager)
    return Decision(
        "escalated",
        f"{reason}; escalated to {manager.name}",
        [*trace, f"escalated to {manager.id}"],
        None,
        pool_id,
        manager.id,
    )


def apply(snap: Snapshot, decision: Decision, now: datetime) -> Snapshot:
    """The snapshot after a decision (for simulate and replay, which never write)."""
    change = decision.change
    loads = dict(snap.loads)
    if decision.rep_id is not None and decision.outcome in ("assigned", "escalated"):
        load = snap.load(decision.rep_id)
        counts = {p: load.count(p) + 1 for p in ("day", "week", "month")}
        loads[decision.rep_id] = RepLoad(load.paused, load.open_leads + 1, tuple(counts.items()))
    pools = dict(snap.pools)
    if change.pool_id is not None and change.rep_id is not None and change.credited:
        credits = dict(snap.pool(change.pool_id).credits)
        for rep_id, weight in change.credited:
            credits[rep_id] = credits.get(rep_id, 0) + weight
        credits[change.rep_id] -= change.debit
        pools[change.pool_id] = PoolState(credits)
    owners = dict(snap.account_owners)
    if change.claim_account is not None and change.rep_id is not None:
        owners[change.claim_account] = change.rep_id
    return Snapshot(loads, pools, owners)


def due_at(now: datetime, minutes: float | None) -> datetime | None:
    return now + timedelta(minutes=minutes) if minutes is not None else None
