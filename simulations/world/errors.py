"""The one error the simulated world raises: a user's mistake, said plainly."""

from __future__ import annotations

from homecare.errors import HomecareError


class WorldError(HomecareError):
    """An unknown action, room or furniture, or a move the resident cannot make now."""
