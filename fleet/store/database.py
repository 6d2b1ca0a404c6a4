"""Open the fleet database: WAL mode, foreign keys, migrations applied at start."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from fleet.store.migrations import MIGRATIONS
from homecare.clock import Clock
from homecare.errors import HomecareError


def open_database(path: Path, clock: Clock) -> sqlite_utils.Database:
    """The database at `path` (created if absent), migrated to the newest schema."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = connect_database(path)
        db.execute("PRAGMA journal_mode=WAL")
        apply_migrations(db, clock)
    except sqlite3.DatabaseError as error:
        raise HomecareError(f"fleet database {path}: {error}") from None
    return db


def connect_database(path: Path) -> sqlite_utils.Database:
    """Another connection to a database `open_database` has made and migrated.

    Each thread that writes uses its own connection: transactions on a shared
    connection would interleave.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db = sqlite_utils.Database(connection)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(db: sqlite_utils.Database, clock: Clock) -> list[int]:
    """Apply every migration newer than the database; returns the versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    current = schema_version(db)
    newest = max(version for version, _, _ in MIGRATIONS)
    if current > newest:
        raise HomecareError(
            f"the database schema is version {current}, newer than this program ({newest}); "
            "upgrade homecare"
        )
    applied = []
    for version, name, sql in MIGRATIONS:
        if version <= current:
            continue
        with transaction(db.conn) as connection:
            for statement in _statements(sql):
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, clock.now().timestamp()),
            )
        applied.append(version)
    return applied


@contextmanager
def transaction(
    connection: sqlite3.Connection, *, immediate: bool = False
) -> Iterator[sqlite3.Connection]:
    """One explicit transaction on an autocommit connection: all of it or nothing.

    `immediate` takes the write lock at once: for a check-then-change, so that concurrent
    writers cannot interleave, and to avoid the SQLITE_BUSY of upgrading a read lock.
    """
    connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _statements(sql: str) -> list[str]:
    return [statement.strip() for statement in sql.split(";") if statement.strip()]
