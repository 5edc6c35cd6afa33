"""`genesys-analytics emulator`: serve the local Genesys Cloud analytics API."""

from __future__ import annotations

import click


@click.command()
def emulator() -> None:
    """Serve a local Genesys Cloud analytics API with seeded data (placeholder)."""
    raise click.ClickException("the emulator is not built yet")
