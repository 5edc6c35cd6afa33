"""Smoke test of bench/: the modules import, and the cheapest contender runs for real.

One emulator process, a few hundred conversations, ``genesys-analytics export`` into
JSONL measured like the benchmark measures it; the figures must match the truth.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from bench.emulator import NOW, EmulatorSpec, emulator_process
from bench.report import ratios, table
from bench.results import Result, compare
from bench.scenarios import ours, run_one

pytest.importorskip("psutil")


@pytest.mark.parametrize(
    "module",
    ["bench.run", "bench.contenders.tutorial", "bench.contenders.sdk_threads"],
)
def test_bench_modules_import(module: str) -> None:
    pytest.importorskip("PureCloudPlatformClientV2")
    assert hasattr(importlib.import_module(module), "main")


def test_compare_counts_lost_duplicated_and_outside() -> None:
    assert compare(["a", "b", "b", "x"], {"a", "b", "c"}) == (2, 1, 1, 1)


def test_ours_into_jsonl_matches_truth(tmp_path: Path) -> None:
    start, end = NOW - timedelta(days=1), NOW
    with emulator_process(EmulatorSpec(days=1, per_day=300, rate_limit="50/1")) as emu:
        truth = emu.truth_ids(start, end)
        result = run_one(emu, "rate-bound", ours("query", "jsonl", start, end), truth, tmp_path, 50)
    assert truth
    assert result.conversations == len(truth)
    assert (result.lost, result.duplicated, result.outside) == (0, 0, 0)
    assert result.requests >= 1 and result.responses_429 == 0
    assert result.peak_rss > 10 * 1024 * 1024
    assert result.ratio is not None and result.ratio > 0
    rendered = table([result])
    assert "| rate-bound | ours query | jsonl |" in rendered
    assert any("lost 0, doubled 0" in line for line in ratios([result]))


def test_ratios_flag_a_missed_target() -> None:
    base = dict(sink="duckdb", requests=100, responses_429=0, seen_429=None, lost=0,
                duplicated=0, outside=0, peak_rss=1, conversations=1000)  # fmt: skip
    slow = Result(scenario="rate-bound", contender="ours query", wall=10.0, bound=2.0, **base)
    lines = ratios([slow])
    assert any("5.00× the bound" in line and "MISSED" in line for line in lines)
    assert isinstance(Result, type)
