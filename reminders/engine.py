"""The reminder engine: announce what falls due, wait for "I took it", re-prompt, give up.

Plain core on the injected `Clock` and a `ReminderStore`; it returns actions
and the node turns them into messages:

- `Announce(occurrence, attempt)`: publish /reminders/due and say `text`
  (attempt 0 is the first announcement, then 1, 2, ... for re-prompts);
- `RecordOutcome(event)`: publish /reminders/outcome, then call `outcome_sent`;
- `RaiseAlert`: a `missed_medication` warning on /safety/alert;
- `Say`: an answer to the resident (acknowledgements, lists, refusals).

Actions are plain slotted records, read-only by convention (not frozen: a frozen
dataclass costs 4x more to build, and the benchmark builds millions).

Policies (parameters in `ReminderParams`):

- Every kind is announced and waits for an acknowledgement; `reprompt_after_s`
  without one re-prompts, `max_reprompts` times; `reprompt_after_s` after the
  last re-prompt the occurrence is `missed` (reason `no_answer`), and for a
  medication a `missed_medication` alert tells the caregiver.
- Appointments are announced `appointment_lead_s` before they are due.
- Quiet hours (local, e.g. 22:00-07:00): appointment and custom reminders, and
  their re-prompts, wait until the quiet hours end. Medication is announced on
  time even then (a dose must not slip by a night), at the same reminder
  priority as by day: the node never raises it to urgent.
- Robot off: an occurrence (or re-prompt) found overdue by more than
  `on_time_tolerance_s` is announced late, saying so, while it is at most
  `late_grace_s` overdue; beyond that it is recorded `missed` with reason
  `robot_off` and, for a medication, a `missed_medication` alert saying the
  robot was off. Occurrences more than `robot_off_lookback_s` before the
  restart are not reported at all (a month in a cupboard must not send
  150 alerts).
- Snooze: the occurrence is asked about again after the delay (default
  `snooze_default_s`, at most `snooze_max_s`, at most `max_snoozes` times),
  with a fresh round of re-prompts; the first snooze is recorded as a
  `snoozed` outcome (the fleet stores one event per occurrence and outcome).
- "I took it" with nothing open acknowledges the next medication due within
  `early_ack_s` (taken early; it is then not announced).
- A device (a pill dispenser's compartment opened) acknowledges only an open
  occurrence of its reminder (`ack_reminder`): refilling a dispenser must not
  count as a dose taken.
- A restart neither repeats nor loses: open occurrences, outcomes and the last
  tick time live in the store; an occurrence announced or closed is never
  announced afresh.
"""

from __future__ import annotations

import heapq
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator, model_validator

from homecare.clock import Clock
from reminders.model import (
    Medicine,
    Outcome,
    ReminderKind,
    ReminderOutcomeEvent,
    ReminderSchedule,
    ReminderSpec,
)
from reminders.phrases import Phrase, dose_part, phrase, spoken_duration, spoken_when
from reminders.recurrence import (
    Occurrence,
    iter_occurrence_times,
    occurrence_id,
    place_in_zone,
)
from reminders.store import AlertRecord, OpenOccurrence, OutcomeRecord, ReminderStore

MISSED_MEDICATION = "missed_medication"
WARNING = "warning"
LAST_TICK_SAVE_EVERY_S = 60.0  # the store also has every announcement, so a stale tick is safe
_CLOCK_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


