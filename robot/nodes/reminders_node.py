"""reminders: /fleet/config, /dialog/intent and /devices/event in; /reminders/due,
/reminders/outcome, /safety/alert and /speech/say out.

Thin wiring of `reminders.engine.ReminderEngine`. The schedule comes from the
fleet (ConfigUpdate kind "reminders", the JSON of a `ReminderSchedule`) or, on
a robot without a fleet and in the demo, from a local file (`schedule_file`:
YAML, JSON or iCalendar). A bad configuration is logged and the previous
schedule kept; an empty one (`{}`, what the fleet link sends on a wipe) ends
the resident's data. Answers follow the language the resident spoke in.

A pill dispenser's compartment opened (/devices/event) acknowledges the
reminder the device registry (ConfigUpdate kind "devices", else the `devices`
parameter) maps that compartment to, as "I took it" would, when it is due and
waiting; otherwise the opening is only logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from homecare.errors import ConfigError, HomecareError
from homecare.settings import get_settings
from reminders.engine import (
    Action,
    Announce,
    RaiseAlert,
    RecordOutcome,
    ReminderCreated,
    ReminderEngine,
    ReminderParams,
    Say,
)
from reminders.ics import schedule_from_ics
from reminders.model import ReminderKind, ReminderSchedule
from reminders.phrases import SUPPORTED_LANGUAGES
from reminders.store import SqliteReminderStore
from robot.devices.registry import CONFIG_KIND as DEVICES_CONFIG_KIND
from robot.devices.registry import DeviceRegistry, parse_devices_config
from robot.nodes.guardian_node import parse_slots
from robot.runtime import CONFIG, EVENTS, Runtime, load_params
from robot.runtime.stamps import header, new_id, time_message

CONFIG_KIND = "reminders"
PILL_DISPENSER = "pill_dispenser"  # the outcome's reason when a dispenser acknowledged it
APPOINTMENTS_ONLY: frozenset[ReminderKind] = frozenset({"appointment"})


class RemindersNodeParams(ReminderParams):
    tick_period_s: float = Field(default=1.0, gt=0, description="How often due times are checked.")
    store_path: str = Field(
        default="", description="SQLite file of the engine (empty: reminders.db in data_dir)."
    )
    schedule_file: str = Field(
        default="", description="A local schedule (.yaml, .json or .ics) until the fleet sends one."
    )
    default_timezone: str = Field(
        default="Europe/Moscow", description="Zone of an .ics schedule_file that names none."
    )
    devices: str = Field(
        default="", description="The device registry as JSON until the fleet sends cfg/devices."
    )


class RemindersNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = p = load_params(rt, RemindersNodeParams)
        store_path = Path(p.store_path or get_settings().data_dir / "reminders.db").expanduser()
        self.store = SqliteReminderStore(store_path)
        self.engine = ReminderEngine(p, rt.clock, self.store)
        self.config_version: int | None = None
        self.devices = DeviceRegistry(
            parse_devices_config(p.devices, f"node {rt.name}: parameter devices")
        )
        types = rt.types
        self.due = rt.publisher("/reminders/due", types.ReminderDue, EVENTS)
        self.outcomes = rt.publisher("/reminders/outcome", types.ReminderOutcome, EVENTS)
        self.alerts = rt.publisher("/safety/alert", types.Alert, EVENTS)
        self.speech = rt.publisher("/speech/say", types.SayRequest, EVENTS)
        if p.schedule_file:
            self.engine.load(read_schedule_file(Path(p.schedule_file), p.default_timezone))
            rt.log.info("reminders schedule loaded", source="file", path=p.schedule_file)
        rt.subscribe("/fleet/config", types.ConfigUpdate, self.on_config, CONFIG)
        rt.subscribe("/dialog/intent", types.Intent, self.on_intent, EVENTS)
        rt.subscribe("/devices/event", types.DeviceEvent, self.on_device_event, EVENTS)
        rt.timer(p.tick_period_s, self.tick)

    def tick(self) -> None:
        self.perform(self.engine.tick())

    def on_config(self, update: Any) -> None:
        if update.kind == DEVICES_CONFIG_KIND:
            self.on_devices_config(update)
            return
        if update.kind != CONFIG_KIND:
            return
        version = int(update.version)
        if update.json.strip() in ("", "{}"):
            self.engine.forget_resident()
            self.config_version = version
            self.rt.log.info("reminders schedule cleared", version=version)
            return
        if self.config_version is not None and version < self.config_version:
            self.rt.log.warning(
                "reminders config ignored: older than the one in use",
                version=version,
                current=self.config_version,
            )
            return
        try:
            schedule = ReminderSchedule.model_validate_json(update.json)
            self.perform(self.engine.load(schedule))
        except ValidationError as error:
            self._reject(version, _first_error(error))
            return
        except HomecareError as error:
            self._reject(version, str(error))
            return
        self.config_version = version
        self.rt.log.info(
            "reminders schedule loaded",
            source="fleet",
            version=version,
            reminders=len(schedule.reminders),
            timezone=schedule.timezone,
        )

    def on_devices_config(self, update: Any) -> None:
        try:
            self.devices.update(int(update.version), update.json)
        except HomecareError as error:
            self.rt.log.error(
                "devices config rejected; the previous registry stays",
                version=int(update.version),
                problem=str(error),
            )

    def on_device_event(self, event: Any) -> None:
        if (event.role, event.kind) != (PILL_DISPENSER, "opened"):
            return
        compartment = _compartment(parse_slots(event.json).get("compartment"))
        if compartment is None:
            self.rt.log.warning(
                "pill dispenser opening ignored: no compartment number", device=event.device
            )
            return
        spec = self.devices.config.devices.get(event.device)
        reminder_id = spec.compartments.get(str(compartment)) if spec else None
        if reminder_id is None:
            self.rt.log.info(
                "pill dispenser opened: compartment holds no reminder",
                device=event.device,
                compartment=compartment,
            )
            return
        actions = self.engine.ack_reminder(reminder_id, PILL_DISPENSER)
        if not actions:
            self.rt.log.info(
                "pill dispenser opened with nothing due",
                device=event.device,
                compartment=compartment,
                reminder_id=reminder_id,
            )
            return
        self.perform(actions)

    def _reject(self, version: int, problem: str) -> None:
        self.rt.log.error(
            "reminders config rejected; the previous schedule stays",
            version=version,
            problem=problem,
        )

    def on_intent(self, intent: Any) -> None:
        name = intent.name
        if name not in INTENTS:
            return
        if intent.lang in SUPPORTED_LANGUAGES:
            self.engine.lang = intent.lang  # answer in the language the resident spoke
        slots = parse_slots(intent.slots_json)
        if name == "reminder.ack":
            actions = self.engine.ack(medicine=_text(slots.get("medicine")))
        elif name == "reminder.snooze":
            actions = self.engine.snooze(_seconds(slots.get("duration_s")))
        elif name == "reminder.list":
            actions = self.engine.say_upcoming()
        elif name == "appointment.list":
            actions = self.engine.say_upcoming(APPOINTMENTS_ONLY)
        else:  # reminder.create, sent by the dialog only after the resident confirmed it
            actions = self.engine.create(
                _text(slots.get("time")), _text(slots.get("what")), _text(slots.get("medicine"))
            )
        self.perform(actions)

    def perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Announce):
                self.announce(action)
            elif isinstance(action, RecordOutcome):
                self.publish_outcome(action)
            elif isinstance(action, RaiseAlert):
                self.raise_alert(action)
            elif isinstance(action, Say):
                self.say(action.text, action.lang, reminder=False)
                if action.refusal:
                    self.rt.log.info("reminders request refused", reason=action.refusal)
            else:
                self.log_created(action)

    def announce(self, announce: Announce) -> None:
        types = self.rt.types
        occurrence = announce.occurrence
        reminder = occurrence.reminder
        self.due.publish(
            types.ReminderDue(
                header=header(self.rt),
                reminder_id=reminder.id,
                occurrence_id=occurrence.occurrence_id,
                kind=reminder.kind,
                title=reminder.title,
                medicine=reminder.medicine,
                dose=reminder.dose,
                due=time_message(self.rt, occurrence.due),
                attempt=min(announce.attempt, 255),
            )
        )
        self.say(announce.text, announce.lang, reminder=True)
        self.rt.log.info(
            "reminder announced",
            occurrence_id=occurrence.occurrence_id,
            kind=reminder.kind,
            attempt=announce.attempt,
            late=announce.late,
        )

    def publish_outcome(self, record: RecordOutcome) -> None:
        event = record.event
        self.outcomes.publish(
            self.rt.types.ReminderOutcome(
                header=header(self.rt),
                reminder_id=event.reminder_id,
                occurrence_id=event.occurrence_id,
                outcome=event.outcome,
                due=time_message(self.rt, event.due),
                kind=event.kind,
                title=event.title,
                medicine=event.medicine,
                prompts=min(event.prompts, 255),
                reason=event.reason,
            )
        )
        # Published (its alert, if any, went first): a restart must not send it again.
        self.engine.outcome_sent(event.event_id)
        self.rt.log.info(
            "reminder outcome",
            occurrence_id=event.occurrence_id,
            outcome=event.outcome,
            prompts=event.prompts,
            reason=event.reason or "-",
        )

    def raise_alert(self, alert: RaiseAlert) -> None:
        self.alerts.publish(
            self.rt.types.Alert(
                header=header(self.rt),
                alert_id=alert.alert_id,
                kind=alert.kind,
                severity=alert.severity,
                details_json=json.dumps(alert.details, ensure_ascii=False),
            )
        )
        # The alert itself is the record (and reaches the caregiver); this line is for tracing.
        self.rt.log.info(
            "reminders alert raised",
            alert_id=alert.alert_id,
            kind=alert.kind,
            reminder_id=alert.details.get("reminder_id"),
            reason=alert.details.get("reason"),
        )

    def say(self, text: str, lang: str, reminder: bool) -> None:
        types = self.rt.types
        priority = (
            types.SayRequest.PRIORITY_REMINDER if reminder else types.SayRequest.PRIORITY_NORMAL
        )
        self.speech.publish(
            types.SayRequest(
                header=header(self.rt),
                text=text,
                lang=lang,
                priority=priority,
                utterance_id=new_id(),
                rate_scale=1.0,
            )
        )

    def log_created(self, created: ReminderCreated) -> None:
        self.rt.log.info(
            "reminder created by voice",
            reminder_id=created.reminder.id,
            kind=created.reminder.kind,
            due=created.due.isoformat(),
        )


INTENTS = frozenset(
    {"reminder.ack", "reminder.snooze", "reminder.list", "reminder.create", "appointment.list"}
)


def read_schedule_file(path: Path, default_timezone: str) -> ReminderSchedule:
    """A schedule from a local .yaml/.yml, .json or .ics file; `ConfigError` naming the file."""
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"reminders schedule_file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"reminders schedule_file {path}: cannot read it: {error}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".ics":
            return schedule_from_ics(text, default_timezone)
        if suffix == ".json":
            return ReminderSchedule.model_validate_json(text)
        if suffix in (".yaml", ".yml"):
            return ReminderSchedule.model_validate(yaml.safe_load(text) or {})
    except ValidationError as error:
        raise ConfigError(f"reminders schedule_file {path}: {_first_error(error)}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"reminders schedule_file {path}: not valid YAML: {error}") from None
    except HomecareError as error:
        raise ConfigError(f"reminders schedule_file {path}: {error}") from None
    raise ConfigError(
        f"reminders schedule_file {path}: unknown format {suffix!r} (use .yaml, .json or .ics)"
    )


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _compartment(value: object) -> int | None:
    """A compartment number (2 or "2"); anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _seconds(value: object) -> float | None:
    """A duration slot ("600", 600, 600.0); anything else means the default."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(RemindersNode, "reminders", args)
