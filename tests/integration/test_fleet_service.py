"""The fleet service as `homecare fleet serve` runs it, against a real mosquitto."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fleet import protocol
from fleet.service import FleetService
from homecare.clock import SystemClock
from homecare.settings import FleetSettings
from tests.broker import free_port, make_test_broker, mosquitto_readable_dir
from tests.support import wait_until


def _incidents(db_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT alert_id, robot_id FROM incidents").fetchall()


def test_an_alert_sent_while_the_service_is_down_becomes_an_incident_when_it_is_back() -> None:
    with mosquitto_readable_dir() as folder:
        broker = make_test_broker("mosquitto", folder)
        broker.start()
        db_path = folder / "fleet.db"
        settings = FleetSettings(db_path=db_path, mqtt_url=broker.service_url, port=free_port())
        try:
            first = FleetService(settings, SystemClock())
            first.start()  # makes the service's persistent session on the broker
            first.stop()

            robot = broker.probe("r1")
            robot.subscribe(protocol.robot_subscription("ack", "r1"))
            alert = protocol.AlertPayload(alert_id="a-while-down", kind="fall",
                                          severity="critical", ts=1.8e9)  # fmt: skip
            robot.publish(protocol.alert_topic("r1", alert.alert_id), protocol.encode(alert))

            # A new process, as after a restart: the same session picks the alert up.
            second = FleetService(settings, SystemClock())
            second.start()
            try:
                wait_until(lambda: bool(_incidents(db_path)), what="the incident")
                robot.wait_for(protocol.ack_topic("r1", alert.alert_id))
            finally:
                second.stop()
            assert _incidents(db_path) == [("a-while-down", "r1")]
        finally:
            broker.close_probes()
            broker.stop()
