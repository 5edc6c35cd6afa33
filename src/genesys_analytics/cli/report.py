"""The ``report`` command: one self-contained HTML page from the API or a store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from genesys_analytics.cli.options import (
    connection_options,
    interval_options,
    make_client,
    read_options,
    resolve_interval,
    store_option,
)
from genesys_analytics.cli.volume import local_date
from genesys_analytics.errors import ConfigError


def check_page_path(path: Path) -> None:
    """Refuse, before any request, a path the page cannot or must not be written to."""
    if path.is_dir():
        raise ConfigError(f"--html {path} is a directory; give a file name like report.html.")
    if path.parent.exists() and not path.parent.is_dir():
        raise ConfigError(f"--html {path}: {path.parent} is not a directory.")
    from genesys_analytics.reports.page import GENERATOR

    if path.exists() and path.stat().st_size and GENERATOR not in _head(path):
        raise ConfigError(
            f"--html {path} exists and is not a page written by `genesys-analytics report`; "
            "give another file name (the tool never overwrites what it did not write)."
        )


def _head(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(4096).decode("utf-8", "replace")
    except OSError as exc:
        raise ConfigError(f"--html {path} cannot be read ({exc.strerror}).") from None


def write_page(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a page, a failure leaves no file."""
    import tempfile  # for work, not for --help

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command()
@interval_options
@click.option(
    "--html",
    "html_path",
    required=True,
    type=click.Path(path_type=Path),
    metavar="FILE.html",
    help="Where to write the page (replaced only if an earlier report wrote it). "
    "Example: --html report.html",
)
@click.option(
    "--time-zone",
    default="UTC",
    show_default=True,
    metavar="IANA",
    help="Time zone of days and hours on the page, and of bare --start/--end dates. "
    "Example: --time-zone Europe/London",
)
@read_options
@store_option
@connection_options
@click.pass_obj
def report(
    ctx: Any,
    start: str | None,
    end: str | None,
    last: str | None,
    html_path: Path,
    time_zone: str,
    workers: int,
    method: str,
    store: Path | None,
    region: str | None,
    base_url: str | None,
) -> None:
    """Write one HTML page: headline figures, volume, KPIs and agent activity.

    The page works offline (no script or style is fetched; charts are inline SVG),
    prints cleanly, and says how each figure is defined. Its numbers are the ones the
    `volume`, `kpi` and `agents --source details` commands print as JSON for the same
    interval: all from details (conversations by start, status records clipped).

    \b
    Examples:
      genesys-analytics report --last 7d --html report.html
      genesys-analytics report --start 2024-05-01 --end 2024-05-08 --time-zone Europe/Paris \\
          --html may.html
      genesys-analytics report --start 2024-05-04 --end 2024-05-08 --from may.duckdb \\
          --html may.html
    """
    from genesys_analytics.api.aggregates import zone
    from genesys_analytics.reports.build import page_data
    from genesys_analytics.reports.page import render_page

    zone(time_zone)  # fail fast on an unknown zone
    interval = resolve_interval(local_date(start, time_zone), local_date(end, time_zone), last)
    check_page_path(html_path)
    if store is not None:
        from genesys_analytics.reports.stored import StoredExport

        with StoredExport(store) as stored:
            data = page_data(stored, interval, time_zone, stored=True)
    else:
        from genesys_analytics.cli.progress import ChunkProgress

        with (
            make_client(region, base_url) as client,
            ChunkProgress(enabled=ctx.show_progress, stats=client.stats, label="report") as bar,
        ):
            data = page_data(
                client, interval, time_zone, workers=workers, method=method, progress=bar
            )
    write_page(html_path, render_page(data))
    click.echo(f"report written to {html_path}", err=True)
    click.echo(str(html_path))


__all__ = ["check_page_path", "report", "write_page"]
