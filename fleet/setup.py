"""Create a fleet: the database, the first agency and its admin (`homecare fleet init`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fleet.api.security import check_password_strength, hash_password
from fleet.store import open_database, transaction
from fleet.store.accounts import create_agency, create_user, signing_key
from homecare.clock import Clock
from homecare.errors import UsageError


@dataclass(frozen=True)
class NewAgency:
    agency_id: int
    admin_id: int


def init_fleet(
    db_path: Path,
    clock: Clock,
    *,
    admin_email: str,
    admin_password: str,
    agency_name: str = "Social agency",
    region: str = "RU-PER",
    admin_name: str = "Administrator",
) -> NewAgency:
    """Create (or migrate) the database and add an agency with its first admin."""
    if "@" not in admin_email or admin_email.startswith("@") or admin_email.endswith("@"):
        raise UsageError(f"{admin_email!r} is not an email address")
    check_password_strength(admin_password, admin_email)
    db = open_database(db_path, clock)
    now = clock.now().timestamp()
    try:
        with transaction(db.conn):
            agency_id = create_agency(db, agency_name, region, now)
            admin_id = create_user(
                db,
                agency_id,
                email=admin_email,
                password_hash=hash_password(admin_password),
                full_name=admin_name,
                role="admin",
                now=now,
            )
        signing_key(db, now)
    finally:
        db.conn.close()
    return NewAgency(agency_id=agency_id, admin_id=admin_id)
