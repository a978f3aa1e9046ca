"""The alert rules and the dashboard only name metrics that leadrelay really exports, and the rules
are shaped as Prometheus loads them."""

import json
import re

import yaml
from prometheus_client import REGISTRY

import shared.metrics  # noqa: F401  (registers the services' metrics)
from services.ops.lag_exporter import LagCollector
from shared.settings import ROOT

DIR = ROOT / "deploy" / "observability"
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def exported() -> set[str]:
    names = {metric.name for metric in REGISTRY.collect()} | {m.name for m in LagCollector().collect()}
    return names | {n + s for n in names for s in SUFFIXES}


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b(leadrelay_[a-z0-9_]+)", expr))


def test_every_alert_rule_is_complete_and_names_exported_metrics() -> None:
    rules = yaml.safe_load((DIR / "alerts.yaml").read_text())["groups"][0]["rules"]
    known = exported()
    assert len(rules) >= 5
    for rule in rules:
        assert set(rule) >= {"alert", "expr", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in ("page", "ticket")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        names = metric_names(rule["expr"])
        assert names or rule["expr"].startswith("up{"), rule["alert"]
        assert names <= known, (rule["alert"], names - known)


def test_every_dashboard_panel_queries_exported_metrics() -> None:
    dashboard = json.loads((DIR / "grafana-dashboard.json").read_text())
    known = exported()
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert any("leadrelay_speed_to_lead_seconds" in e for e in exprs)
    assert any("leadrelay_consumer_lag_seconds" in e for e in exprs)
    for expr in exprs:
        names = metric_names(expr)
        assert names and names <= known, (expr, names - known)
