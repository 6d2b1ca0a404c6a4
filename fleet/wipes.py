"""Sending the data-wipe command to a robot whose rental ended.

The rental's return is committed first (with the command's `req_id`); only then is
the command published, so a failed return never wipes a robot. A command that could
not be published stays pending in the store; `send_pending_wipes` sends those when
the service (re)connects to the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlite_utils

from fleet.protocol import Command, command_topic, encode
from fleet.store.rentals import (
    get_rental,
    mark_wipe_sent,
    pending_wipes,
    request_wipe,
    return_rental,
)

log = logging.getLogger("fleet.wipes")

Publish = Callable[[str, bytes, int, bool], None]


def send_wipe(
    publish: Publish | None, db: sqlite_utils.Database, robot_id: str, req_id: str, now: float
) -> bool:
    """Publish one wipe command (QoS 1, not retained); True when it was handed to MQTT."""
    if publish is None:
        return False
    command = Command(ts=now, req_id=req_id, command="wipe")
    try:
        publish(command_topic(robot_id, req_id), encode(command), 1, False)
    except Exception:  # whatever the MQTT client raises, the wipe stays pending for a resend
        log.exception("could not publish wipe %s to robot %s; it stays pending", req_id, robot_id)
        return False
    mark_wipe_sent(db, robot_id, req_id, now)
    return True


def return_and_wipe(
    publish: Publish | None,
    db: sqlite_utils.Database,
    agency_id: int,
    rental_id: int,
    *,
    user_id: int | None,
    now: float,
) -> bool:
    """Take the robot back (committed first), then send it the wipe; False if pending."""
    req_id = return_rental(db, agency_id, rental_id, user_id=user_id, now=now)
    robot_id = get_rental(db, agency_id, rental_id).robot_id
    return send_wipe(publish, db, robot_id, req_id, now)


def wipe_again(
    publish: Publish | None,
    db: sqlite_utils.Database,
    agency_id: int,
    rental_id: int,
    *,
    user_id: int | None,
    now: float,
) -> bool:
    """A new wipe command for a returned rental (the last one failed or went unanswered)."""
    req_id = request_wipe(db, agency_id, rental_id, user_id=user_id, now=now)
    robot_id = get_rental(db, agency_id, rental_id).robot_id
    return send_wipe(publish, db, robot_id, req_id, now)


def send_pending_wipes(publish: Publish, db: sqlite_utils.Database, now: float) -> int:
    """Publish every wipe still pending; returns how many were sent."""
    return sum(
        send_wipe(publish, db, wipe.robot_id, wipe.req_id, now) for wipe in pending_wipes(db)
    )
