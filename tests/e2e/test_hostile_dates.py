"""No 5xx on dates: every date and time a caller gives (report ranges, simulate's clock, an event's
occurred_at, a replay's since) is bounded; outside the bounds, or a report range over 366 days, the
answer is 422 naming the field. `end=9999-12-31` and a year-1 `at` answered 500 before."""

import uuid

import httpx

from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, OPS


def _field(response: httpx.Response) -> str:
    assert response.status_code == 422, (response.status_code, response.text)
    return str(response.json()["fields"][0]["field"])


async def test_report_dates_are_bounded_and_ranges_capped(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(base_url=pipeline.insights, headers=OPS) as http:
        assert _field(await http.get("/v1/reports/funnel", params={"end": "9999-12-31"})) == "end"
        assert _field(await http.get("/v1/reports/fairness", params={"start": "0001-01-01"})) == "start"
        wide = await http.get("/v1/reports/speed-to-lead", params={"start": "2024-01-01", "end": "2026-01-01"})
        assert _field(wide) == "end"
        assert _field(await http.get("/v1/reports/funnel", params={"start": "2000-01-01"})) == "end"
        ok = await http.get("/v1/reports/funnel", params={"start": "2026-01-01", "end": "2026-12-31"})
        default = await http.get("/v1/reports/funnel")
    assert ok.status_code == 200 and default.status_code == 200
    assert default.json()["filters"]["start"], "without start a report covers the last 366 days"


async def test_simulate_event_and_replay_times_are_bounded(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient(headers=OPS) as http:
        for at in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
            simulate = await http.post(f"{pipeline.route}/v1/routing/simulate", json={"fit": 80, "at": at})
            assert _field(simulate) == "at"
        fine = await http.post(f"{pipeline.route}/v1/routing/simulate", json={"fit": 80, "at": "2026-06-01T15:00:00Z"})
        assert fine.status_code == 200, fine.text
        sub = await http.post(
            f"{pipeline.outbound}/v1/outbound/subscriptions",
            json={"url": "http://127.0.0.1:9/hook", "events": ["assigned"]},
        )
        assert sub.status_code == 201, sub.text
        replay = await http.post(
            f"{pipeline.outbound}/v1/outbound/subscriptions/{sub.json()['id']}/replay",
            json={"since": "0001-01-01T00:00:00+00:00"},
        )
        assert _field(replay) == "since"
    event = {
        "email": f"t+{uuid.uuid4().hex[:6]}@initech.com",
        "kind": "page_view",
        "occurred_at": "0001-01-01T00:00:00Z",
    }
    async with httpx.AsyncClient() as http:
        single = await http.post(f"{pipeline.capture}/v1/events", json=event, headers=INTAKE)
        batch = await http.post(f"{pipeline.capture}/v1/events/batch", json={"events": [event]}, headers=INTAKE)
    assert _field(single) == "occurred_at"
    assert batch.json()["results"][0]["fields"][0]["field"] == "occurred_at"
