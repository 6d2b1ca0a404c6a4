"""The fleet's MQTT consumer: presence, telemetry, alerts, events and command results into
the store; alert acks only after commit.

Writes happen on paho's network thread (measured faster than handing rows to
another thread, see the research notes), telemetry in batches. The subscriptions live
in a persistent session, so alerts sent while the service was down arrive when it
returns. Every payload is validated with `fleet.protocol`; bad ones are counted and
logged (rate-limited), never fatal. Losing the broker is not fatal either: paho
reconnects with a backoff from 1 s doubling up to 30 s, and we subscribe again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import orjson
import paho.mqtt.client as mqtt
import sqlite_utils
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benefits.model import ID_PATTERN as BENEFITS_ID_PATTERN
from fleet import config_sync, protocol
from fleet.bad_payloads import BadPayloadLog
from fleet.protocol import (
    CommandResult,
    DeviceStatusEvent,
    FleetState,
    ProtocolError,
    RobotEvent,
    RobotState,
    RobotTopic,
    Telemetry,
)
from fleet.store import appointments as appointments_store
from fleet.store import benefits as benefits_store
from fleet.store import consultations as consultations_store
from fleet.store import devices as devices_store
from fleet.store import record_alert, record_state, record_telemetry
from fleet.store.common import InvalidChangeError
from fleet.store.ingest import record_event
from fleet.store.reminders import record_outcome
from fleet.store.rentals import confirm_wipe
from homecare.clock import Clock
from homecare.errors import ConfigError
from reminders.model import ReminderOutcomeEvent

if TYPE_CHECKING:
    from fleet.calls import CallHub

log = logging.getLogger("fleet.ingest")

Handler = Callable[[RobotTopic, bytes], None]
REMINDER_OUTCOME = "reminder.outcome"
BENEFITS_PROFILE = "benefits.profile"
APPOINTMENT_REQUEST = "appointment.request"
BENEFITS_EVENTS = frozenset({BENEFITS_PROFILE, "benefits.profile_deleted", APPOINTMENT_REQUEST})
APPOINTMENT_BOOK = "appointment.book"
SERVICE_RATING = "service.rating"
COMPLAINT_FILED = "complaint.filed"
APPOINTMENT_EVENTS = frozenset({APPOINTMENT_BOOK, SERVICE_RATING, COMPLAINT_FILED})
CALL_REQUEST = "call.request"
DEVICE_STATUS = "device.status"


class FleetIngest:
    """One ingest worker. Several may run against one broker and one database:

    give each its own `client_id` (its persistent session) and the same `share_group`.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        clock: Clock,
        host: str,
        port: int,
        *,
        client_id: str = "homecare-fleet",
        username: str | None = None,
        password: str | None = None,
        # 2,000 rows: at 10,000 msgs/s a batch fills within the 0.2 s delay anyway, and
        # fewer commits mean fewer fsyncs and, with several workers, fewer hand-offs of the
        # write lock (measured ~3 us/msg less than 500; see benchmarks/README.md).
        batch_size: int = 2000,
        batch_delay_s: float = 0.2,
        share_group: str | None = None,
        counters: Counter[str] | None = None,
    ) -> None:
        self.db, self.clock = db, clock
        self.host, self.port = host, port
        self.batch_size, self.batch_delay_s = batch_size, batch_delay_s
        self.share_group = _checked_share_group(share_group)
        # The caller may pass the Counter the metrics route reads (FleetContext.ingest_counters).
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self.bad_payload_log = BadPayloadLog(log, clock)
        self._pending: list[tuple[str, Telemetry]] = []
        self._lock = threading.Lock()
        # One writer at a time on the shared connection (paho's thread and the flusher).
        self._write_lock = threading.RLock()
        self._stopping = threading.Event()
        self.connected = threading.Event()
        # Set once the broker has acknowledged this connection's subscriptions: from then on
        # nothing published is missed (what a caller waits on before calling us ready).
        self.subscribed = threading.Event()
        self._subscribe_mid: int | None = None
        # Video consultations' signalling: robots' `call_res` go there (set by the service).
        self.calls: CallHub | None = None
        self._handlers: dict[str, Handler] = {
            "telemetry": self._telemetry,
            "state": self._state,
            "alert": self._alert,
            "event": self._event,
            "cmd_res": self._command_result,
            "call_res": self._call_result,
        }
        self._client = self._make_client(client_id, username, password)
        self._flusher = threading.Thread(
            target=self._flush_periodically, name="fleet-ingest-flush", daemon=True
        )

    def _make_client(
        self, client_id: str, username: str | None, password: str | None
    ) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if username:
            client.username_pw_set(username, password)
        offline = protocol.encode(FleetState(state="offline", ts=1.0))
        client.will_set(protocol.FLEET_STATE_TOPIC, offline, qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    # life cycle

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        self._flusher.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._flusher.is_alive():
            self._flusher.join(timeout=10)
        self.flush()
        if self.connected.is_set():
            offline = protocol.encode(FleetState(state="offline", ts=self._now()))
            self._client.publish(protocol.FLEET_STATE_TOPIC, offline, qos=1, retain=True)
        self._client.disconnect()
        self._client.loop_stop()
        self.bad_payload_log.summarize()

    def is_connected(self) -> bool:
        return self.connected.is_set()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Send to the robots (configuration, commands) through this worker's connection."""
        self._client.publish(topic, payload, qos=qos, retain=retain)

    def flush(self) -> None:
        """Write the queued telemetry now, in one transaction."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                record_telemetry(self.db, batch, self._now())
            except sqlite3.Error:
                # Telemetry is QoS 0 and the next reading comes within a heartbeat:
                # dropping one batch is better than an ever-growing queue.
                self.counters["errors"] += 1
                self.counters["telemetry_dropped"] += len(batch)
                log.exception("telemetry batch not stored rows=%d", len(batch))
                return
            self.counters["telemetry_rows"] += len(batch)

    # paho callbacks (network thread)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        if reason.is_failure:
            log.warning("fleet broker refused the connection reason=%s", reason)
            return
        _, self._subscribe_mid = client.subscribe(self._subscriptions())
        if self.share_group:
            # The session may still hold the plain filter from a run without a group;
            # keeping it would deliver every reading to this worker twice.
            client.unsubscribe(protocol.robot_subscription("telemetry"))
        online = protocol.encode(FleetState(state="online", ts=self._now()))
        client.publish(protocol.FLEET_STATE_TOPIC, online, qos=1, retain=True)
        self.connected.set()
        log.info("fleet ingest connected host=%s port=%s", self.host, self.port)

    def _subscriptions(self) -> list[tuple[str, int]]:
        """Only telemetry is shared between workers.

        Telemetry is the volume (one reading per robot per heartbeat), QoS 0 and
        order-free, so any worker may take any reading. Alerts, state, events and
        command results stay plain subscriptions in each worker's persistent session:
        a broker does not send retained messages (the robots' `state`) to shared
        subscriptions, brokers differ in what they queue for a share group whose members
        are all offline (an alert must wait for us), and these are few and idempotent
        (alerts by alert_id), so every worker handling each of them costs nothing.
        """
        telemetry = protocol.robot_subscription("telemetry")
        if self.share_group:
            telemetry = f"$share/{self.share_group}/{telemetry}"
        return [
            (protocol.robot_subscription("alert"), 1),
            (protocol.robot_subscription("state"), 1),
            (protocol.robot_subscription("event"), 1),
            (protocol.robot_subscription("cmd_res"), 1),
            (protocol.robot_subscription("call_res"), 1),
            (telemetry, 0),
        ]

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int,
                      reason_codes: list[ReasonCode], properties: Any) -> None:  # fmt: skip
        if mid != self._subscribe_mid:
            return
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            # E.g. an ACL that forbids a filter, or a broker without shared subscriptions.
            log.error("fleet broker refused subscriptions reasons=%s", refused)
        self.subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                       properties: Any) -> None:  # fmt: skip
        self.subscribed.clear()
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("fleet ingest lost the broker reason=%s; reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.counters["messages"] += 1
        try:
            topic = protocol.parse_topic(message.topic)
            handler = self._handlers.get(topic.channel)
            if handler is None:
                raise ProtocolError(f"the fleet does not consume {topic.channel!r} messages")
            with self._write_lock:
                handler(topic, bytes(message.payload))
        except (ProtocolError, UnicodeDecodeError) as error:
            self.counters["bad_payloads"] += 1
            self.bad_payload_log.bad(_topic_text(message), str(error))
        except Exception:
            # A store failure must not kill the consumer; the robot resends unacked alerts.
            self.counters["errors"] += 1
            log.exception("failed to handle message topic=%r", _topic_text(message)[:200])

    # one handler per channel

    def _telemetry(self, topic: RobotTopic, payload: bytes) -> None:
        self._queue_telemetry(topic.rid, _decode_telemetry(payload))

    def _queue_telemetry(self, rid: str, telemetry: Telemetry) -> None:
        with self._lock:
            self._pending.append((rid, telemetry))
            full = len(self._pending) >= self.batch_size
        if full:
            self.flush()

    def _state(self, topic: RobotTopic, payload: bytes) -> None:
        record_state(self.db, topic.rid, protocol.decode(RobotState, payload), self._now())
        self.counters["states"] += 1

    def _alert(self, topic: RobotTopic, payload: bytes) -> None:
        alert = protocol.decode_alert(topic, payload)
        incident = record_alert(self.db, topic.rid, alert, self._now())
        self.counters["incidents_created" if incident.created else "alert_duplicates"] += 1
        ack = protocol.AlertAck(
            alert_id=alert.alert_id, incident_id=str(incident.incident_id), ts=self._now()
        )
        # Only now, with the incident committed, may the robot forget the alert. A duplicate
        # is acked too: the robot resends because it missed the first ack.
        self._client.publish(
            protocol.ack_topic(topic.rid, alert.alert_id), protocol.encode(ack), qos=1
        )

    def _event(self, topic: RobotTopic, payload: bytes) -> None:
        event = protocol.decode(RobotEvent, payload)
        if event.type in BENEFITS_EVENTS:
            self._benefits_event(topic.rid, event)
            return
        if event.type in APPOINTMENT_EVENTS:
            self._appointment_event(topic.rid, event)
            return
        if event.type == CALL_REQUEST:
            self._call_request(topic.rid, event)
            return
        if event.type == DEVICE_STATUS:
            self._device_status(topic.rid, event)
            return
        if event.type == REMINDER_OUTCOME:
            # Kept once per event_id, linked to the resident: a QoS 1 repeat is no news.
            stored = record_outcome(self.db, topic.rid, decode_reminder_outcome(event), self._now())
            self.counters["reminder_outcomes" if stored.created else "reminder_duplicates"] += 1
            if stored.created and stored.resident_id is None:
                self.counters["reminder_outcomes_without_rental"] += 1
            return
        record_event(self.db, topic.rid, event, self._now())
        self.counters["events"] += 1

    def _benefits_event(self, rid: str, event: RobotEvent) -> None:
        """A resident's benefits profile (said with consent, or deleted by them) or their
        request for an appointment; each kept once per event_id."""
        now = self._now()
        try:
            if event.type == APPOINTMENT_REQUEST:
                request = _checked(AppointmentRequestEvent, event)
                outcome, _ = benefits_store.record_appointment_request(
                    self.db, rid, request.event_id, benefits_agency_id=request.agency_id,
                    measure_ids=request.measure_ids, note=request.note, ts=request.ts, now=now,
                )  # fmt: skip
            else:
                facts = None
                if event.type == BENEFITS_PROFILE:
                    facts = _checked(BenefitsProfileEvent, event).facts
                base = _checked(BenefitsEvent, event)
                outcome, _ = benefits_store.record_voice_profile(
                    self.db, rid, base.event_id, facts, ts=base.ts, now=now
                )
        except InvalidChangeError as error:  # a fact the vocabulary refuses
            raise ProtocolError(f"{event.type}: {error}") from None
        # e.g. benefits_profile_stored, appointment_request_duplicate, ..._no_rental
        self.counters[f"{event.type.replace('.', '_')}_{outcome}"] += 1
        if outcome == "stored" and event.type != APPOINTMENT_REQUEST:
            # The robot's retained copy follows (it also carries the resident record's facts).
            config_sync.sync_robots(self.publish, self.is_connected, self.db, [rid], now,
                                    kinds=(config_sync.BENEFITS,))  # fmt: skip

    def _appointment_event(self, rid: str, event: RobotEvent) -> None:
        """A booking asked by voice, a rating after a visit, or a complaint; each kept once
        per event_id, for the robot's current resident."""
        now = self._now()
        if event.type == APPOINTMENT_BOOK:
            booking = _checked(AppointmentBookEvent, event)
            outcome, _ = appointments_store.book_by_voice(
                self.db, rid, booking.event_id, booking.slot_id, ts=booking.ts, now=now
            )
        elif event.type == SERVICE_RATING:
            rating = _checked(ServiceRatingEvent, event)
            outcome, _ = appointments_store.rate_by_voice(
                self.db, rid, rating.event_id, rating.appointment_id,
                scores=rating.scores.model_dump(exclude_none=True), comment=rating.comment,
                ts=rating.ts, now=now,
            )  # fmt: skip
        else:
            complaint = _checked(ComplaintFiledEvent, event)
            outcome, _ = appointments_store.complain_by_voice(
                self.db, rid, complaint.event_id, ground=complaint.ground, text=complaint.text,
                appointment_id=complaint.appointment_id, ts=complaint.ts, now=now,
            )  # fmt: skip
        # e.g. appointment_book_stored, appointment_book_refused, service_rating_duplicate
        self.counters[f"{event.type.replace('.', '_')}_{outcome}"] += 1
        if outcome in {"stored", "refused"} and event.type != COMPLAINT_FILED:
            # The booking (or its refusal: the slot shown as it is) and the "rated" flag
            # reach the robot's retained copy; a booking also changes its reminders, and
            # the agency's other robots no longer offer the slot.
            kinds = (config_sync.REMINDERS, config_sync.APPOINTMENTS)
            config_sync.sync_robots(self.publish, self.is_connected, self.db, [rid], now,
                                    kinds=kinds)  # fmt: skip
            if event.type == APPOINTMENT_BOOK and outcome == "stored":
                others = [r for r in config_sync.robots_of_agency(self.db, _agency_of(self.db, rid))
                          if r != rid]  # fmt: skip
                config_sync.sync_robots(self.publish, self.is_connected, self.db, others, now,
                                        kinds=(config_sync.APPOINTMENTS,))  # fmt: skip

    def _call_request(self, rid: str, event: RobotEvent) -> None:
        """The resident asked to be called: a `requested` consultation, once per event_id,
        which the dashboard's consultations page lists for staff to call back."""
        request = _checked(CallRequestEvent, event)
        outcome, consultation = consultations_store.record_voice_request(
            self.db, rid, request.event_id, asked_for=request.person or request.role,
            now=self._now(),
        )  # fmt: skip
        # call_request_stored, call_request_duplicate, _no_rental, _already_requested
        self.counters[f"call_request_{outcome}"] += 1
        if outcome == "stored" and consultation is not None:
            log.info("resident asks to be called consultation=%d resident=%d robot=%s",
                     consultation.id, consultation.resident_id, rid)  # fmt: skip

    def _device_status(self, rid: str, event: RobotEvent) -> None:
        """A home device's health (battery, offline, garbage, flooding): kept once per
        event_id, the newest per device, for the resident's page and the maintenance view."""
        try:
            status = DeviceStatusEvent.model_validate(event.model_dump())
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "payload"
            raise ProtocolError(f"{event.type}: {where}: {first['msg']}") from None
        stored = devices_store.record_status(self.db, rid, status, event.ts, self._now())
        self.counters["device_status" if stored else "device_status_duplicates"] += 1

    def _call_result(self, topic: RobotTopic, payload: bytes) -> None:
        """A robot's call signal (accepted, offer, state, hangup, ...) to the call hub."""
        if self.calls is None:
            raise ProtocolError("this fleet worker relays no calls")
        self.calls.on_robot_signal(self.db, topic, payload, self._now())

    def _command_result(self, topic: RobotTopic, payload: bytes) -> None:
        result = protocol.decode(CommandResult, payload)
        if result.req_id != topic.argument:
            raise ProtocolError(
                f"req_id {result.req_id!r} does not match the topic's {topic.argument!r}"
            )
        # Wipe on rental end is the only command whose answer changes the store today.
        matched = confirm_wipe(
            self.db, topic.rid, result.req_id, result.ok, self._now(), detail=result.detail
        )
        self.counters["command_results" if matched else "command_results_unmatched"] += 1

    # helpers

    def _flush_periodically(self) -> None:
        while not self._stopping.wait(self.batch_delay_s):
            with self._lock:
                due = bool(self._pending)
            if due:
                self.flush()

    def _now(self) -> float:
        return self.clock.now().timestamp()


def _agency_of(db: sqlite_utils.Database, robot_id: str) -> int:
    row = db.execute("SELECT agency_id FROM robots WHERE id = ?", (robot_id,)).fetchone()
    return -1 if row is None else int(row[0])


def _checked_share_group(group: str | None) -> str | None:
    if group is not None and (not group or any(c in group for c in "/+#")):
        raise ConfigError(f"MQTT share group {group!r} must be non-empty without / + #")
    return group


def _decode_telemetry(payload: bytes) -> Telemetry:
    """`protocol.decode(Telemetry, payload)`, faster for the payloads it accepts.

    Telemetry is the volume: `protocol.decode` took ~7 us a message, orjson and the same
    validation ~2.5 us. orjson parses a subset of what `json` parses, to the same values,
    and the same model validates the result; anything else takes the usual path, which
    raises the usual ProtocolError.
    """
    if len(payload) <= protocol.MAX_PAYLOAD_BYTES:
        try:
            document = orjson.loads(payload)
            if isinstance(document, dict):
                return Telemetry.model_validate(document)
        except (orjson.JSONDecodeError, ValidationError):
            pass
    return protocol.decode(Telemetry, payload)


def decode_reminder_outcome(event: RobotEvent) -> ReminderOutcomeEvent:
    """A `reminder.outcome` event checked against its own contract (`reminders.model`)."""
    try:
        outcome = ReminderOutcomeEvent.model_validate(event.model_dump())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise ProtocolError(f"ReminderOutcomeEvent.{where}: {first['msg']}") from None
    if outcome.due.tzinfo is None:
        raise ProtocolError("ReminderOutcomeEvent.due: needs an offset (aware ISO 8601 time)")
    return outcome


class BenefitsEvent(BaseModel):
    """`benefits.profile_deleted`, and what every benefits event carries."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ts: float
    event_id: str = Field(min_length=1, max_length=200)


class BenefitsProfileEvent(BenefitsEvent):
    """`benefits.profile`: facts the resident said, sent only with their consent."""

    facts: dict[str, Any]
    consent: Literal[True] = Field(description="The resident agreed to keep these facts.")


class AppointmentRequestEvent(BenefitsEvent):
    """`appointment.request`: the resident asked to be booked at an agency of the catalog."""

    agency_id: str = Field(pattern=BENEFITS_ID_PATTERN, max_length=100)
    measure_ids: list[Annotated[str, Field(pattern=BENEFITS_ID_PATTERN, max_length=100)]] = Field(
        default_factory=list, max_length=30
    )
    note: str = Field(default="", max_length=1000)


class AppointmentBookEvent(BenefitsEvent):
    """`appointment.book`: the resident chose a free slot of `cfg/appointments`."""

    slot_id: str = Field(min_length=1, max_length=100)


Score = Annotated[int | None, Field(ge=1, le=5, strict=True)]


class ServiceScores(BaseModel):
    """1-5 per criterion; a criterion the resident skipped is left out (or null)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_to_service: Score = None
    waiting_time: Score = None
    courtesy: Score = None
    comfort: Score = None
    information: Score = None


class ServiceRatingEvent(BenefitsEvent):
    """`service.rating`: asked by the robot after a visit or a consultation."""

    appointment_id: str = Field(min_length=1, max_length=100)
    scores: ServiceScores
    comment: str = Field(default="", max_length=2000)


class ComplaintFiledEvent(BenefitsEvent):
    """`complaint.filed`: typed by its ground; the agency answers within 15 days."""

    ground: appointments_store.Ground
    text: str = Field(default="", max_length=4000)
    appointment_id: str | None = Field(default=None, max_length=100)


class CallRequestEvent(BenefitsEvent):
    """`call.request`: the resident asked the robot to call someone (their social worker)."""

    role: str = Field(default="", max_length=120, description="Whom: e.g. 'social_worker'.")
    person: str | None = Field(default=None, max_length=120)
    lang: str = Field(default="", max_length=8)


EventModel = TypeVar("EventModel", bound=BenefitsEvent)


def _checked(model: type[EventModel], event: RobotEvent) -> EventModel:
    try:
        return model.model_validate(event.model_dump())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise ProtocolError(f"{event.type}: {where}: {first['msg']}") from None


def _topic_text(message: mqtt.MQTTMessage) -> str:
    try:
        return message.topic
    except UnicodeDecodeError:
        return "<not UTF-8>"
