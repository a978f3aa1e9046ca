"""The console's pure parts: every template compiles, sessions are signed and expire, the SVG
charts escape labels, CSV cells cannot become formulas, and the rules page lists the config."""

from pathlib import Path

from services.insights import charts, report_tables, sessions
from services.insights.console import templates
from services.insights.rules_editor import located, parse_draft, rule_rows
from shared.business.loader import load_config
from shared.settings import ApiKey

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "leadrelay.example.yaml"


def test_every_template_compiles() -> None:
    names = templates.list_templates()
    assert {"live.html", "lead.html", "reps.html", "rules.html", "reports.html", "login.html", "audit.html"} <= set(
        names
    )
    for name in names:
        templates.get_template(name)


def test_a_session_is_signed_and_expires() -> None:
    cookie, csrf = sessions.issue("a-session-secret-0123", "ops", hours=1, now=1000.0)
    data = sessions.verify("a-session-secret-0123", cookie, now=1001.0)
    assert data is not None and data["k"] == "ops" and data["csrf"] == csrf
    assert sessions.verify("another-secret-012345", cookie, now=1001.0) is None
    assert sessions.verify("a-session-secret-0123", cookie, now=1000.0 + 3601) is None
    payload, mac = cookie.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    assert sessions.verify("a-session-secret-0123", f"{forged}.{mac}", now=1001.0) is None
    assert sessions.verify("a-session-secret-0123", "garbage", now=1001.0) is None


def test_only_ops_and_rep_keys_may_use_the_console() -> None:
    def key(scopes: list[str], rep: str | None = None) -> ApiKey:
        return ApiKey.model_validate({"name": "k", "key": "x" * 20, "scopes": scopes, "rep": rep})

    assert sessions.role_of(key(["ops:read", "ops:write"])) == (None, True)
    assert sessions.role_of(key(["ops:read"])) == (None, False)
    assert sessions.role_of(key(["claim"], rep="alice")) == ("alice", False)
    assert sessions.role_of(key(["claim"])) is None
    assert sessions.role_of(key(["intake"])) is None


def test_chart_labels_are_escaped_and_bars_scale_to_the_largest() -> None:
    svg = str(charts.bars("t", [("<script>x</script>", [10.0, 20.0]), ("b", [5.0, None])], ["p50", "p90"], "s"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'width="360.0"' in svg and 'width="180.0"' in svg and 'width="90.0"' in svg


def test_csv_cells_cannot_be_formulas() -> None:
    text = report_tables.to_csv(["a", "b"], [["=HYPERLINK(1)", "+1"], ["ok", None]])
    assert text.splitlines() == ["a,b", "'=HYPERLINK(1),'+1", "ok,"]


def test_rules_page_lists_each_condition() -> None:
    config = load_config(EXAMPLE)
    rows = rule_rows(config)
    assert [r["id"] for r in rows] == [r.id for r in config.routing.rules]
    assert all(isinstance(c, str) and " " in c for r in rows for c in r["when"])


def test_a_draft_error_is_shown_at_its_yaml_line() -> None:
    draft = "reps:\n  - id: ann\n    name: Ann\npools:\n  - id: inbound\n    members: [ann, nobody]\n"
    [error] = located(draft, [{"field": "document.pools.0.members.1", "message": "unknown rep 'nobody'"}])
    assert error == {"field": "pools.0.members.1", "line": 6, "message": "unknown rep 'nobody'"}
    document, errors = parse_draft("reps: [\n  - broken")
    assert document is None and errors[0]["line"] == 2 and "not valid YAML" in errors[0]["message"]
    assert parse_draft("- a list")[1][0]["field"] == "draft"
