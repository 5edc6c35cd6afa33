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


def test_issue_table_gives_every_row_its_target_and_verdict() -> None:
    from bench.report import MB, issue_table

    base = dict(requests=100, responses_429=0, seen_429=None, lost=0, duplicated=0,
                outside=0, peak_rss=200 * MB)  # fmt: skip
    results = [
        Result(
            "cpu-bound", "ours query", "duckdb", wall=10.0, conversations=130_000, cpu=8.0, **base
        ),
        Result(
            "cpu-bound", "sdk-threads", "memory", wall=10.0, conversations=10_000, cpu=10.0, **base
        ),
        Result("memory 100,000", "ours auto", "duckdb", wall=1.0, conversations=100_000, **base),
        Result(
            "memory 1,000,000",
            "ours auto",
            "duckdb",
            wall=1.0,
            conversations=1_000_000,
            **{**base, "peak_rss": 260 * MB},
        ),
        Result(
            "pacing",
            "ours query",
            "duckdb",
            wall=11.0,
            conversations=1,
            bound=10.0,
            span=10.5,
            **base,
        ),
        Result("startup", "ours --help", "–", wall=0.4, conversations=0, **base),
    ]
    rows = issue_table(results).splitlines()
    cpu = next(r for r in rows if r.startswith("| cpu-bound, into duckdb"))
    assert "13,000 conv/s (13.0× SDK" in cpu and cpu.endswith("| met |")
    memory = next(r for r in rows if r.startswith("| peak RSS, duckdb"))
    assert "260 MB at 1,000,000" in memory and "**missed**" in memory
    pacing = next(r for r in rows if r.startswith("| query path vs rate bound, 10 req/s"))
    assert "1.10× (1.05× first to last request), 0 × 429" in pacing
    assert pacing.endswith("| met |")
    assert next(r for r in rows if "--help" in r).endswith("| **missed** |")


def test_memory_rows_are_given_by_their_totals() -> None:
    from bench.scenarios import FULL, memory_sizes

    assert memory_sizes([100_000, 1_000_000]) == ((14, 7519), (14, 75188))
    assert memory_sizes([1_000_000])[0] == FULL.memory[-1]


def test_cpu_rows_are_judged_by_their_multiple_of_the_same_runs_sdk() -> None:
    from bench.report import MB, issue_table, ratios

    base = dict(requests=100, responses_429=0, seen_429=None, lost=0, duplicated=0,
                outside=0, peak_rss=200 * MB, wall=10.0)  # fmt: skip
    sdk = Result("cpu-bound", "sdk-threads", "memory", conversations=2_000, **base)
    fast = Result("cpu-bound", "ours query", "jsonl", conversations=56_000, **base)  # 28×
    slow = Result("cpu-bound", "ours query", "csv", conversations=54_000, **base)  # 27×
    rows = issue_table([fast, slow, sdk]).splitlines()
    jsonl = next(r for r in rows if r.startswith("| cpu-bound, into jsonl"))
    assert "≥ 27.6× SDK" in jsonl and "(28.0× SDK" in jsonl
    assert jsonl.endswith("| met by the ratio (25,000 conv/s: not here) |")
    assert next(r for r in rows if r.startswith("| cpu-bound, into csv")).endswith("| **missed** |")
    lines = ratios([fast, slow, sdk])
    assert any("→ csv" in line and "MISSED" in line for line in lines)
    assert any("→ jsonl" in line and "met by the ratio" in line for line in lines)
