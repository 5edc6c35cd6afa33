"""The three scenarios of issue 5; each starts its own emulator and runs its contenders."""

from __future__ import annotations

import json
import logging
import math
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench.contenders.ours import export_command, written_ids
from bench.emulator import NOW, Emulator, EmulatorSpec, emulator_process
from bench.measure import Measured, run_measured
from bench.results import Result, compare
from genesys_analytics.timeutil import fmt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scale:
    rate_days: int = 14
    rate_per_day: int = 2900
    rate_limit: int = 50  # requests per second
    cpu_days: int = 14
    cpu_per_day: int = 14_286  # 200,000
    sdk_hours: int = 24  # the SDK decodes the last hours of the cpu scenario (a rate per second)
    # 100k, 400k and 1,000,000 conversations (14 days each)
    memory: tuple[tuple[int, int], ...] = ((14, 7_519), (14, 30_076), (14, 75_188))
    pacing_days: int = 3
    pacing_per_day: int = 8_000  # 240 requests: 24 s at 10 a second
    pacing_limit: int = 10  # requests per 1-second window, fixed on the clock
    tutorial: bool = True
    rate_sdk: bool = True  # sdk-threads in the rate-bound and pacing scenarios
    variants: bool = True  # also job / auto / --workers 16 in the rate-bound scenario


FULL = Scale()
MEMORY_DAYS = 14


#: The emulator's days hold ~95.6 % of ``per_day`` on average (14 days of 7,143 gave 95,585;
#: of 71,429, 956,319), so a row asks for a little more to hold at least its total.
MEMORY_YIELD = 0.95


def memory_sizes(totals: list[int]) -> tuple[tuple[int, int], ...]:
    """The memory scenario's rows for at least these totals of conversations, over 14 days."""
    return tuple((MEMORY_DAYS, max(1, math.ceil(n / MEMORY_DAYS / MEMORY_YIELD))) for n in totals)


# Each SDK process spends 5-25 s importing PureCloudPlatformClientV2: the quick run starts it
# once (the cpu-bound ratio, on the last hour: ~1,200 conversations, as the SDK decodes ~100-200
# a CPU second) and leaves out the tutorial.
QUICK = Scale(
    rate_days=1, rate_per_day=1500, cpu_days=1, cpu_per_day=12_000, sdk_hours=1,
    memory=((1, 3_000), (1, 9_000)), pacing_days=1, pacing_per_day=4_000, tutorial=False,
    rate_sdk=False, variants=False,
)  # fmt: skip
KB_PER_CONVERSATION = 4  # what the emulator keeps of a conversation it serves (--cache-mb)


@dataclass(frozen=True)
class Contender:
    name: str
    sink: str  # "duckdb", "jsonl" or "memory" (SDK lists)
    command: Callable[[Path], list[str]]
    ids: Callable[[Path, Measured], list[str]]
    sdk: bool = False


def ours(
    method: str, sink: str, start: datetime, end: datetime, workers: int | None = None
) -> Contender:
    name = f"ours {method}" + (f" w{workers}" if workers else "")
    return Contender(
        name,
        sink,
        lambda out: export_command(start, end, out, method=method, fmt_=sink, workers=workers),
        lambda out, _m: written_ids(out, sink),
    )


def sdk(module: str, name: str, start: datetime, end: datetime, *extra: str) -> Contender:
    def command(out: Path) -> list[str]:
        return [
            sys.executable, "-m", f"bench.contenders.{module}",
            "--start", fmt(start), "--end", fmt(end), "--ids", str(out), *extra,
        ]  # fmt: skip

    def ids(out: Path, _m: Measured) -> list[str]:
        return out.read_text().split()

    return Contender(name, "memory", command, ids, sdk=True)


def run_one(
    emu: Emulator,
    scenario: str,
    contender: Contender,
    truth: set[str],
    workdir: Path,
    rate: float | None = None,
) -> Result:
    out = workdir / f"{contender.name.replace(' ', '-')}.{contender.sink}"
    before = emu.stats(restart_arrivals=True)["counters"]
    measured = run_measured(contender.command(out), emu.env())
    after_stats = emu.stats()
    after = after_stats["counters"]
    # From this contender's first API request to its last, as the server saw them: the
    # pacing alone, without process start-up, login and the final commit.
    arrivals = after_stats.get("api_arrivals", [])
    span = arrivals[-1] - arrivals[0] if len(arrivals) == 2 else None
    if measured.returncode != 0:
        raise RuntimeError(f"{contender.name} failed:\n{measured.stderr[-3000:]}")
    received = contender.ids(out, measured)
    inside, lost, dup, outside = compare(received, truth)
    tokens = after.get("tokens_issued", 0) - before.get("tokens_issued", 0)
    requests = after.get("requests", 0) - before.get("requests", 0) - 1 - tokens
    sent_429 = after.get("responses_429", 0) - before.get("responses_429", 0)
    seen: int | None = None
    wall = measured.wall
    note = ""
    if contender.sdk:
        line = json.loads(measured.stdout.strip().splitlines()[-1])
        seen = int(line.get("seen_429", 0))
        if sent_429 > seen:
            note = f"SDK's urllib3 retried {sent_429 - seen} 429s silently"
    result = Result(
        scenario=scenario,
        contender=contender.name,
        sink=contender.sink,
        wall=wall,
        conversations=inside,
        requests=requests,
        responses_429=sent_429,
        seen_429=seen,
        lost=lost,
        duplicated=dup,
        outside=outside,
        peak_rss=measured.peak_rss,
        cpu=measured.cpu,
        span=span,
        bound=requests / rate if rate else None,
        note=note,
    )
    log.info("%s / %s → %s: %s", scenario, contender.name, contender.sink, result.as_json())
    for p in out.parent.glob(out.name + "*"):
        if p.is_file():
            p.unlink()
    return result


