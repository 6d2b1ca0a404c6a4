"""The escalation runner: every few seconds, tell the next people about open incidents.

For each open incident worth paging for (see `fleet.store.notifications.open_incidents`)
it works out the chain (`fleet.store.escalation.chain_for_robot`), asks the pure core
(`fleet.escalation.due_steps`) which steps are due, and sends each step's deliveries,
recording every one on the incident: claimed as queued, then sent or failed.
Monitoring centres answer 97.5 % of calls within 60 s; the first step goes out within
a period of the alert's arrival.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

import sqlite_utils

from fleet.escalation import Delivery, due_steps
from fleet.notify.base import DeliveryResult, Message, Notifier
from fleet.notify.email import EmailNotifier
from fleet.notify.webhook import WebhookNotifier
from fleet.periodic import PeriodicTask
from fleet.store import notifications
from fleet.store.escalation import active_resident, agency_escalation, chain_for_robot
from fleet.store.incidents import get_incident
from fleet.store.notifications import OpenIncident
from homecare.clock import Clock
from homecare.settings import FleetSettings

log = logging.getLogger("fleet.escalation")

PERIOD_S = 2.0
POLL_S = 1.0
# A delivery queued this long ago was cut off (the slowest send, e-mail with its retries,
# takes well under a minute): it is sent again, since a lost alarm is worse than a repeat.
STALE_S = 300.0


class EscalationRunner:
    """One pass over the open incidents (`run_once`); `escalation_task` repeats it.

    `db` is a connection of its own: the runner writes from its own thread.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        clock: Clock,
        notifiers: Mapping[str, Notifier],
        counters: Counter[str] | None = None,
    ) -> None:
        self.db, self.clock, self.notifiers = db, clock, notifiers
        self.counters: Counter[str] = counters if counters is not None else Counter()

    def run_once(self) -> None:
        now = self.clock.now().timestamp()
        for incident in notifications.open_incidents(self.db, now):
            self._escalate(incident, now)
        for stale in notifications.stale_queued(self.db, now - STALE_S):
            self._resend(stale, now)

    def _escalate(self, incident: OpenIncident, now: float) -> None:
        steps, agency = chain_for_robot(self.db, incident.agency_id, incident.robot_id, now)
        due = due_steps(
            raised_at=incident.raised_at,
            status=incident.status,
            steps=steps,
            notified=notifications.notified_steps(self.db, incident.id),
            now=now,
        )
        for index in due:
            for delivery in steps[index].deliveries:
                claimed = notifications.claim(
                    self.db, incident.id, step=index, who=steps[index].who,
                    channel=delivery.channel, target=delivery.target, now=now,
                )  # fmt: skip
                if claimed is not None:  # else another worker sends it
                    message = self._message(incident, index, steps[index].who)
                    self._send(claimed, message, delivery, agency.webhook_secret)

    def _resend(self, stale: notifications.Notification, now: float) -> None:
        incident = notifications.open_incident(self.db, stale.incident_id)
        if incident is None or not notifications.reclaim(self.db, stale, now):
            return
        secret = agency_escalation(self.db, incident.agency_id, now).webhook_secret
        message = self._message(incident, stale.step, stale.who)
        self._send(stale.id, message, Delivery(stale.channel, stale.target), secret)

    def _send(
        self, notification_id: int, message: Message, delivery: Delivery, secret: str
    ) -> None:
        notifier = self.notifiers.get(delivery.channel)
        result = (
            notifier.send(delivery.target, message, secret)
            if notifier is not None
            else DeliveryResult(False, 0, f"no {delivery.channel} notifier in this service")
        )
        notifications.finish(
            self.db, notification_id, ok=result.ok, attempts=result.attempts,
            error=result.error, now=self.clock.now().timestamp(),
        )  # fmt: skip
        self.counters["escalation_sent" if result.ok else "escalation_failed"] += 1
        if not result.ok:
            log.warning(
                "escalation delivery failed incident=%d step=%d channel=%s error=%s",
                message.incident_id, message.step, delivery.channel, result.error,
            )  # fmt: skip

    def _message(self, incident: OpenIncident, index: int, who: str) -> Message:
        full = get_incident(self.db, incident.agency_id, incident.id)
        resident = active_resident(self.db, incident.agency_id, incident.robot_id)
        return Message(
            incident_id=full.id,
            alert_id=full.alert_id,
            robot_id=full.robot_id,
            kind=full.kind,
            severity=full.severity,
            raised_at=full.raised_at,
            step=index,
            who=who,
            details=full.details,
            resident_name=resident.full_name if resident else None,
            resident_address=resident.address if resident else None,
        )


def default_notifiers(clock: Clock, settings: FleetSettings) -> dict[str, Notifier]:
    return {
        "webhook": WebhookNotifier(lambda: clock.now().timestamp()),
        "email": EmailNotifier(settings.smtp),
    }


def escalation_task(
    db: sqlite_utils.Database,
    clock: Clock,
    settings: FleetSettings,
    *,
    notifiers: Mapping[str, Notifier] | None = None,
    period_s: float = PERIOD_S,
    poll_s: float = POLL_S,
    counters: Counter[str] | None = None,
) -> PeriodicTask:
    """The runner on a `PeriodicTask`; `db` is a connection for this task alone."""
    runner = EscalationRunner(
        db, clock, notifiers if notifiers is not None else default_notifiers(clock, settings),
        counters,
    )  # fmt: skip
    return PeriodicTask(
        "escalation", clock, period_s, runner.run_once, poll_s=poll_s, counters=counters
    )
