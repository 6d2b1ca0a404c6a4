"""The fleet's SQLite store (sqlite-utils, WAL, versioned migrations)."""

from fleet.store.database import connect_database, open_database, transaction
from fleet.store.ingest import IncidentRecord, record_alert, record_state, record_telemetry

__all__ = [
    "IncidentRecord",
    "connect_database",
    "open_database",
    "record_alert",
    "record_state",
    "record_telemetry",
    "transaction",
]