def _interval(days: int) -> tuple[datetime, datetime]:
    return NOW - timedelta(days=days), NOW


def rate_bound(scale: Scale, workdir: Path) -> list[Result]:
    start, end = _interval(scale.rate_days)
    spec = EmulatorSpec(
        days=scale.rate_days, per_day=scale.rate_per_day,
        rate_limit=f"{scale.rate_limit}/1", latency="0.1-0.3",
    )  # fmt: skip
    contenders = [ours("query", "duckdb", start, end)]
    if scale.rate_sdk:
        contenders.append(sdk("sdk_threads", "sdk-threads", start, end, "--threads", "8"))
    if scale.tutorial:
        contenders.append(sdk("tutorial", "tutorial", start, end))
    if scale.variants:
        contenders += [
            ours("job", "duckdb", start, end),
            ours("query", "duckdb", start, end, workers=16),
            ours("auto", "duckdb", start, end),
        ]
    with emulator_process(spec) as emu:
        truth = emu.truth_ids(start, end)
        return [run_one(emu, "rate-bound", c, truth, workdir, scale.rate_limit) for c in contenders]


def cpu_bound(scale: Scale, workdir: Path) -> list[Result]:
    start, end = _interval(scale.cpu_days)
    sdk_start = end - timedelta(hours=scale.sdk_hours)
    spec = EmulatorSpec(days=scale.cpu_days, per_day=scale.cpu_per_day)
    with emulator_process(spec) as emu:
        truth = emu.truth_ids(start, end)
        sdk_truth = emu.truth_ids(sdk_start, end)
        results = [
            run_one(emu, "cpu-bound", ours("query", "duckdb", start, end), truth, workdir),
            run_one(
                emu,
                "cpu-bound",
                sdk("sdk_threads", "sdk-threads", sdk_start, end, "--threads", "4"),
                sdk_truth,
                workdir,
            ),
            run_one(emu, "cpu-bound", ours("query", "jsonl", start, end), truth, workdir),
            run_one(emu, "cpu-bound", ours("query", "csv", start, end), truth, workdir),
            run_one(emu, "cpu-bound", ours("query", "parquet", start, end), truth, workdir),
        ]
    return results


def pacing(scale: Scale, workdir: Path) -> list[Result]:
    """Fixed windows on the clock, counting arrivals, with 0.1-0.3 s of random latency."""
    start, end = _interval(scale.pacing_days)
    spec = EmulatorSpec(
        days=scale.pacing_days, per_day=scale.pacing_per_day,
        rate_limit=f"{scale.pacing_limit}/1", latency="0.1-0.3", rate_window="clock",
    )  # fmt: skip
    contenders = [ours("query", "duckdb", start, end)]
    if scale.rate_sdk:
        contenders.append(sdk("sdk_threads", "sdk-threads", start, end, "--threads", "8"))
    with emulator_process(spec) as emu:
        truth = emu.truth_ids(start, end)
        return [run_one(emu, "pacing", c, truth, workdir, scale.pacing_limit) for c in contenders]


def memory(scale: Scale, workdir: Path) -> list[Result]:
    results = []
    for days, per_day in scale.memory:
        start, end = _interval(days)
        # Room to keep every conversation served once, so the second sink is not slowed by
        # the emulator generating the days again (1,000,000 take ~4 GB).
        cache_mb = max(2048, days * per_day * KB_PER_CONVERSATION // 1024)
        spec = EmulatorSpec(days=days, per_day=per_day, cache_mb=cache_mb)
        log.info("memory: %d days × %d conversations, the emulator generating them", days, per_day)
        with emulator_process(spec) as emu:
            truth = emu.truth_ids(start, end)
            name = f"memory {len(truth):,}"
            # JSON Lines first: its row is in within minutes even where DuckDB's takes long.
            for sink in ("jsonl", "duckdb"):
                log.info("%s: ours auto → %s", name, sink)
                results.append(run_one(emu, name, ours("auto", sink, start, end), truth, workdir))
    return results


def help_time(scale: Scale, workdir: Path) -> list[Result]:
    """``genesys-analytics --help`` as a user starts it: the median of five runs."""
    script = Path(sys.executable).parent / "genesys-analytics"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "genesys_analytics"]
    runs = sorted((run_measured([*cmd, "--help"]) for _ in range(5)), key=lambda r: r.wall)
    m = runs[len(runs) // 2]
    if m.returncode != 0:
        raise RuntimeError(f"--help failed:\n{m.stderr[-2000:]}")
    return [
        Result("startup", "ours --help", "–", m.wall, 0, 0, 0, None, 0, 0, 0, m.peak_rss, m.cpu)
    ]


SCENARIOS: dict[str, Callable[[Scale, Path], list[Result]]] = {
    "rate": rate_bound,
    "cpu": cpu_bound,
    "pacing": pacing,
    "memory": memory,
    "help": help_time,
}


def run_scenarios(names: list[str], scale: Scale) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="genesys-bench-") as tmp:
        for name in names:
            results.extend(SCENARIOS[name](scale, Path(tmp)))
    return results
