"""`genesys-analytics emulator`: serve the local Genesys Cloud analytics API.

The emulator (Starlette, uvicorn, the data generator) is imported inside the functions,
so the other commands, and ``--help``, never load it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import parse_instant

if TYPE_CHECKING:
    from genesys_analytics.emulator.settings import EmulatorSettings


def _settings(
    port: int,
    host: str,
    seed: int,
    days: int,
    per_day: int,
    now: str | None,
    rate_limit: str | None,
    fault: tuple[str, ...],
    fault_seed: int,
    late_data: float = 0.0,
    rate_window: str = "first-request",
    cache_mb: int = 2048,
) -> EmulatorSettings:
    from genesys_analytics.emulator.settings import (
        EmulatorSettings,
        parse_fault,
        parse_rate_limit,
    )

    settings = EmulatorSettings(
        seed=seed,
        days=days,
        per_day=per_day,
        now=parse_instant(now) if now else None,
        host=host,
        port=port,
        faults=dict(parse_fault(f) for f in fault),
        fault_seed=fault_seed,
        late_data=late_data,
        rate_window=rate_window,
        cache_mb=cache_mb,
        pause_gc=True,  # this process is the emulator: generating a day may pause its GC
    )
    if rate_limit:
        settings = replace(settings, rate_limit=parse_rate_limit(rate_limit))
    return settings


@click.command()
@click.option("--port", type=int, default=8787, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the synthetic org.")
@click.option("--days", type=int, default=14, show_default=True, help="Days of history.")
@click.option("--per-day", type=int, default=500, show_default=True, help="Conversations a day.")
@click.option("--now", default=None, help="The emulator's 'now' (ISO); default: this hour.")
@click.option("--rate-limit", default=None, help="Requests per token as N/SECONDS [300/60].")
@click.option(
    "--rate-window",
    type=click.Choice(["first-request", "clock"]),
    default="first-request",
    show_default=True,
    help="Where a rate window starts: with the first request after the last one, or on the "
    "clock (one window after another from the start).",
)
@click.option(
    "--fault",
    multiple=True,
    metavar="NAME[=VALUE]",
    help="Inject a fault: throttle, server-errors, latency, drop, drift, job-failure, "
    "job-expiry, token-expiry, quota. Repeatable.",
)
@click.option("--fault-seed", type=int, default=0, show_default=True, help="Seed of the faults.")
@click.option(
    "--late-data",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of conversations revised 1-60 h after they start (late data); "
    'POST /_emulator/now {"advance": "1d"} moves now on.',
)
@click.option(
    "--cache-mb",
    type=click.IntRange(min=0),
    default=2048,
    show_default=True,
    help="Memory for days served once and kept serialized (about 3.5 KB a conversation).",
)
def emulator(
    port: int,
    host: str,
    seed: int,
    days: int,
    per_day: int,
    now: str | None,
    rate_limit: str | None,
    rate_window: str,
    fault: tuple[str, ...],
    fault_seed: int,
    late_data: float,
    cache_mb: int,
) -> None:
    """Serve a local Genesys Cloud analytics API with seeded data.

    The first line on stdout is JSON: {"base_url", "client_id", "client_secret", "now"}.
    """
    import orjson

    from genesys_analytics.emulator.app import create_app
    from genesys_analytics.emulator.server import bind_socket, describe, make_server

    try:
        settings = _settings(
            port,
            host,
            seed,
            days,
            per_day,
            now,
            rate_limit,
            fault,
            fault_seed,
            late_data,
            rate_window,
            cache_mb,
        )
    except ConfigError as err:
        raise click.UsageError(err.message) from None
    app = create_app(settings)
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as err:
        raise click.ClickException(
            f"cannot listen on {settings.host}:{settings.port}: {err}"
        ) from None
    running = describe(app, sock)
    sys.stdout.write(orjson.dumps(running.startup_line()).decode() + "\n")
    hints = [
        f"Genesys Cloud analytics emulator at {running.base_url} (now {running.now.isoformat()})",
        f"  token:  curl -u {running.client_id}:{running.client_secret} "
        f"-d grant_type=client_credentials {running.base_url}/oauth/token",
        f"  truth:  {running.base_url}/_emulator/truth?start=ISO&end=ISO",
        f'  later:  curl -d \'{{"advance": "1d"}}\' {running.base_url}/_emulator/now',
        f"  faults: {dict(settings.faults) or 'none'}   rate limit: "
        f"{settings.rate_limit[0]}/{settings.rate_limit[1]:g}s ({settings.rate_window} windows)",
        "  Ctrl-C to stop.",
    ]
    sys.stdout.write("\n".join(hints) + "\n")
    sys.stdout.flush()
    try:
        make_server(app).run(sockets=[sock])
    finally:
        sock.close()
