"""Post one demo lead to capture and print the Slack alert the stand-in received for it (or, when
LEADRELAY_SLACK_API_URL points at a real Slack workspace, the routing decision that sent it there)."""

import os
import re
import sys
import time
import uuid

import httpx

CAPTURE = "http://127.0.0.1:8001"
SLACK_STANDIN = "http://127.0.0.1:8099"
ROUTE = "http://127.0.0.1:8004"
CONSOLE = "http://127.0.0.1:8006"
INTAKE_KEY = os.environ.get("LEADRELAY_DEMO_INTAKE_KEY", "local-dev-key")
OPS_KEY = os.environ.get("LEADRELAY_DEMO_OPS_KEY", "local-ops-key")


def main() -> int:
    tag = uuid.uuid4().hex[:6]
    lead = {
        "email": f"dana.reyes+{tag}@initech.com",
        "name": "Dana Reyes",
        "title": "VP of Engineering",
        "phone": "+1 415 555 0134",
        "utm_campaign": "demo",
    }
    started = time.perf_counter()
    response = httpx.post(f"{CAPTURE}/v1/webhooks/generic", json=lead, headers={"X-API-Key": INTAKE_KEY}, timeout=10)
    print(f"POST /v1/webhooks/generic -> {response.status_code} {response.text}")
    if response.status_code != 202:
        return 1
    if not os.environ.get("LEADRELAY_SLACK_API_URL", SLACK_STANDIN).startswith(SLACK_STANDIN):
        return show_decision(response.json()["lead_id"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        messages = httpx.get(f"{SLACK_STANDIN}/_standin/messages", timeout=5).json()
        for m in messages:
            if tag in str(m["body"]):
                elapsed = (time.perf_counter() - started) * 1000
                print(f"\nSlack stand-in received, {elapsed:.0f} ms after the webhook, for channel {m['channel']}:")
                print(f"  {m['body']['text']}")
                for block in m["body"].get("blocks", []):
                    for text in [block.get("text", {}).get("text")] + [f["text"] for f in block.get("fields", [])]:
                        if text:
                            print("    " + text.replace("\n", "\n    "))
                lead_id = response.json()["lead_id"]
                print(f"\nWhy it went there: curl -H 'X-API-Key: {OPS_KEY}' {ROUTE}/v1/leads/{lead_id}/routing")
                print(f"Or in the console: {CONSOLE}/console/leads/{lead_id} (log in with the key {OPS_KEY})")
                link = re.search(r"<(http[^|>]+)\|Claim link>", str(m["body"]["blocks"]))
                if link:
                    print(f"Claim it (as the rep would from SMS or email): open {link.group(1)}")
                print("\nStack is running. Post your own: see README.md. Stop everything with `make down`.")
                return 0
        time.sleep(0.1)
    print("no Slack alert arrived within 30 s; see .local/run/logs/", file=sys.stderr)
    return 1


def show_decision(lead_id: str) -> int:
    """With a real Slack workspace there is no stand-in to read: show where route sent the lead."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        trace = httpx.get(f"{ROUTE}/v1/leads/{lead_id}/routing", headers={"X-API-Key": OPS_KEY}, timeout=5)
        if trace.status_code == 200 and trace.json()["decisions"]:
            decision = trace.json()["decisions"][0]
            print(f"\nRouted to {decision['rep_id']}: {decision['reason']}")
            print("The alert went to that rep's Slack in your workspace. Stop everything with `make down`.")
            return 0
        time.sleep(0.2)
    print("the lead was not routed within 30 s; see .local/run/logs/", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