class ReminderParams(BaseModel):
    reprompt_after_s: float = Field(
        default=300.0, gt=0, description="Ask again after this long without an answer."
    )
    max_reprompts: int = Field(default=2, ge=0, le=10, description="Re-prompts before 'missed'.")
    appointment_lead_s: float = Field(
        default=3600.0, ge=0, le=86400, description="Announce appointments this long before."
    )
    quiet_hours_start: str = Field(
        default="22:00", description="Local HH:MM; equal start and end: no quiet hours."
    )
    quiet_hours_end: str = Field(default="07:00", description="Local HH:MM.")
    snooze_default_s: float = Field(default=600.0, gt=0)
    snooze_max_s: float = Field(default=3600.0, gt=0)
    max_snoozes: int = Field(default=3, ge=0)
    late_grace_s: float = Field(
        default=7200.0, ge=0, description="Missed while off: still announced (late) up to this."
    )
    on_time_tolerance_s: float = Field(
        default=120.0, ge=0, description="Later than this an announcement says it is late."
    )
    robot_off_lookback_s: float = Field(
        default=86400.0, ge=0, description="Robot off: report occurrences at most this old."
    )
    early_ack_s: float = Field(
        default=1800.0, ge=0, description="'I took it' this long before a dose counts for it."
    )
    horizon_s: float = Field(
        default=2 * 86400.0, ge=3600, description="How far ahead occurrences are expanded."
    )
    upcoming_window_s: float = Field(
        default=7 * 86400.0, gt=0, description="'What are my reminders' looks this far ahead."
    )
    upcoming_count: int = Field(default=3, ge=1, le=20)
    lang: str = "ru"

    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        parse_clock_time(value)
        return value

    @model_validator(mode="after")
    def _horizon_covers_lead(self) -> ReminderParams:
        if self.horizon_s < 2 * self.appointment_lead_s + 3600:
            raise ValueError("horizon_s must be at least 2 * appointment_lead_s + 3600")
        return self


