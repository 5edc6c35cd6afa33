"""A local Genesys Cloud analytics API: seeded data, real shapes, real limits, named faults.

from genesys_analytics.emulator import EmulatorSettings, run_emulator

with run_emulator(EmulatorSettings(seed=7)) as emu:
    emu.base_url, emu.client_id, emu.client_secret, emu.truth(start, end)
"""

from __future__ import annotations

from genesys_analytics.emulator.app import create_app
from genesys_analytics.emulator.server import RunningEmulator, run_emulator
from genesys_analytics.emulator.settings import EmulatorSettings

__all__ = ["EmulatorSettings", "RunningEmulator", "create_app", "run_emulator"]
