"""An in-memory notifier for tests: records what it was asked to send, fails on request.

It keeps the contract of the real ones (tests/unit/test_notify_contract.py): no
target is a failure with no attempt; a failing target is a failure with an error;
it never raises.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from fleet.notify.base import DeliveryResult, Message


class FakeNotifier:
    def __init__(self, channel: str, *, failing_targets: Iterable[str] = ()) -> None:
        self.channel = channel
        self.failing_targets = set(failing_targets)
        self.sent: list[tuple[str, Message]] = []
        self._lock = threading.Lock()

    def send(self, target: str, message: Message, secret: str) -> DeliveryResult:
        if not target:
            return DeliveryResult(False, 0, f"no {self.channel} target set for this step")
        if target in self.failing_targets:
            return DeliveryResult(False, 1, f"{target} is not answering (fake)")
        with self._lock:
            self.sent.append((target, message))
        return DeliveryResult(True, 1)

    def targets(self) -> list[str]:
        with self._lock:
            return [target for target, _ in self.sent]
