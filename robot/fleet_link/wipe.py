"""The data wipe a robot does when its rental ends, before it goes to the next resident.

What is the resident's on the robot: files under the resident folder (nodes keep
their per-resident state there), the desired configuration received from the fleet,
and the history of delivered alerts. Alerts not yet delivered are kept: they still
have to reach a human, and they are forgotten once acknowledged.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from robot.fleet_link.events import EventOutbox
from robot.fleet_link.outbox import AlertOutbox


@dataclass(frozen=True)
class WipeReport:
    files_removed: int
    alerts_forgotten: int
    alerts_still_pending: int

    @property
    def detail(self) -> str:
        text = (
            f"removed {self.files_removed} resident file(s), "
            f"forgot {self.alerts_forgotten} delivered alert(s)"
        )
        if self.alerts_still_pending:
            text += f"; {self.alerts_still_pending} undelivered alert(s) kept until acknowledged"
        return text


def wipe_resident_data(
    resident_dir: Path, outbox: AlertOutbox, events: EventOutbox | None = None
) -> WipeReport:
    """Delivered reminder outcomes go too; undelivered ones stay until the broker has them."""
    files = [path for path in resident_dir.rglob("*") if path.is_file()]
    if resident_dir.exists():
        shutil.rmtree(resident_dir)
    resident_dir.mkdir(parents=True, exist_ok=True)
    forgotten = outbox.forget_acknowledged()
    if events is not None:
        events.forget_delivered()
    return WipeReport(
        files_removed=len(files),
        alerts_forgotten=forgotten,
        alerts_still_pending=outbox.stats().pending,
    )
