"""The delivery queue's queries (schema `notify`): one row per (assignment, channel), from `queued`
or `sending` to `sent` or `failed`. Every statement works on a whole batch of rows at once."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import raw_sql
from shared.payloads import Assignment


@dataclass(frozen=True)
class NewDelivery:
    assignment: Assignment
    channel: str
    target: str
    not_before: datetime
    send_now: bool
    """True: inserted as `sending` by this process, which sends it at once; False: queued for its slot."""
    traceparent: str | None = None
    lead_id: UUID | None = None
    correlation_id: UUID | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    assignment: Assignment
    channel: str
    target: str
    attempts: int
    """Attempts made, counting the one about to be made when it is handed to the sender."""
    in_doubt_since: datetime | None = None
    """Set when an earlier sender died mid-send: ask the provider before sending again."""
    traceparent: str | None = None


async def enqueue(session: AsyncSession, rows: list[NewDelivery], sender: UUID) -> list[Delivery]:
    """Insert the deliveries that do not exist yet (a redelivered alert inserts nothing); returns the
    ones inserted as `sending`, which the caller must send."""
    if not rows:
        return []
    result = await raw_sql.fetch(
        session,
        "INSERT INTO notify.deliveries"
        " (assignment_id, channel, target, status, assignment, not_before, slotted, sending_at, sending_by,"
        " attempts, traceparent, lead_id, correlation_id)"
        " SELECT u.a, u.c, u.t, CASE WHEN u.now THEN 'sending' ELSE 'queued' END, CAST(u.p AS jsonb), u.nb,"
        " NOT u.now, CASE WHEN u.now THEN now() END, CASE WHEN u.now THEN CAST(:s AS uuid) END,"
        " CASE WHEN u.now THEN 1 ELSE 0 END, u.tp, u.l, u.k"
        " FROM unnest(CAST(:a AS uuid[]), CAST(:c AS text[]), CAST(:t AS text[]), CAST(:p AS text[]),"
        " CAST(:nb AS timestamptz[]), CAST(:now AS boolean[]), CAST(:tp AS text[]), CAST(:l AS uuid[]),"
        " CAST(:k AS uuid[])) AS u(a, c, t, p, nb, now, tp, l, k)"
        " ON CONFLICT (assignment_id, channel) DO NOTHING RETURNING id, assignment_id, channel, status",
        {
            "a": [r.assignment.assignment_id for r in rows],
            "c": [r.channel for r in rows],
            "t": [r.target for r in rows],
            "p": [r.assignment.model_dump_json() for r in rows],
            "nb": [r.not_before for r in rows],
            "now": [r.send_now for r in rows],
            "tp": [r.traceparent for r in rows],
            "l": [r.lead_id for r in rows],
            "k": [r.correlation_id for r in rows],
            "s": sender,
        },
    )
    by_key = {(r.assignment.assignment_id, r.channel): r for r in rows}
    return [
        Delivery(
            row.id,
            by_key[(row.assignment_id, row.channel)].assignment,
            row.channel,
            by_key[(row.assignment_id, row.channel)].target,
            1,
            traceparent=by_key[(row.assignment_id, row.channel)].traceparent,
        )
        for row in result
        if row.status == "sending"
    ]


@dataclass(frozen=True)
class Due:
    delivery: Delivery
    slotted: bool
    """Its `not_before` is a pacing slot reserved when it was queued: it goes now, unpaced again."""


async def lock_due(session: AsyncSession, now: datetime, alive_seconds: float, limit: int) -> list[Due]:
    """Queued rows whose time has come, and `sending` rows whose sender is gone (no heartbeat in the
    last `alive_seconds`, by the database's clock), oldest first, locked until commit (other notify
    replicas skip them)."""
    result = await raw_sql.fetch(
        session,
        "SELECT d.id, d.assignment, d.channel, d.target, d.status, d.attempts, d.sending_at, d.slotted,"
        " d.traceparent"
        " FROM notify.deliveries d WHERE d.status IN ('queued', 'sending') AND ("
        " (d.status = 'queued' AND d.not_before <= :now) OR (d.status = 'sending' AND NOT EXISTS ("
        " SELECT 1 FROM notify.senders s WHERE s.id = d.sending_by"
        " AND s.seen_at >= now() - make_interval(secs => :alive))))"
        " ORDER BY d.not_before NULLS FIRST, d.id LIMIT :n FOR UPDATE OF d SKIP LOCKED",
        {"now": now, "alive": alive_seconds, "n": limit},
    )
    due = []
    for row in result:
        assignment = Assignment.model_validate(_doc(row.assignment)) if row.assignment is not None else None
        if assignment is None:
            continue
        doubt = row.sending_at if row.status == "sending" else None
        delivery = Delivery(row.id, assignment, row.channel, row.target, row.attempts, doubt, row.traceparent)
        due.append(Due(delivery, row.slotted))
    return due


def _doc(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def start_sending(session: AsyncSession, ids: list[int], sender: UUID) -> None:
    await raw_sql.execute(
        session,
        "UPDATE notify.deliveries SET status = 'sending', sending_at = now(), sending_by = :s,"
        " attempts = attempts + 1, slotted = false WHERE id = ANY(:ids)",
        {"ids": ids, "s": sender},
    )


async def defer(session: AsyncSession, slots: list[tuple[int, datetime]]) -> None:
    """Queue rows again for the pacing slot each was given (the slot is theirs: no pacing then)."""
    await raw_sql.execute(
        session,
        "UPDATE notify.deliveries d SET status = 'queued', not_before = u.nb, slotted = true"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:nb AS timestamptz[])) AS u(id, nb) WHERE d.id = u.id",
        {"ids": [i for i, _ in slots], "nb": [t for _, t in slots]},
    )


@dataclass(frozen=True)
class Outcomes:
    sent: list[tuple[int, str, str | None]]
    """(row id, provider's message id, the channel's note for the trace: a CRM's owner policy)"""
    retry: list[tuple[int, datetime, str]]
    """(row id, not before, error)"""
    failed: list[tuple[int, str]]
    """(row id, error): attempts used up"""


async def record(session: AsyncSession, outcomes: Outcomes) -> None:
    if outcomes.sent:
        await raw_sql.execute(
            session,
            "UPDATE notify.deliveries d SET status = 'sent', sent_at = now(), outcome_at = now(),"
            " external_id = u.x, last_error = NULL,"
            " provider_status = coalesce(u.note, (SELECT status FROM notify.provider_statuses p"
            " WHERE p.channel = d.channel AND p.external_id = u.x ORDER BY rank DESC, received_at DESC LIMIT 1))"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:x AS text[]), CAST(:notes AS text[])) AS u(id, x, note)"
            " WHERE d.id = u.id",
            {
                "ids": [i for i, _, _ in outcomes.sent],
                "x": [x for _, x, _ in outcomes.sent],
                "notes": [note for _, _, note in outcomes.sent],
            },
        )
    if outcomes.retry:
        await raw_sql.execute(
            session,
            "UPDATE notify.deliveries d SET status = 'queued', not_before = u.nb, slotted = false,"
            " last_error = u.e FROM unnest(CAST(:ids AS bigint[]), CAST(:nb AS timestamptz[]),"
            " CAST(:e AS text[])) AS u(id, nb, e) WHERE d.id = u.id",
            {
                "ids": [i for i, _, _ in outcomes.retry],
                "nb": [t for _, t, _ in outcomes.retry],
                "e": [e[:2000] for _, _, e in outcomes.retry],
            },
        )
    if outcomes.failed:
        await raw_sql.execute(
            session,
            "UPDATE notify.deliveries d SET status = 'failed', outcome_at = now(), last_error = u.e"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:e AS text[])) AS u(id, e) WHERE d.id = u.id",
            {"ids": [i for i, _ in outcomes.failed], "e": [e[:2000] for _, e in outcomes.failed]},
        )


async def heartbeat(session: AsyncSession, sender: UUID) -> None:
    """This sender is alive; senders silent for a day are forgotten."""
    await session.execute(
        text(
            "INSERT INTO notify.senders (id, seen_at) VALUES (:s, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()"
        ),
        {"s": sender},
    )
    await session.execute(text("DELETE FROM notify.senders WHERE seen_at < now() - interval '1 day'"))


async def next_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(text("SELECT min(not_before) FROM notify.deliveries WHERE status = 'queued'"))
    ).scalar_one_or_none()
