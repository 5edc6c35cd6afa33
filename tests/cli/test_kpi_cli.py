"""kpi refuses bad --by and --time-zone before any request (no credentials needed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--by", "queue", "--by", "agent"], "--by 'agent' is not one of queue, mediaType"),
        (["--by", "day,Day"], "--by names 'day' twice"),
        (["--time-zone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_options_fail_before_any_request(args: list[str], needle: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYS")}
    result = subprocess.run(
        [sys.executable, "-m", "genesys_analytics", "kpi", "--last", "1d", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr
