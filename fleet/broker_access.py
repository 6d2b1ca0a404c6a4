"""Who may connect to the embedded broker and which topics they may use.

The same rules as the mosquitto configuration `homecare fleet mqtt-config` writes:
the fleet service's user may do everything; a robot logs in with its robot id
and the password whose hash is in `robots.mqtt_password_hash`, and may publish
and subscribe only under `hc/v1/r/{its id}/` (and read the fleet's online state).
Anonymous clients are refused.

`FleetAuthPlugin` is named in the broker's `plugins:` mapping by class path
(amqtt 0.12 loads plugins from configuration, not from entry points). The topic
ACL, `may_access`, is called by the broker directly rather than through a topic
plugin: amqtt awaits its plugins while it iterates its subscriptions, and a
subscription made meanwhile broke that iteration and lost the message being
delivered (measured: ~20 % of messages lost under subscription churn).
"""

from __future__ import annotations

import hmac
import logging
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from amqtt.contexts import Action  # type: ignore[import-untyped]
from amqtt.plugins.base import BaseAuthPlugin  # type: ignore[import-untyped]
from amqtt.session import Session  # type: ignore[import-untyped]

from fleet.mqtt_passwords import verify_mqtt_password
from fleet.protocol import FLEET_STATE_TOPIC, ID_PATTERN, TOPIC_ROOT

log = logging.getLogger("fleet.broker")

_ROBOT_ID = re.compile(ID_PATTERN)


def robot_area(rid: str) -> str:
    return f"{TOPIC_ROOT}/r/{rid}"


def robot_may_publish(rid: str, topic: str) -> bool:
    area = robot_area(rid)
    return topic == area or topic.startswith(area + "/")


def robot_may_read(rid: str, topic_filter: str) -> bool:
    """Subscribe to (or receive on) `topic_filter`.

    A robot id holds no MQTT wildcard, so a filter that starts with the robot's
    literal prefix matches only topics inside that robot's area.
    """
    return topic_filter == FLEET_STATE_TOPIC or robot_may_publish(rid, topic_filter)


def may_access(service_username: str, username: str | None, topic: str, action: Action) -> bool:
    """The topic ACL: the service user everywhere, a robot under its own prefix."""
    if not username:
        return False
    if username == service_username:
        return True
    if action == Action.PUBLISH:
        return robot_may_publish(username, topic)
    return robot_may_read(username, topic)


def robot_password_hash(db_path: Path, rid: str) -> str | None:
    """The stored hash of a robot that may connect (not retired), or None."""
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    try:
        # A short-lived read-only connection: logins are rare and this runs on the broker's loop.
        with closing(sqlite3.connect(uri, uri=True, timeout=2)) as connection:
            row = connection.execute(
                "SELECT mqtt_password_hash FROM robots WHERE id = ? AND status != 'retired'",
                (rid,),
            ).fetchone()
    except sqlite3.Error as error:
        log.warning("robot login check failed db=%s reason=%s", db_path, error)
        return None
    return str(row[0]) if row else None


@dataclass(frozen=True)
class Credentials:
    db_path: Path | None
    service_username: str
    service_password: str

    def check(self, session: Session) -> str | None:
        """Why this CONNECT is refused, or None when it may connect."""
        username, password = session.username, session.password or ""
        if not username:
            return "anonymous"
        if username == self.service_username:
            same = hmac.compare_digest(password.encode(), self.service_password.encode())
            return None if same else "bad service password"
        return self._check_robot(username, password, session)

    def _check_robot(self, rid: str, password: str, session: Session) -> str | None:
        if not _ROBOT_ID.match(rid):
            return "unknown user"
        # The client id must be the robot id: otherwise a robot could connect as the
        # service's client id and wipe its persistent session (and the alerts queued there).
        if session.client_id != rid:
            return f"client id {session.client_id!r} is not the robot id"
        if session.will_flag and not robot_may_publish(rid, session.will_topic or ""):
            return "will topic outside the robot's topics"
        stored = robot_password_hash(self.db_path, rid) if self.db_path else None
        if stored is None or not verify_mqtt_password(stored, password):
            return "unknown robot or bad password"
        return None


class FleetAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type information
    """amqtt authentication: the service user, or a robot from the fleet database."""

    @dataclass
    class Config:
        db_path: str | None = None
        service_username: str = ""
        service_password: str = ""

    def __init__(self, context: object) -> None:
        super().__init__(context)
        config = self.config
        self.credentials = Credentials(
            Path(config.db_path) if config.db_path else None,
            config.service_username,
            config.service_password,
        )

    async def authenticate(self, *, session: Session) -> bool | None:
        refusal = self.credentials.check(session)
        if refusal:
            log.info(
                "embedded broker refused a client user=%s client_id=%s reason=%s",
                (session.username or "")[:64], (session.client_id or "")[:64], refusal,
            )  # fmt: skip
        return refusal is None
