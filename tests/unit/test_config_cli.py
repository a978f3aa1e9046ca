"""`leadrelay config check|schema`: a broken file is named by line and exits 1; the schema command
writes what is committed as docs/config.schema.json. (`config push` runs against route in
tests/e2e/test_routing_versions.py.)"""

from pathlib import Path

import pytest

from services.cli import main
from shared.settings import ROOT

EXAMPLE = ROOT / "config" / "leadrelay.example.yaml"


def test_a_valid_file_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(EXAMPLE)]) == 0
    assert "valid (" in capsys.readouterr().out


def test_a_pool_naming_an_unknown_rep_prints_its_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = EXAMPLE.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if "members:" in line and "rep:" in line)
    lines[at] = lines[at].replace("rep: ", "rep: nobody_", 1)
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n")
    assert main(["config", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert f"line {at + 1}:" in err and "unknown rep 'nobody_" in err, err


def test_an_unknown_strategy_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("strategy: round_robin", "strategy: coin_flip", 1))
    assert main(["config", "check", str(broken)]) == 1
    assert "coin_flip" in capsys.readouterr().err


def test_the_schema_command_writes_the_committed_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert main(["config", "schema", "--output", str(out)]) == 0
    assert out.read_text() == (ROOT / "docs" / "config.schema.json").read_text()
