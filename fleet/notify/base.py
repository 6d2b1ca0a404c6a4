"""What every notifier takes and answers, and the retry loop they share.

A notifier never raises for a failed delivery: it answers a `DeliveryResult` whose
`error` says what went wrong in words an operator can act on, and which the
runner records on the incident. Secrets never appear in errors or logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    """An incident as the people of an escalation step are told about it."""

    incident_id: int
    alert_id: str
    robot_id: str
    kind: str
    severity: str
    raised_at: float
    step: int
    who: str
    details: dict[str, Any] = field(default_factory=dict)
    resident_name: str | None = None
    resident_address: str | None = None

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body."""
        return {
            "event": "incident.escalated",
            "incident_id": self.incident_id,
            "alert_id": self.alert_id,
            "robot_id": self.robot_id,
            "kind": self.kind,
            "severity": self.severity,
            "raised_at": self.raised_at,
            "step": self.step,
            "who": self.who,
            "details": self.details,
            "resident": {"name": self.resident_name, "address": self.resident_address},
        }

    def subject(self) -> str:
        return (
            f"[homecare] {self.severity.upper()} {self.kind}: robot {self.robot_id}"
            f" (incident {self.incident_id})"
        )

    def text(self) -> str:
        """The e-mail's body: who needs help, what happened, when."""
        raised = datetime.fromtimestamp(self.raised_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines = [
            f"Incident {self.incident_id}: {self.kind} ({self.severity})",
            f"Raised at: {raised}",
            f"Robot: {self.robot_id}",
        ]
        if self.resident_name:
            lines.append(f"Resident: {self.resident_name}")
        if self.resident_address:
            lines.append(f"Address: {self.resident_address}")
        lines += [f"{key}: {value}" for key, value in self.details.items()]
        lines += ["", "Nobody has acknowledged it yet. Acknowledge it on the dashboard."]
        return "\n".join(lines)


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    attempts: int
    error: str = ""


class Notifier(Protocol):
    """Sends one message to one target; `secret` signs it where the channel can (webhooks)."""

    channel: str

    def send(self, target: str, message: Message, secret: str) -> DeliveryResult: ...


class PermanentError(Exception):
    """Trying again will not help (refused, 4xx, bad address)."""


class TemporaryError(Exception):
    """It may work on another try (network down, timeout, 5xx)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_s: float = 0.5  # doubled after each failed try
    sleep: Callable[[float], None] = time.sleep


def with_retries(attempt: Callable[[], None], policy: RetryPolicy) -> DeliveryResult:
    """Run `attempt` until it succeeds, fails for good, or the tries run out."""
    for number in range(1, policy.attempts + 1):
        try:
            attempt()
        except PermanentError as error:
            return DeliveryResult(False, number, str(error))
        except TemporaryError as error:
            if number == policy.attempts:
                return DeliveryResult(False, number, f"{error} (after {number} tries)")
            policy.sleep(policy.backoff_s * 2 ** (number - 1))
        else:
            return DeliveryResult(True, number)
    return DeliveryResult(False, 0, "no attempt made")
