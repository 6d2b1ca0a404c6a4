"""The fleet's SQLite store (sqlite-utils, WAL, versioned migrations)."""

from fleet.store.database import open_database
from fleet.store.ingest import IncidentRecord, record_alert, record_state, record_telemetry

__all__ = ["IncidentRecord", "open_database", "record_alert", "record_state", "record_telemetry"]
