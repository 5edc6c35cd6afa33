"""Benchmarks side by side (issue 5): ``python -m bench.run [--quick] [--json PATH]``.

Starts one emulator process per scenario (fixed seeds), runs every contender against it
as its own process, one after the other, and prints a Markdown table and the ratios the
targets of issue 5 name.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

from bench.report import issue_table, ratios, table
from bench.scenarios import FULL, QUICK, SCENARIOS, memory_sizes, run_scenarios


def machine() -> dict[str, object]:
    import os

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmarks side by side (issue 5).")
    parser.add_argument("--quick", action="store_true", help="reduced scales, under a minute")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--only", action="append", choices=sorted(SCENARIOS), help="run only these scenarios"
    )
    parser.add_argument("--no-tutorial", action="store_true", help="skip the slow tutorial loop")
    parser.add_argument(
        "--memory",
        type=int,
        action="append",
        metavar="N",
        help="the memory scenario's rows: N conversations over 14 days (repeatable; "
        "e.g. --only memory --memory 1000000 runs the 1,000,000 rows alone)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    scale = QUICK if args.quick else FULL
    if args.no_tutorial:
        scale = replace(scale, tutorial=False)
    if args.memory:
        scale = replace(scale, memory=memory_sizes(args.memory))
    names = args.only or list(SCENARIOS)
    began = time.perf_counter()
    results = run_scenarios(names, scale)
    elapsed = time.perf_counter() - began
    print()
    print(table(results))
    print()
    print(issue_table(results))
    print()
    print("\n".join(ratios(results)))
    notes = [f"- {r.contender} ({r.scenario}): {r.note}" for r in results if r.note]
    if notes:
        print("\n".join(notes))
    info = machine()
    mode = "quick" if args.quick else "full"
    print(f"\n{mode} run, {elapsed:.0f} s on {info['cpus']} × {info['cpu']}")
    if args.json:
        payload = {
            "scale": asdict(scale),
            "quick": args.quick,
            "seconds": elapsed,
            "machine": info,
            "results": [r.as_json() for r in results],
            "targets": ratios(results),
            "issue_table": issue_table(results),
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
