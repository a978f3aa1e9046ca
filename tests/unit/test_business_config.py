from pathlib import Path

import pytest

from shared.business.loader import ConfigError, load_config
from shared.settings import ROOT


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config" / "leadrelay.example.yaml")
    assert config.pool(config.routing.default_pool).rep_ids == ["alice", "bruno", "chen"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def test_a_bad_field_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
scoring:
  rules:
    - id: senior
      field: fields.title
      regex: "vp"
      points: lots
reps: [{id: a, name: A}]
pools: [{id: p, members: [a]}]
routing: {default_pool: p}
""",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path} line 6: scoring.rules.0.points" in str(info.value)


def test_rule_needs_exactly_one_matcher(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
scoring:
  rules:
    - {id: r, field: x, points: 1}
reps: [{id: a, name: A}]
pools: [{id: p, members: [a]}]
routing: {default_pool: p}
""",
    )
    with pytest.raises(ConfigError, match=r"line 3: scoring\.rules\.0: .*exactly one of equals, in, range, regex"):
        load_config(path)


def test_unknown_reps_and_pools_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
reps: [{id: a, name: A}]
pools: [{id: p, members: [a, ghost]}]
routing: {default_pool: nowhere}
""",
    )
    with pytest.raises(ConfigError, match="ghost"):
        load_config(path)


def test_unreadable_and_non_yaml_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "reps: [unclosed"))


def test_a_rep_looked_up_in_slack_by_email_needs_an_email() -> None:
    import pytest
    from pydantic import ValidationError

    from shared.business.reps import Rep

    assert Rep(id="dana", name="Dana", slack="by_email", email="dana@example.com").slack == "by_email"
    with pytest.raises(ValidationError, match="by_email but no email"):
        Rep(id="dana", name="Dana", slack="by_email")
