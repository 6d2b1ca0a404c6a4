"""fleet_link: /safety/alert, /reminders/outcome, /fleet/event and /robot/battery -> fleet over
MQTT; cfg/{kind} -> /fleet/config. Consultation signalling both ways: call/{cid} ->
/telepresence/signal_in, /telepresence/signal_out -> call_res/{cid}.

Alerts and events (reminder outcomes, /fleet/event) are durable: committed to the outbox
database first, and sent until the fleet (alerts: its ack) or the broker (events: PUBACK)
confirmed them.

Its link state (connected, alerts pending) goes latched to /fleet/link.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from fleet import protocol
from homecare import __version__
from homecare.errors import ConfigError
from homecare.settings import RobotSettings, Settings, get_settings
from robot.fleet_link.events import EventDelivery, EventOutbox, generic_event, outcome_event
from robot.fleet_link.link import FleetLink, alert_from_fields
from robot.fleet_link.mqtt import BrokerUrl, MqttConnection, Will, parse_broker_url
from robot.fleet_link.outbox import AlertOutbox
from robot.fleet_link.system_stats import read_system_stats
from robot.fleet_link.wipe import wipe_resident_data
from robot.runtime import CONFIG, EVENTS, LATCHED, Runtime, load_params
from robot.runtime.stamps import header, new_id, to_datetime

log = logging.getLogger("robot.fleet_link")


class FleetLinkParams(BaseModel):
    robot_id: str = Field(
        default="", description="Assigned by the fleet; the MQTT username (empty: robot.id)."
    )
    broker_url: str = Field(default="", description="Empty: the setting robot.fleet_broker_url.")
    outbox_path: str = Field(default="", description="Empty: outbox.db in the data_dir setting.")
    resident_dir: str = Field(
        default="", description="The resident's data, erased by a wipe (empty: data_dir/resident)."
    )
    telemetry_period_s: float = Field(default=30.0, gt=0)
    pump_period_s: float = Field(default=0.1, gt=0)
    event_resend_after_s: float = Field(
        default=30.0, gt=0, description="Send an event again if the broker has not confirmed it."
    )


class FleetLinkNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = p = with_settings(load_params(rt, FleetLinkParams), get_settings())
        if not p.robot_id:
            raise ConfigError(
                "fleet_link needs the robot's id: set robot.id (HOMECARE_ROBOT__ID) or the "
                "node's robot_id parameter"
            )
        protocol.state_topic(p.robot_id)  # a clear error for a malformed id
        lost = protocol.encode(protocol.RobotState(state="lost", ts=1.0))
        self.connection = MqttConnection(
            broker_with_credentials(p, get_settings().robot),
            client_id=p.robot_id,
            will=Will(protocol.state_topic(p.robot_id), lost),
        )
        self.outbox = AlertOutbox(Path(p.outbox_path).expanduser(), rt.clock)
        self.link = FleetLink(p.robot_id, self.connection, self.outbox, rt.clock, __version__)
        self.event_outbox = EventOutbox(Path(p.outbox_path).expanduser(), rt.clock)
        self.events = EventDelivery(
            p.robot_id, self.connection, self.event_outbox, rt.clock,
            resend_after_s=p.event_resend_after_s,
        )  # fmt: skip
        self.bad_outcomes = 0
        self._birth_due = threading.Event()
        self.connection.add_on_connect(self._on_connect)
        self.config = rt.publisher("/fleet/config", rt.types.ConfigUpdate, CONFIG)
        self.link_state = rt.publisher("/fleet/link", rt.types.FleetLinkState, LATCHED)
        self._last_link_state: tuple[bool, int] | None = None
        self.speech = rt.publisher("/speech/say", rt.types.SayRequest, EVENTS)
        self.signal_in = rt.publisher("/telepresence/signal_in", rt.types.CallSignal, EVENTS)
        rt.subscribe("/telepresence/signal_out", rt.types.CallSignal, self.on_call_signal, EVENTS)
        self.lang = str(rt.params.declare("lang", "ru"))
        rt.subscribe("/safety/alert", rt.types.Alert, self.on_alert, EVENTS)
        rt.subscribe(
            "/reminders/outcome", rt.types.ReminderOutcome, self.on_reminder_outcome, EVENTS
        )
        rt.subscribe("/fleet/event", rt.types.FleetEvent, self.on_fleet_event, EVENTS)
        rt.subscribe(
            "/robot/battery", rt.types.get("sensor_msgs/msg/BatteryState"), self.on_battery
        )
        self.battery: tuple[float, bool] | None = None
        rt.timer(p.pump_period_s, self.pump)
        rt.timer(p.telemetry_period_s, self.send_telemetry)
        self.connection.start()

    def close(self) -> None:
        """Disconnect (the end of a simulated run; a real robot just stops)."""
        self.connection.stop()

    def _on_connect(self) -> None:
        # paho's thread: only note it; the executor does the work in pump().
        self._birth_due.set()

    def on_alert(self, message: Any) -> None:
        stamp = to_datetime(message.header.stamp).timestamp()
        self.link.raise_alert(
            alert_from_fields(
                message.alert_id,
                message.kind,
                message.severity,
                message.details_json,
                ts=stamp if stamp > 0 else self.rt.clock.now().timestamp(),
                fresh_id=new_id(),
            )
        )
        # Even if the fleet acks before the next pump, the guardian sees the alert pending.
        self.publish_link_state(force=True)

    def on_reminder_outcome(self, message: Any) -> None:
        stamp = to_datetime(message.header.stamp).timestamp()
        try:
            event = outcome_event(
                reminder_id=message.reminder_id,
                occurrence_id=message.occurrence_id,
                outcome=message.outcome,
                due=to_datetime(message.due),
                kind=message.kind,
                title=message.title,
                medicine=message.medicine,
                prompts=int(message.prompts),
                reason=message.reason,
                ts=stamp if stamp > 0 else self.rt.clock.now().timestamp(),
            )
        except ValidationError as error:
            # Only a bug in the reminder node gets here; say what, and keep going.
            self.bad_outcomes += 1
            log.error("reminder outcome not sendable: %s", error.errors()[0])
            return
        self.events.send_outcome(event)

    def on_fleet_event(self, message: Any) -> None:
        stamp = to_datetime(message.header.stamp).timestamp()
        ts = stamp if stamp > 0 else self.rt.clock.now().timestamp()
        try:
            payload = generic_event(message.event_id, message.type, message.json, ts)
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            self.bad_outcomes += 1
            log.error("fleet event %r not sendable: %s", message.type, error)
            return
        self.events.send(message.event_id, payload)

    def on_call_signal(self, message: Any) -> None:
        try:
            signal = protocol.decode(protocol.CallSignal, message.json)
            if signal.consultation_id != message.consultation_id or signal.type != message.type:
                raise protocol.ProtocolError("the message's id or type differs from its json")
            sent = self.link.send_call_signal(signal)
        except protocol.ProtocolError as error:
            # Only a bug in the telepresence node gets here; say what, and keep going.
            log.error("call signal not sendable: %s", error)
            return
        if not sent:
            log.warning(
                "call signal not sent: the fleet broker is unreachable consultation=%s type=%s",
                message.consultation_id, message.type,
            )  # fmt: skip

    def on_battery(self, state: Any) -> None:
        percentage = float(state.percentage) * 100.0
        if not math.isnan(percentage):
            charging = state.power_supply_status == state.POWER_SUPPLY_STATUS_CHARGING
            self.battery = (max(0.0, min(100.0, percentage)), charging)

    def send_telemetry(self) -> None:
        if self.battery:
            self.link.send_telemetry(*self.battery, read_system_stats())

    def pump(self) -> None:
        if self._birth_due.is_set():
            self._birth_due.clear()
            self.link.birth()
            self.events.reconnected()
        for received in self.link.pump():
            self.publish_config(
                received.kind,
                received.config.version,
                json.dumps(received.config.data, ensure_ascii=False),
            )
        self.events.pump()
        for signal in self.link.take_call_signals():
            self.signal_in.publish(
                self.rt.types.CallSignal(
                    header=header(self.rt), consultation_id=signal.consultation_id,
                    type=signal.type, json=signal.model_dump_json(),
                )
            )  # fmt: skip
        for command in self.link.take_commands():
            ok, detail = self.run_command(command)
            self.link.answer(command.req_id, ok, detail)
        self.publish_link_state()

    def publish_link_state(self, force: bool = False) -> None:
        """/fleet/link on change: the guardian tells the resident whether the fleet got an alert."""
        stats = self.outbox.stats()
        state = (self.connection.connected.is_set(), stats.pending)
        if state == self._last_link_state and not force:
            return
        self._last_link_state = state
        self.link_state.publish(
            self.rt.types.FleetLinkState(
                header=header(self.rt),
                connected=state[0],
                pending_alerts=state[1],
                oldest_pending_age_s=stats.oldest_pending_age_s or 0.0,
            )
        )

    def publish_config(self, kind: str, version: int, data_json: str) -> None:
        self.config.publish(
            self.rt.types.ConfigUpdate(
                header=header(self.rt), kind=kind, version=version, json=data_json
            )
        )

    def run_command(self, command: protocol.Command) -> tuple[bool, str]:
        if command.command == "ping":
            return True, "pong"
        if command.command == "say":
            text = str(command.args.get("text", "")).strip()
            if not text:
                return False, "say needs a non-empty args.text"
            lang = str(command.args.get("lang", self.lang))
            self.speech.publish(
                self.rt.types.SayRequest(
                    header=header(self.rt), text=text[:1000], lang=lang,
                    priority=self.rt.types.SayRequest.PRIORITY_NORMAL, utterance_id=new_id(),
                )
            )  # fmt: skip
            return True, "said"
        return self.wipe()

    def wipe(self) -> tuple[bool, str]:
        """The rental ended: forget the resident (files, configuration, delivered alerts)."""
        try:
            report = wipe_resident_data(
                Path(self.params.resident_dir).expanduser(), self.outbox, self.event_outbox
            )
        except OSError as error:
            return False, f"wipe failed: {error}"
        for kind in protocol.CONFIG_KINDS:
            self.publish_config(kind, 0, "{}")  # nodes drop what they had for the resident
        return True, report.detail


def with_settings(params: FleetLinkParams, settings: Settings) -> FleetLinkParams:
    """Fill what the node's parameters leave empty from the robot's settings."""
    return params.model_copy(
        update={
            "robot_id": params.robot_id or settings.robot.id or "",
            "broker_url": params.broker_url or settings.robot.fleet_broker_url,
            "outbox_path": params.outbox_path or str(settings.data_dir / "outbox.db"),
            "resident_dir": params.resident_dir or str(settings.data_dir / "resident"),
        }
    )


def broker_with_credentials(params: FleetLinkParams, robot: RobotSettings) -> BrokerUrl:
    """The broker address; the robot id is the username, the password comes from settings.

    The password never sits in ROS parameters (anyone on the robot's ROS graph can read
    those); it comes from the settings file or HOMECARE_ROBOT__MQTT_PASSWORD.
    """
    url = parse_broker_url(params.broker_url)
    if url.username:  # credentials written into the URL win (tests, local brokers)
        return url
    password = robot.mqtt_password.get_secret_value() if robot.mqtt_password else None
    return replace(url, username=params.robot_id if password else None, password=password)


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(FleetLinkNode, "fleet_link", args)
