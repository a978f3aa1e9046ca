"""The outbound store's switches on the real database: enabling a subscription makes what waited
due at once (its doubled waits were the failing subscriber's, not the mended one's), and the
sender's disable turns a subscription off once however many failures race to it."""

import uuid
from datetime import UTC, datetime, timedelta

from services.outbound import store
from shared.db import Database


async def test_enabling_makes_waiting_deliveries_due_now_and_disable_counts_once(db: Database) -> None:
    sub_id, lead = uuid.uuid4(), uuid.uuid4()
    async with db.session_scope() as session:
        sub = await store.create(session, sub_id, "webhook", "https://hooks.example.com/x", ["assigned"], "whsec_", "")
        event = uuid.uuid4()
        await store.enqueue(session, [(event, lead, "assigned", {"type": "lead.assigned"})])
        [row] = await store.log(session, sub_id, None, 10)
        delivery = store.Delivery(row["id"], sub, event, "assigned", lead, {}, 1)
        later = datetime.now(UTC) + timedelta(hours=1)
        await store.record_failed(session, delivery, 503, "HTTP 503", later)
        first = await store.disable(session, sub_id, "disabled after 1 failed delivery")
        second = await store.disable(session, sub_id, "disabled after 2 failed deliveries")
    assert (first, second) == (True, False)
    async with db.session_scope() as session:
        [waiting] = await store.log(session, sub_id, "queued", 10)
        assert waiting["next_at"] >= later - timedelta(seconds=1)
        assert await store.set_enabled(session, sub_id, True, None)
    async with db.session_scope() as session:
        [due] = await store.log(session, sub_id, "queued", 10)
        sub = await store.get(session, sub_id)
        await store.delete(session, sub_id)
    assert due["next_at"] <= datetime.now(UTC)
    assert sub is not None and sub.enabled and sub.disabled_reason is None
