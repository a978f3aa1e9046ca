"""outbound: leadrelay's events to the outside, exactly as subscribed (Standard Webhooks), and the
nurture hand-off to a marketing tool."""
