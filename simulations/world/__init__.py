"""The headless simulated home: physics client, resident and cameras (pybullet, CPU only)."""

from __future__ import annotations

from simulations.world.errors import WorldError
from simulations.world.world import ACTIONS, FALL_DIRECTIONS, POSTURES, ResidentState, SimWorld

__all__ = ["ACTIONS", "FALL_DIRECTIONS", "POSTURES", "ResidentState", "SimWorld", "WorldError"]
