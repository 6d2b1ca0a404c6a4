"""What the fleet's web app needs at run time, built once by the service (or a test)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from fleet.presence import PresencePolicy
from fleet.store import connect_database
from homecare.clock import Clock
from homecare.settings import FleetSettings

if TYPE_CHECKING:
    from fleet.calls import CallHub


@dataclass
class FleetContext:
    db_path: Path
    clock: Clock
    settings: FleetSettings
    signing_key: str
    # Counters of the MQTT ingest (messages, bad_payloads, ...), shown by the metrics route.
    ingest_counters: Counter[str] = field(default_factory=Counter)
    # Sends (topic, payload, qos, retain) to the robots through the service's MQTT client;
    # None when no broker is attached (unit tests of the API alone).
    publish: Callable[[str, bytes, int, bool], None] | None = None
    # Whether the service's MQTT client is connected to the broker (the health route);
    # None when no broker is attached.
    mqtt_connected: Callable[[], bool] | None = None
    # Video consultations' signalling (robots <-> browsers); None when no broker is attached.
    calls: CallHub | None = None
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def presence(self) -> PresencePolicy:
        return PresencePolicy(self.settings.heartbeat_s, self.settings.missed_heartbeats)

    def db(self) -> sqlite_utils.Database:
        """This thread's connection (FastAPI runs sync routes on a thread pool)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = connect_database(self.db_path)
            self._local.db = db
        return db

    def now(self) -> float:
        return self.clock.now().timestamp()
