"""The fleet link's core: presence, telemetry, alerts through the outbox, acks, configuration.

It runs on the node's executor: `pump()` drains what the broker delivered and
sends what is due. The connection is injected (paho in production).
"""

from __future__ import annotations

import json
import logging
import queue
import re
from dataclasses import dataclass
from typing import Protocol

from fleet import protocol
from fleet.protocol import (
    CALL_FROM_FLEET,
    CALL_FROM_ROBOT,
    AlertAck,
    AlertPayload,
    CallSignal,
    Command,
    CommandResult,
    DesiredConfig,
    FleetState,
    ProtocolError,
    RobotState,
)
from homecare.clock import Clock
from robot.fleet_link.mqtt import Inbound
from robot.fleet_link.outbox import AlertOutbox
from robot.fleet_link.system_stats import SystemStats

log = logging.getLogger("robot.fleet_link")


class Connection(Protocol):
    inbox: queue.SimpleQueue[Inbound]

    def subscribe(self, topic_filter: str, qos: int = 1) -> None: ...

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool: ...


@dataclass(frozen=True)
class ReceivedConfig:
    kind: str
    config: DesiredConfig


def alert_from_fields(
    alert_id: str, kind: str, severity: str, details_json: str, *, ts: float, fresh_id: str
) -> AlertPayload:
    """An alert the contract accepts, whatever a node put in its fields.

    A malformed field must never cost the alert: bad details are kept as text,
    an unusable id is replaced by `fresh_id`, an unknown kind becomes `unknown`
    and an unknown severity `critical` (a human looks, rather than nobody).
    The original values travel in `details`.
    """
    details: dict[str, object]
    try:
        parsed = json.loads(details_json) if details_json else {}
        details = parsed if isinstance(parsed, dict) else {"value": parsed}
    except ValueError:
        details = {"unparsed_details": details_json[:2000]}
    if not re.match(protocol.ID_PATTERN, alert_id):
        details["original_alert_id"] = alert_id[:200]
        alert_id = fresh_id
    if not re.match(protocol.KIND_PATTERN, kind):
        details["original_kind"] = kind[:200]
        kind = "unknown"
    if severity not in protocol.SEVERITIES:
        details["original_severity"] = severity[:200]
        severity = "critical"
    return AlertPayload.model_validate(
        {"alert_id": alert_id, "kind": kind, "severity": severity, "details": details, "ts": ts}
    )