def parse_clock_time(value: str) -> clock_time:
    """ "07:00" -> time(7, 0); raises ValueError naming the value."""
    match = _CLOCK_TIME.match(value)
    if match is None:
        raise ValueError(f"expected a local time HH:MM, got {value!r}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"expected a local time HH:MM, got {value!r}")
    return clock_time(hour, minute)


@dataclass(slots=True)
class Announce:
    """Say that `occurrence` is due (attempt 0) or ask about it again (1, 2, ...)."""

    occurrence: Occurrence
    attempt: int
    lang: str
    late: bool = False
    at: datetime | None = None  # when it is said (for "today at ..."), aware

    @property
    def text(self) -> str:
        return announcement_text(self.occurrence, self.attempt, self.lang, self.late, self.at)


@dataclass(slots=True)
class RecordOutcome:
    event: ReminderOutcomeEvent

    @property
    def outcome(self) -> Outcome:
        return self.event.outcome

    @property
    def prompts(self) -> int:
        return self.event.prompts

    @property
    def reason(self) -> str:
        return self.event.reason


@dataclass(slots=True)
class RaiseAlert:
    alert_id: str
    kind: str
    severity: str
    details: dict[str, object]


@dataclass(slots=True)
class Say:
    """An answer to the resident; `refusal` says in English why a request was refused."""

    text: str
    lang: str
    refusal: str = ""


@dataclass(slots=True)
class ReminderCreated:
    """A reminder the resident created by voice (for the node's log)."""

    reminder: ReminderSpec
    due: datetime


Action = Announce | RecordOutcome | RaiseAlert | Say | ReminderCreated


def announcement_text(
    occurrence: Occurrence, attempt: int, lang: str, late: bool, at: datetime | None
) -> str:
    reminder = occurrence.reminder
    local_due = occurrence.due
    today = (at or local_due).astimezone(local_due.tzinfo).date()
    if reminder.kind == "medication":
        key = Phrase.ANNOUNCE_MEDICATION if attempt == 0 else Phrase.REPROMPT_MEDICATION
        text = phrase(key, lang, medicine=reminder.medicine, dose=dose_part(reminder.dose))
    elif attempt > 0:
        text = phrase(Phrase.REPROMPT_OTHER, lang, title=reminder.title)
    elif reminder.kind == "appointment":
        when = spoken_when(local_due, today, lang)
        text = phrase(Phrase.ANNOUNCE_APPOINTMENT, lang, title=reminder.title, when=when)
    else:
        text = phrase(Phrase.ANNOUNCE_CUSTOM, lang, title=reminder.title)
    if late:
        text = f"{phrase(Phrase.LATE, lang, time=spoken_when(local_due, today, lang))} {text}"
    return text


class _QuietHours:
    def __init__(self, start: str, end: str) -> None:
        self.start = parse_clock_time(start)
        self.end = parse_clock_time(end)

    def end_if_quiet(self, moment: datetime) -> datetime | None:
        """When the quiet hours around `moment` (aware, local) end; None if not quiet."""
        if self.start == self.end:
            return None
        clock = moment.time().replace(tzinfo=None)
        day = moment.date()
        if self.start < self.end:
            quiet = self.start <= clock < self.end
        else:  # across midnight: 22:00-07:00
            quiet = clock >= self.start or clock < self.end
            if clock >= self.start:
                day += timedelta(days=1)
        if not quiet:
            return None
        zone = moment.tzinfo
        assert isinstance(zone, ZoneInfo)
        return place_in_zone(datetime.combine(day, self.end), zone)


class _Cursor:
    """One reminder's occurrences, walked forward once (not re-expanded per window)."""

    def __init__(self, reminder: ReminderSpec, zone: ZoneInfo, start: datetime) -> None:
        self.reminder = reminder
        self._times = iter_occurrence_times(reminder, zone, start)
        self.next: tuple[datetime, float] | None = next(self._times, None)

    def take_until(self, end_ts: float) -> Iterator[tuple[datetime, float]]:
        """(due, its timestamp) of each occurrence due before `end_ts`."""
        while self.next is not None and self.next[1] < end_ts:
            yield self.next
            self.next = next(self._times, None)


class ReminderEngine:
    def __init__(self, params: ReminderParams, clock: Clock, store: ReminderStore) -> None:
        self.params = params
        self.clock = clock
        self.store = store
        self.lang = params.lang
        self.schedule: ReminderSchedule | None = None
        self._quiet = _QuietHours(params.quiet_hours_start, params.quiet_hours_end)
        self._voice: list[ReminderSpec] = store.voice_reminders()
        self._open: dict[str, OpenOccurrence] = {
            state.occurrence_id: state for state in store.open_occurrences()
        }
        self._asking: str | None = None  # the occurrence most recently announced
        self._resend: list[OutcomeRecord] = store.unsent_outcomes()
        last = store.last_tick()
        # Every occurrence to be announced at or before this has been dealt with.
        self._processed_until = (last or clock.now()).timestamp()
        self._tick_saved_at = self._processed_until
        self._pending: list[tuple[float, str, Occurrence]] = []
        self._cursors: list[_Cursor] = []
        self._expanded_to = 0.0

    # -- schedule ---------------------------------------------------------------------

    def load(self, schedule: ReminderSchedule) -> list[Action]:
        """Run `schedule` from now on; open occurrences of reminders still in it carry on."""
        self.schedule = schedule
        known = {reminder.id for reminder in self._reminders()}
        for occurrence_key, state in list(self._open.items()):
            if state.occurrence.reminder.id not in known:
                del self._open[occurrence_key]  # the caregiver deleted or paused it
                self.store.drop_open(occurrence_key)
        if self._asking not in self._open:
            self._asking = None
        self._restart_expansion()
        return []

    def forget_resident(self) -> None:
        """The rental ended: no schedule, nothing open, nothing stored."""
        self.store.forget_resident()
        self.schedule = None
        self._voice = []
        self._open.clear()
        self._resend = []
        self._asking = None
        self._pending = []
        self._cursors = []

    @property
    def zone(self) -> ZoneInfo:
        return self.schedule.zone if self.schedule else ZoneInfo("UTC")

    def _reminders(self) -> list[ReminderSpec]:
        scheduled = self.schedule.reminders if self.schedule else []
        return [reminder for reminder in [*scheduled, *self._voice] if reminder.active]

    def _restart_expansion(self) -> None:
        now = self.clock.now().timestamp()
        # A day more than the look-back: quiet hours defer an announcement by under a day.
        earliest = now - self.params.robot_off_lookback_s - 86400.0
        start = datetime.fromtimestamp(max(self._processed_until - 86400.0, earliest), UTC)
        self._pending = []
        self._cursors = [_Cursor(reminder, self.zone, start) for reminder in self._reminders()]
        self._expanded_to = start.timestamp()
        self._expand(now + self.params.horizon_s)

    def _expand(self, until: float) -> None:
        for cursor in self._cursors:
            reminder = cursor.reminder
            for due, timestamp in cursor.take_until(until):
                occurrence = Occurrence(reminder, due, _occurrence_id(reminder.id, timestamp))
                self._push(occurrence, timestamp)
        self._expanded_to = until

    def _push(self, occurrence: Occurrence, due_ts: float | None = None) -> None:
        if occurrence.reminder.kind == "medication" and due_ts is not None:
            announce_at = due_ts  # on time, quiet hours or not
        else:
            announce_at = self._announce_time(occurrence)
        if announce_at <= self._processed_until:
            return  # dealt with before the restart or the reload
        heapq.heappush(self._pending, (announce_at, occurrence.occurrence_id, occurrence))

    def _announce_time(self, occurrence: Occurrence) -> float:
        reminder = occurrence.reminder
        if reminder.kind == "medication":
            return occurrence.due.timestamp()  # on time, quiet hours or not
        moment = occurrence.due
        if reminder.kind == "appointment":
            moment = moment - timedelta(seconds=self.params.appointment_lead_s)
        quiet_end = self._quiet.end_if_quiet(moment.astimezone(occurrence.due.tzinfo))
        return (quiet_end or moment).timestamp()

    # -- time passing -----------------------------------------------------------------

    def next_wakeup(self) -> float | None:
        """Epoch seconds of the next thing `tick` would do (for simulations); None: nothing."""
        if self.schedule is None:
            return None
        wakeup = self._expanded_to - self.params.horizon_s / 2
        if self._pending and self._pending[0][0] < wakeup:
            wakeup = self._pending[0][0]
        for state in self._open.values():
            wakeup = min(wakeup, state.next_at)
        return wakeup

    def tick(self) -> list[Action]:
        actions: list[Action] = []
        for record in self._resend:
            actions.extend(_record_actions(record))
        self._resend = []
        if self.schedule is None:
            return actions  # nothing to judge against: wait for a schedule
        now_dt = self.clock.now()
        now = now_dt.timestamp()
        if self._expanded_to - now <= self.params.horizon_s / 2:
            self._expand(now + self.params.horizon_s)
        if self._open:
            waiting = [state for state in self._open.values() if state.next_at <= now]
            for state in sorted(waiting, key=lambda open_: open_.next_at):
                actions.extend(self._follow_up(state, now_dt))
        while self._pending and self._pending[0][0] <= now:
            announce_at, key, occurrence = heapq.heappop(self._pending)
            if key in self._open or self.store.is_handled(key):
                continue
            actions.extend(self._start(occurrence, announce_at, now_dt))
        self._processed_until = max(self._processed_until, now)
        if actions or now - self._tick_saved_at >= LAST_TICK_SAVE_EVERY_S:
            self.store.set_last_tick(now_dt)
            self._tick_saved_at = now
        return actions

    def _start(self, occurrence: Occurrence, announce_at: float, now: datetime) -> list[Action]:
        overdue = now.timestamp() - announce_at
        if overdue > self.params.robot_off_lookback_s:
            return []  # too long ago to be worth reporting (see the module doc)
        if overdue > self.params.late_grace_s:
            return self._missed(occurrence, prompts=0, reason="robot_off", now=now, closes=False)
        state = OpenOccurrence(
            occurrence,
            prompts=1,
            next_at=now.timestamp() + self.params.reprompt_after_s,
            late=overdue > self.params.on_time_tolerance_s,
        )
        self._open[state.occurrence_id] = state
        self.store.save_open(state)
        self._asking = state.occurrence_id
        return [Announce(occurrence, 0, self.lang, state.late, now)]

    def _follow_up(self, state: OpenOccurrence, now: datetime) -> list[Action]:
        occurrence = state.occurrence
        if now.timestamp() - state.next_at > self.params.late_grace_s:
            return self._missed(occurrence, state.prompts, "robot_off", now, closes=True)
        if state.cycle_prompts > self.params.max_reprompts:
            return self._missed(occurrence, state.prompts, "no_answer", now, closes=True)
        if occurrence.reminder.kind != "medication":
            quiet_end = self._quiet.end_if_quiet(now.astimezone(occurrence.due.tzinfo))
            if quiet_end is not None:
                state.next_at = quiet_end.timestamp()
                self.store.save_open(state)
                return []
        attempt = state.prompts
        state.prompts += 1
        state.cycle_prompts += 1
        state.next_at = now.timestamp() + self.params.reprompt_after_s
        self.store.save_open(state)
        self._asking = state.occurrence_id
        return [Announce(occurrence, attempt, self.lang, False, now)]

    def _missed(
        self, occurrence: Occurrence, prompts: int, reason: str, now: datetime, closes: bool
    ) -> list[Action]:
        reminder = occurrence.reminder
        alert = None
        if reminder.kind == "medication":
            alert = AlertRecord(
                alert_id=str(uuid.uuid4()),
                kind=MISSED_MEDICATION,
                severity=WARNING,
                details={
                    "reminder_id": reminder.id,
                    "occurrence_id": occurrence.occurrence_id,
                    "medicine": reminder.medicine,
                    "dose": reminder.dose,
                    "due": occurrence.due.isoformat(),
                    "prompts": prompts,
                    "reason": reason,
                    "robot_was_off": reason == "robot_off",
                },
            )
        actions = self._record(
            occurrence,
            "missed",
            prompts=prompts,
            reason=reason,
            now=now,
            closes=closes,
            alert=alert,
        )
        if alert is not None and reason == "no_answer":
            told = phrase(Phrase.MISSED_CAREGIVER_TOLD, self.lang, medicine=reminder.medicine)
            actions.append(Say(told, self.lang))
        return actions

    def _record(
        self,
        occurrence: Occurrence,
        outcome: Outcome,
        *,
        prompts: int,
        reason: str,
        now: datetime,
        closes: bool,
        alert: AlertRecord | None = None,
    ) -> list[Action]:
        reminder = occurrence.reminder
        event = _outcome_event(
            ts=now.timestamp(),
            event_id=f"{occurrence.occurrence_id}:{outcome}",
            reminder_id=reminder.id,
            occurrence_id=occurrence.occurrence_id,
            kind=reminder.kind,
            title=reminder.title,
            medicine=reminder.medicine,
            outcome=outcome,
            due=occurrence.due,
            prompts=prompts,
            reason=reason,
        )
        record = OutcomeRecord(event, alert)
        if closes:
            self._open.pop(occurrence.occurrence_id, None)
            if self._asking == occurrence.occurrence_id:
                self._asking = None
        if not self.store.record_outcome(record, closes):
            return []  # already stored (a second snooze of the same occurrence)
        return _record_actions(record)

    def outcome_sent(self, event_id: str) -> None:
        """The node published this outcome (and its alert): do not resend after a restart."""
        self.store.mark_sent(event_id)

    # -- what the resident says -------------------------------------------------------

    def ack(self, occurrence_key: str | None = None, medicine: str | None = None) -> list[Action]:
        """ "I took it": the named occurrence, or the one with this medicine, or the current one."""
        now = self.clock.now()
        state = self._choose_open(occurrence_key, medicine)
        if state is None:
            early = self._early_medication(now, medicine)
            if early is None:
                return [
                    Say(
                        phrase(Phrase.NOTHING_TO_ACKNOWLEDGE, self.lang),
                        self.lang,
                        refusal="nothing to acknowledge",
                    )
                ]
            actions = self._record(early, "taken", prompts=0, reason="early", now=now, closes=True)
            return [*actions, Say(phrase(Phrase.ACKNOWLEDGED, self.lang), self.lang)]
        actions = self._record(
            state.occurrence, "taken", prompts=state.prompts, reason="", now=now, closes=True
        )
        return [*actions, Say(phrase(Phrase.ACKNOWLEDGED, self.lang), self.lang)]

    def ack_reminder(self, reminder_id: str, source: str) -> list[Action]:
        """A device says the resident took `reminder_id` (e.g. opened its pill compartment).

        Acknowledges the reminder's open occurrence (announced, waiting for "I took it")
        like the resident's words would, with `source` as the outcome's reason; the
        latest one if several are open. Nothing open: no actions (the caller logs it).
        """
        open_for_reminder = [
            state for state in self._open.values() if state.occurrence.reminder.id == reminder_id
        ]
        if not open_for_reminder:
            return []
        state = max(open_for_reminder, key=lambda state: state.occurrence.due)
        actions = self._record(
            state.occurrence,
            "taken",
            prompts=state.prompts,
            reason=source,
            now=self.clock.now(),
            closes=True,
        )
        return [*actions, Say(phrase(Phrase.ACKNOWLEDGED, self.lang), self.lang)]

    def snooze(self, duration_s: float | None = None) -> list[Action]:
        """ "Later": ask about the current occurrence again after `duration_s`."""
        now = self.clock.now()
        state = self._choose_open(None, None)
        if state is None:
            text = phrase(Phrase.NOTHING_TO_SNOOZE, self.lang)
            return [Say(text, self.lang, refusal="nothing to snooze")]
        if state.snoozes >= self.params.max_snoozes:
            text = phrase(Phrase.SNOOZE_LIMIT, self.lang, title=_what(state.occurrence.reminder))
            return [Say(text, self.lang, refusal=f"snoozed {state.snoozes} times already")]
        wanted = self.params.snooze_default_s if not duration_s or duration_s <= 0 else duration_s
        delay = min(max(60.0, float(wanted)), self.params.snooze_max_s)
        state.snoozes += 1
        state.cycle_prompts = 0
        state.next_at = now.timestamp() + delay
        self.store.save_open(state)
        actions = self._record(
            state.occurrence,
            "snoozed",
            prompts=state.prompts,
            reason=f"snooze:{round(delay)}",
            now=now,
            closes=False,
        )
        text = phrase(Phrase.SNOOZED, self.lang, duration=spoken_duration(delay, self.lang))
        return [*actions, Say(text, self.lang)]

    def _choose_open(self, key: str | None, medicine: str | None) -> OpenOccurrence | None:
        if key is not None:
            return self._open.get(key)
        if medicine:
            wanted = self._canonical_medicine(medicine)
            named = [
                state
                for state in self._open.values()
                if wanted is not None
                and state.occurrence.reminder.medicine.casefold() == wanted.name.casefold()
            ]
            if named:
                return max(named, key=lambda state: state.occurrence.due)
        if self._asking in self._open:
            return self._open[self._asking]
        if self._open:
            return max(self._open.values(), key=lambda state: state.occurrence.due)
        return None

    def _early_medication(self, now: datetime, medicine: str | None) -> Occurrence | None:
        wanted = self._canonical_medicine(medicine) if medicine else None
        limit = now.timestamp() + self.params.early_ack_s
        for announce_at, key, occurrence in sorted(self._pending):
            if announce_at > limit:
                break
            reminder = occurrence.reminder
            if reminder.kind != "medication" or self.store.is_handled(key):
                continue
            if wanted is None or reminder.medicine.casefold() == wanted.name.casefold():
                return occurrence
        return None

    def upcoming(
        self, count: int, kinds: frozenset[ReminderKind] | None = None
    ) -> list[Occurrence]:
        """The next `count` occurrences not yet announced or acknowledged."""
        now = self.clock.now()
        end = now + timedelta(seconds=self.params.upcoming_window_s)
        found: list[Occurrence] = []
        for reminder in self._reminders():
            if kinds is not None and reminder.kind not in kinds:
                continue
            cursor = _Cursor(reminder, self.zone, now)
            for due, _ in cursor.take_until(end.timestamp()):
                key = occurrence_id(reminder.id, due)
                if key not in self._open and not self.store.is_handled(key):
                    found.append(Occurrence(reminder, due, key))
                if len(found) > 4 * count:
                    break
        found.sort(key=lambda occurrence: (occurrence.due, occurrence.reminder.id))
        return found[:count]

    def say_upcoming(self, kinds: frozenset[ReminderKind] | None = None) -> list[Action]:
        """ "What are my reminders" (or, with kinds={"appointment"}, "my appointments")."""
        now = self.clock.now()
        coming = self.upcoming(self.params.upcoming_count, kinds)
        if not coming:
            only_appointments = kinds is not None and set(kinds) == {"appointment"}
            key = Phrase.APPOINTMENTS_NONE if only_appointments else Phrase.UPCOMING_NONE
            return [Say(phrase(key, self.lang), self.lang)]
        today = now.astimezone(self.zone).date()
        items = "; ".join(
            f"{spoken_when(occurrence.due, today, self.lang)}, {_what(occurrence.reminder)}"
            for occurrence in coming
        )
        return [Say(phrase(Phrase.UPCOMING, self.lang, items=items), self.lang)]

    def create(self, when: str, what: str = "", medicine: str = "") -> list[Action]:
        """A one-off reminder the resident asked for by voice (after confirming it).

        `when` is "HH:MM" (today, local) or an ISO 8601 date-time (local if it has no
        offset). A time already past or a medicine not in the schedule is refused.
        """
        now = self.clock.now()
        zone = self.zone
        due = _parse_when(when, now.astimezone(zone).date(), zone)
        if due is None:
            text = phrase(Phrase.REFUSE_BAD_TIME, self.lang)
            return [Say(text, self.lang, refusal=f"cannot read the time {when!r}")]
        if not what.strip() and not medicine.strip():
            text = phrase(Phrase.REFUSE_NOTHING_SAID, self.lang)
            return [Say(text, self.lang, refusal="nothing to remind of")]
        if due <= now:
            spoken = spoken_when(due, now.astimezone(zone).date(), self.lang)
            text = phrase(Phrase.REFUSE_PAST, self.lang, time=spoken)
            return [Say(text, self.lang, refusal=f"the time {due.isoformat()} is in the past")]
        known: Medicine | None = None
        if medicine.strip():
            known = self._canonical_medicine(medicine)
            if known is None:
                text = phrase(Phrase.REFUSE_UNKNOWN_MEDICINE, self.lang, medicine=medicine.strip())
                return [Say(text, self.lang, refusal=f"unknown medicine {medicine.strip()!r}")]
        reminder = ReminderSpec(
            id=f"voice-{due.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}-{len(self._voice) + 1}",
            kind="medication" if known else "custom",
            title=(what.strip() or (known.name if known else ""))[:200],
            medicine=known.name if known else "",
            dose=known.dose if known else "",
            start=due.replace(tzinfo=None),
        )
        self.store.add_voice_reminder(reminder)
        self._voice.append(reminder)
        if self.schedule is not None:
            self._push(Occurrence(reminder, due, occurrence_id(reminder.id, due)))
        spoken = spoken_when(due, now.astimezone(zone).date(), self.lang)
        text = phrase(Phrase.CREATED, self.lang, when=spoken, title=_what(reminder))
        return [ReminderCreated(reminder, due), Say(text, self.lang)]

    def _canonical_medicine(self, name: str | None) -> Medicine | None:
        """The schedule's medicine called `name` (or an alias of it), case-insensitively."""
        if not name or self.schedule is None:
            return None
        wanted = name.strip().casefold()
        for known in self.schedule.medicines:
            if wanted in {known.name.casefold(), *(alias.casefold() for alias in known.aliases)}:
                return known
        for reminder in self.schedule.reminders:
            if reminder.medicine and reminder.medicine.casefold() == wanted:
                return Medicine(name=reminder.medicine, dose=reminder.dose)
        return None

    @property
    def open_occurrences(self) -> list[OpenOccurrence]:
        return sorted(self._open.values(), key=lambda state: state.occurrence.due)


_EVENT_FIELDS = frozenset(ReminderOutcomeEvent.model_fields)


def _outcome_event(**values: object) -> ReminderOutcomeEvent:
    """A `ReminderOutcomeEvent` from parts that are valid by construction, not re-validated.

    The engine's hot path (a benchmark of 1.6 M occurrences): pydantic's own
    `model_construct` costs 5x more. What it sets is exactly what model_construct
    sets; tests compare the result with a validated event.
    """
    event = ReminderOutcomeEvent.__new__(ReminderOutcomeEvent)
    object.__setattr__(event, "__dict__", {"type": "reminder.outcome", **values})
    object.__setattr__(event, "__pydantic_fields_set__", set(_EVENT_FIELDS))
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


def _occurrence_id(reminder_id: str, due_ts: float) -> str:
    """`recurrence.occurrence_id` from a timestamp (whole seconds: starts have no fraction)."""
    return f"{reminder_id}@{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(due_ts))}"


def _record_actions(record: OutcomeRecord) -> list[Action]:
    # The alert goes first: the outcome is marked sent after it, so a crash resends both.
    actions: list[Action] = []
    if record.alert is not None:
        alert = record.alert
        actions.append(RaiseAlert(alert.alert_id, alert.kind, alert.severity, alert.details))
    actions.append(RecordOutcome(record.event))
    return actions


def _what(reminder: ReminderSpec) -> str:
    if reminder.kind == "medication":
        return f"{reminder.medicine}{dose_part(reminder.dose)}"
    return reminder.title


def _parse_when(text: str, today: date, zone: ZoneInfo) -> datetime | None:
    try:
        clock = parse_clock_time(text)
    except ValueError:
        clock = None
    if clock is not None:
        return place_in_zone(datetime.combine(today, clock), zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return place_in_zone(moment.replace(second=0, microsecond=0), zone)
    return moment.astimezone(zone)


__all__ = [
    "Action",
    "Announce",
    "RaiseAlert",
    "RecordOutcome",
    "ReminderCreated",
    "ReminderEngine",
    "ReminderParams",
    "Say",
]
