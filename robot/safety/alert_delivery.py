"""Did the guardian's alert reach the fleet? Judged from the fleet link's state on /fleet/link.

The fleet link reports whether it is connected and how many alerts wait in its
outbox for the fleet's acknowledgement. An alert counts as delivered once the
outbox was seen holding something after the alert was raised and then became
empty: a state published just before the fleet link took the alert in (still
empty) must not count as delivery.
"""

from __future__ import annotations

from robot.safety.guardian_phrases import Phrase


class AlertDelivery:
    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.connected: bool | None = None  # None until the fleet link reports
        self.pending_alerts = 0
        self.delivered = False
        self.unreachable_announced = False
        self._raised_at: float | None = None
        self._seen_pending = False

    @property
    def unreachable(self) -> bool:
        """The resident should hear that the service cannot be reached (yet)."""
        return not self.delivered and (self.connected is False or self.unreachable_announced)

    def alert_raised(self, now: float) -> None:
        self._raised_at = now
        self._seen_pending = False
        self.delivered = False
        self.unreachable_announced = False

    def on_link_state(self, connected: bool, pending_alerts: int) -> Phrase | None:
        """Something to tell the resident about the alert, if this state is news."""
        self.connected, self.pending_alerts = connected, pending_alerts
        if self._raised_at is None or self.delivered:
            return None
        if pending_alerts > 0:
            self._seen_pending = True
        elif self._seen_pending:
            self.delivered = True
            return Phrase.ALERT_DELIVERED
        if not connected:
            return self._announce_unreachable()
        return None

    def on_tick(self, now: float) -> Phrase | None:
        """Not delivered within the grace time (link down, fleet silent, no link at all)."""
        if self._raised_at is None or self.delivered:
            return None
        if now - self._raised_at >= self.grace_s:
            return self._announce_unreachable()
        return None

    def _announce_unreachable(self) -> Phrase | None:
        if self.unreachable_announced:
            return None  # said once; the periodic reassurance repeats it
        self.unreachable_announced = True
        return Phrase.SERVICE_UNREACHABLE
