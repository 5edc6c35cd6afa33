"""`agents --chart` as a user runs it: the CLI as a process against a real emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from genesys_analytics.emulator import EmulatorSettings, run_emulator
from genesys_analytics.timeutil import fmt

from .conftest import NOW, cli_env, run_cli

SPAN = ["--start", fmt(NOW - timedelta(days=3)), "--end", fmt(NOW - timedelta(hours=2))]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with run_emulator(EmulatorSettings(seed=44, days=4, per_day=150, now=NOW)) as server:
        yield server


def assert_drawn(png: Path) -> None:
    from matplotlib import image

    assert png.read_bytes()[:8] == PNG
    rgb = image.imread(png)[..., :3]
    coloured = (rgb.max(axis=-1) - rgb.min(axis=-1) > 0.2).mean()
    assert coloured > 0.02, "coloured bars, not a blank image"


@pytest.mark.parametrize("by", ["day", "user"])
def test_chart_is_written_next_to_the_report(emu: Any, tmp_path: Path, by: str) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "charts" / f"agents-by-{by}.png"
    args = ["agents", *SPAN, "--by", by, "--format", "json", "--chart", str(png)]
    res = run_cli(args, cli_env(emu), tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"], "the report is printed as well"
    assert f"chart written to {png}" in res.stderr and "empty" not in res.stderr
    assert_drawn(png)


def test_a_chart_needs_day_or_user_before_any_request(emu: Any, tmp_path: Path) -> None:
    png = tmp_path / "agents.png"
    res = run_cli(["agents", *SPAN, "--by", "hour", "--chart", str(png)], cli_env(emu), tmp_path)
    assert res.returncode == 2
    assert "add day or user to --by" in res.stderr and "Traceback" not in res.stderr
    assert not png.exists()
