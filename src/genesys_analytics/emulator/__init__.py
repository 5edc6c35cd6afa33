"""A local Genesys Cloud analytics API: seeded data, real shapes, real limits, named faults.

from genesys_analytics.emulator import EmulatorSettings, run_emulator

with run_emulator(EmulatorSettings(seed=7)) as emu:
    emu.base_url, emu.client_id, emu.client_secret, emu.truth(start, end)

The server side (Starlette, uvicorn) loads on first use of ``create_app``,
``run_emulator`` or ``RunningEmulator``, so importing ``emulator.settings`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genesys_analytics.emulator.settings import EmulatorSettings
from genesys_analytics.lazy import lazy_names

if TYPE_CHECKING:
    from genesys_analytics.emulator.app import create_app
    from genesys_analytics.emulator.server import RunningEmulator, run_emulator

_LAZY = {
    "create_app": "genesys_analytics.emulator.app",
    "RunningEmulator": "genesys_analytics.emulator.server",
    "run_emulator": "genesys_analytics.emulator.server",
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


__all__ = ["EmulatorSettings", "RunningEmulator", "create_app", "run_emulator"]
