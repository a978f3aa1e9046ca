"""Counting escalations into their window's digest, in PostgreSQL (schema `notify`), for a whole
batch at once. The digest rows are upserted first, in key order: that locks them until commit, so
two notify instances agree on which escalations went one by one, and never deadlock. A redelivered
escalation is counted once (an item's key is its assignment and channel)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.digest_admission import DigestKey, admit_in_order
from services.notify.digests import Escalation, window_of
from shared.business.notifications import EscalationDigest


class DigestStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def admit(self, escalations: list[Escalation], policy: EscalationDigest, now: datetime) -> list[Escalation]:
        """Count each escalation in its window's digest; returns those to send one by one."""
        if not escalations:
            return []
        start, end = window_of(now, policy.window_seconds)
        recipients = sorted({(e.channel, e.target): e.assignment.rep.id for e in escalations}.items())
        digest_of: dict[DigestKey, int] = {
            (r.channel, r.target): r.id
            for r in await self._s.execute(
                text(
                    "INSERT INTO notify.digests (rep_id, channel, target, window_start, window_end)"
                    " SELECT r, c, t, CAST(:s AS timestamptz), CAST(:e AS timestamptz)"
                    " FROM unnest(CAST(:r AS text[]), CAST(:c AS text[]), CAST(:t AS text[])) AS u(r, c, t)"
                    " ORDER BY c, t"
                    " ON CONFLICT (channel, target, window_start) DO UPDATE SET rep_id = EXCLUDED.rep_id"
                    " RETURNING id, channel, target"
                ),
                {
                    "r": [rep for _, rep in recipients],
                    "c": [c for (c, _), _ in recipients],
                    "t": [t for (_, t), _ in recipients],
                    "s": start,
                    "e": end,
                },
            )
        }
        keys = [(e.assignment.assignment_id, e.channel) for e in escalations]
        sent_alone: dict[int, int] = {}
        known: set[tuple[UUID, str]] = set()
        for r in await self._s.execute(
            text(
                "SELECT i.assignment_id, i.channel, i.digest_id, i.individual FROM notify.digest_items i"
                " WHERE i.digest_id = ANY(:d) AND i.individual"
                " UNION SELECT i.assignment_id, i.channel, i.digest_id, i.individual FROM notify.digest_items i"
                " JOIN unnest(CAST(:a AS uuid[]), CAST(:c AS text[])) AS k(a, c)"
                " ON i.assignment_id = k.a AND i.channel = k.c"
            ),
            {"d": sorted(set(digest_of.values())), "a": [a for a, _ in keys], "c": [c for _, c in keys]},
        ):
            known.add((r.assignment_id, r.channel))
            if r.individual and r.digest_id in digest_of.values():
                sent_alone[r.digest_id] = sent_alone.get(r.digest_id, 0) + 1
        admitted = admit_in_order(escalations, digest_of, sent_alone, known, policy.threshold)
        if not admitted:
            return []
        inserted = await self._s.execute(
            text(
                "INSERT INTO notify.digest_items (assignment_id, channel, digest_id, individual, score, assignment)"
                " SELECT a, c, d, i, s, CAST(p AS jsonb) FROM unnest(CAST(:a AS uuid[]), CAST(:c AS text[]),"
                " CAST(:d AS bigint[]), CAST(:i AS boolean[]), CAST(:s AS int[]), CAST(:p AS text[]))"
                " AS u(a, c, d, i, s, p) ON CONFLICT (assignment_id, channel) DO NOTHING"
                " RETURNING assignment_id, channel"
            ),
            {
                "a": [x.escalation.assignment.assignment_id for x in admitted],
                "c": [x.escalation.channel for x in admitted],
                "d": [x.digest_id for x in admitted],
                "i": [x.individual for x in admitted],
                "s": [x.escalation.assignment.lead.score for x in admitted],
                "p": [x.escalation.assignment.model_dump_json() for x in admitted],
            },
        )
        counted = {(r.assignment_id, r.channel) for r in inserted}
        admitted = [x for x in admitted if (x.escalation.assignment.assignment_id, x.escalation.channel) in counted]
        digested = sorted({x.digest_id for x in admitted if not x.individual})
        if digested:
            await self._s.execute(
                text(
                    "UPDATE notify.digests SET due_at = CASE WHEN dirty THEN due_at WHEN channel = 'slack'"
                    " THEN greatest(:now, coalesce(sent_at + make_interval(secs => :u), :now)) ELSE window_end END,"
                    " dirty = true WHERE id = ANY(:ids)"
                ),
                {"now": now, "u": policy.update_seconds, "ids": digested},
            )
        return [x.escalation for x in admitted if x.individual]

    async def mark_claimed(
        self, claims: list[tuple[UUID, str, datetime]], policy: EscalationDigest, now: datetime
    ) -> None:
        """Claimed escalations show as claimed; a Slack digest already posted is updated to say so."""
        if not claims:
            return
        touched = (
            await self._s.execute(
                text(
                    "UPDATE notify.digest_items i SET claimed_by = c.r, claimed_at = c.t"
                    " FROM unnest(CAST(:a AS uuid[]), CAST(:r AS text[]), CAST(:t AS timestamptz[])) AS c(a, r, t)"
                    " WHERE i.assignment_id = c.a AND i.claimed_at IS NULL AND NOT i.individual"
                    " RETURNING i.digest_id"
                ),
                {"a": [c[0] for c in claims], "r": [c[1] for c in claims], "t": [c[2] for c in claims]},
            )
        ).scalars()
        ids = sorted(set(touched))
        if ids:
            await self._s.execute(
                text(
                    "UPDATE notify.digests SET dirty = true,"
                    " due_at = greatest(:now, coalesce(sent_at + make_interval(secs => :u), :now))"
                    " WHERE id = ANY(:ids) AND channel = 'slack' AND message_id IS NOT NULL AND NOT dirty"
                ),
                {"now": now, "u": policy.update_seconds, "ids": ids},
            )