class FleetLink:
    def __init__(
        self, rid: str, connection: Connection, outbox: AlertOutbox, clock: Clock, fw: str
    ) -> None:
        self.rid, self.connection, self.outbox, self.clock, self.fw = (
            rid, connection, outbox, clock, fw
        )  # fmt: skip
        self.bdseq = 0
        self.bad_payloads = 0
        self._commands: list[Command] = []
        self._calls: list[CallSignal] = []
        self._fleet_online: bool | None = None  # None: not heard yet
        connection.subscribe(protocol.robot_subscription("ack", rid))
        connection.subscribe(protocol.robot_subscription("cfg", rid))
        connection.subscribe(protocol.robot_subscription("cmd", rid))
        connection.subscribe(protocol.robot_subscription("call", rid))
        connection.subscribe(protocol.FLEET_STATE_TOPIC)

    def birth(self) -> None:
        """After each (re)connect: announce `ready` and resend pending alerts at once."""
        state = RobotState(state="ready", bdseq=self.bdseq, fw=self.fw, ts=self._ts())
        self.connection.publish(protocol.state_topic(self.rid), protocol.encode(state), retain=True)
        self.bdseq += 1
        self.outbox.resend_all_now()

    def raise_alert(self, alert: AlertPayload) -> None:
        """Commit first (never lost), then try to send."""
        self.outbox.add(alert)
        self.send_due_alerts()

    def send_due_alerts(self) -> int:
        sent = 0
        for alert in self.outbox.due():
            topic = protocol.alert_topic(self.rid, alert.alert_id)
            if not self.connection.publish(topic, protocol.encode(alert), qos=1):
                break
            self.outbox.mark_sent(alert.alert_id)
            sent += 1
        return sent

    def send_telemetry(
        self, battery_pct: float, charging: bool, stats: SystemStats | None = None
    ) -> bool:
        telemetry = protocol.Telemetry(
            battery_pct=battery_pct,
            charging=charging,
            cpu_temp_c=stats.cpu_temp_c if stats else None,
            uptime_s=stats.uptime_s if stats else None,
            ts=self._ts(),
        )
        topic = protocol.telemetry_topic(self.rid)
        return self.connection.publish(topic, protocol.encode(telemetry), qos=0)

    def pump(self) -> list[ReceivedConfig]:
        """Handle everything received; returns new configurations to apply."""
        configs: list[ReceivedConfig] = []
        while True:
            try:
                inbound = self.connection.inbox.get_nowait()
            except queue.Empty:
                break
            try:
                config = self._handle(inbound)
            except ProtocolError as error:
                self.bad_payloads += 1
                log.warning("bad payload from fleet topic=%s reason=%s", inbound.topic, error)
                continue
            if config:
                configs.append(config)
        self.send_due_alerts()
        return configs

    def _handle(self, inbound: Inbound) -> ReceivedConfig | None:
        if inbound.topic == protocol.FLEET_STATE_TOPIC:
            self._fleet_state(protocol.decode(FleetState, inbound.payload))
            return None
        topic = protocol.parse_topic(inbound.topic)
        if topic.rid != self.rid or topic.argument is None:
            raise ProtocolError(f"topic {inbound.topic} is not for this robot")
        if topic.channel == "ack":
            ack = protocol.decode(AlertAck, inbound.payload)
            if ack.alert_id != topic.argument:
                raise ProtocolError("ack alert_id does not match its topic")
            self.outbox.acknowledge(ack.alert_id, ack.incident_id)
            return None
        if topic.channel == "cfg":
            protocol.config_topic(self.rid, topic.argument)  # validates the kind
            if not inbound.payload:
                # The fleet removed the retained config (the rental ended); the wipe
                # command is what clears the robot's copy, so there is nothing to apply.
                return None
            return ReceivedConfig(
                topic.argument,
                protocol.decode(DesiredConfig, inbound.payload, limit=protocol.MAX_CONFIG_BYTES),
            )
        if topic.channel == "cmd":
            command = protocol.decode(Command, inbound.payload)
            if command.req_id != topic.argument:
                raise ProtocolError("command req_id does not match its topic")
            self._commands.append(command)
            return None
        if topic.channel == "call":
            self._calls.append(protocol.decode_call_signal(topic, inbound.payload, CALL_FROM_FLEET))
            return None
        raise ProtocolError(f"unexpected channel {topic.channel}")

    def _fleet_state(self, state: FleetState) -> None:
        """The fleet service is back (offline, then online): resend what is pending now.

        Alerts sent while it was down are not all waiting for it at the broker (a
        restarted service may come back under another MQTT session, and a broker restart
        loses what its last snapshot did not hold), and by then the backoff may be a
        minute long. Measured: 61 s to drain after a 64 s outage of the service without
        this, a few seconds with it (benchmarks/README.md, fault injection).
        """
        online = state.state == "online"
        if online and self._fleet_online is False:
            self.outbox.resend_all_now()
        self._fleet_online = online

    def take_commands(self) -> list[Command]:
        """Commands received by `pump()` since the last call, in arrival order."""
        commands, self._commands = self._commands, []
        return commands

    def take_call_signals(self) -> list[CallSignal]:
        """Consultation signals from the fleet received by `pump()`, in arrival order."""
        calls, self._calls = self._calls, []
        return calls

    def send_call_signal(self, signal: CallSignal) -> bool:
        """To the fleet, not through an outbox: a late offer or answer is worthless, and
        the telepresence node's own deadlines end a call whose signals are lost."""
        if signal.type not in CALL_FROM_ROBOT:
            raise ProtocolError(f"a robot does not send {signal.type!r} call signals")
        topic = protocol.call_result_topic(self.rid, signal.consultation_id)
        return self.connection.publish(topic, protocol.encode(signal), qos=1)

    def answer(self, req_id: str, ok: bool, detail: str = "") -> bool:
        result = CommandResult(req_id=req_id, ok=ok, detail=detail[:1000], ts=self._ts())
        topic = protocol.command_result_topic(self.rid, req_id)
        return self.connection.publish(topic, protocol.encode(result), qos=1)

    def _ts(self) -> float:
        return self.clock.now().timestamp()
