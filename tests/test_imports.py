"""Every module imports on its own, in a fresh interpreter.

An import that works only because another module happened to be imported first (an
import cycle, a missing import hidden by a package ``__init__``) fails here, one module
at a time. Modules are found on disk, not by importing packages, so discovery itself
imports nothing.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PACKAGE = "genesys_analytics"


def discover(package: str = PACKAGE) -> list[str]:
    """Dotted names of the package, its subpackages and modules (``__main__`` skipped)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not a package"
    root = Path(next(iter(spec.submodule_search_locations)))
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def import_alone(name: str) -> str | None:
    """None if ``import name`` succeeds in a new interpreter, else its error's last line."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {name}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
    return lines[-1]


def test_discovery_finds_every_layer() -> None:
    names = discover()
    assert len(names) > 50, names
    assert len(set(names)) == len(names)
    for expected in (
        "genesys_analytics",
        "genesys_analytics.errors",
        "genesys_analytics.api.client",
        "genesys_analytics.extraction.engine",
        "genesys_analytics.sinks.store",
        "genesys_analytics.reports.details",
        "genesys_analytics.cli",
        "genesys_analytics.sdk.calls",
        "genesys_analytics.emulator.routes.jobs",
    ):
        assert expected in names
    assert "genesys_analytics.__main__" not in names


@pytest.mark.timeout(300)  # one interpreter per module: ~150 starts, slow on a busy machine
def test_every_module_imports_alone() -> None:
    names = discover()
    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = dict(zip(names, pool.map(import_alone, names), strict=True))
    failed = {name: error for name, error in errors.items() if error is not None}
    assert not failed, "modules that do not import alone:\n" + "\n".join(
        f"  {name}: {error}" for name, error in sorted(failed.items())
    )
