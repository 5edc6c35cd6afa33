"""Markdown tables of the results, one per scenario, plus the ratios the targets name."""

from __future__ import annotations

from collections.abc import Sequence

from bench.results import Result

MB = 1024 * 1024


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(results: Sequence[Result]) -> str:
    head = (
        "| scenario | contender | sink | wall s | conv | conv/s | requests | 429 sent"
        " (seen) | lost | dup | outside | peak RSS MB | bound s | wall/bound |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in results:
        seen = "" if r.seen_429 is None else f" ({r.seen_429})"
        lines.append(
            f"| {r.scenario} | {r.contender} | {r.sink} | {r.wall:.1f} | {r.conversations:,} "
            f"| {r.per_second:,.0f} | {r.requests:,} | {r.responses_429}{seen} | {r.lost:,} "
            f"| {r.duplicated:,} | {r.outside:,} | {r.peak_rss / MB:,.0f} | {_num(r.bound)} "
            f"| {_num(r.ratio, 2)} |"
        )
    return "\n".join(lines)


def _find(results: Sequence[Result], scenario: str, contender: str, sink: str) -> Result | None:
    for r in results:
        if (r.scenario, r.contender, r.sink) == (scenario, contender, sink):
            return r
    return None


def ratios(results: Sequence[Result]) -> list[str]:
    """One line per target of issue 5, with the measured figure and met / missed."""
    out: list[str] = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    rate = [r for r in results if r.scenario.startswith("rate")]
    tutorial = next((r for r in rate if r.contender == "tutorial"), None)
    threads = next((r for r in rate if r.contender == "sdk-threads"), None)
    for ours in (r for r in rate if r.contender.startswith("ours")):
        name = f"{ours.contender} → {ours.sink}"
        if ours.ratio is not None:
            ok = ours.ratio <= 1.1 and ours.responses_429 == 0
            out.append(
                f"- rate-bound, {name}: {ours.ratio:.2f}× the bound, {ours.responses_429} 429s "
                f"(target ≤ 1.1×, 0): {verdict(ok)}"
            )
        if tutorial is not None:
            x = tutorial.wall / ours.wall
            out.append(
                f"- rate-bound, {name}: {x:.1f}× faster than tutorial (≥ 10×): {verdict(x >= 10)}"
            )
        if threads is not None:
            x = threads.wall / ours.wall
            out.append(
                f"- rate-bound, {name}: {x:.2f}× faster than sdk-threads (> 1×): {verdict(x > 1)}"
            )
        ok = ours.lost == 0 and ours.duplicated == 0 and ours.outside == 0
        out.append(
            f"- rate-bound, {name}: lost {ours.lost}, doubled {ours.duplicated}, outside "
            f"{ours.outside}: {verdict(ok)}"
        )
    cpu = [r for r in results if r.scenario.startswith("cpu")]
    sdk = next((r for r in cpu if r.contender.startswith("sdk")), None)
    if sdk is not None and sdk.per_second:
        for ours in (r for r in cpu if r.contender.startswith("ours")):
            x = ours.per_second / sdk.per_second
            out.append(
                f"- cpu-bound, {ours.contender} → {ours.sink}: {ours.per_second:,.0f} conv/s = "
                f"{x:.1f}× the SDK's {sdk.per_second:,.0f} (≥ 20×): {verdict(x >= 20)}"
            )
    for ours in (r for r in cpu if r.contender.startswith("ours")):
        if ours.sink in ("jsonl", "csv", "parquet"):
            out.append(
                f"- cpu-bound, {ours.contender} → {ours.sink}: {ours.per_second:,.0f} conv/s "
                f"(≥ 25,000 into files): {verdict(ours.per_second >= 25_000)}"
            )
    mem = [r for r in results if r.scenario.startswith("memory")]
    sizes = sorted({r.conversations for r in mem})
    for sink in sorted({r.sink for r in mem}):
        rows = sorted((r for r in mem if r.sink == sink), key=lambda r: r.conversations)
        if len(rows) < 2:
            continue
        small, big = rows[0], rows[-1]
        growth = big.peak_rss / small.peak_rss if small.peak_rss else 0.0
        out.append(
            f"- memory, {sink}: {big.peak_rss / MB:,.0f} MB at {big.conversations:,} "
            f"(< 250 MB: {verdict(big.peak_rss < 250 * MB)}), {growth:.2f}× the "
            f"{small.peak_rss / MB:,.0f} MB at {small.conversations:,} (≤ 1.5×: "
            f"{verdict(growth <= 1.5)})"
        )
    del sizes
    return out
