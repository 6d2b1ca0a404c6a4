"""The reminder engine on a manual clock with a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from homecare.clock import ManualClock
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
from reminders.model import Medicine, ReminderSchedule, ReminderSpec
from reminders.phrases import Phrase, phrase
from reminders.store import SqliteReminderStore

PERM = ZoneInfo("Asia/Yekaterinburg")  # +05:00, no daylight-saving time
T = TypeVar("T")

ENALAPRIL = ReminderSpec(
    id="enalapril", kind="medication", title="Blood pressure", medicine="эналаприл",
    dose="одна таблетка", start=datetime(2026, 1, 1, 8), rrule="FREQ=DAILY",
)  # fmt: skip
SCHEDULE = ReminderSchedule(
    timezone="Asia/Yekaterinburg",
    medicines=[Medicine(name="эналаприл", aliases=["от давления"], dose="одна таблетка")],
    reminders=[ENALAPRIL],
)


def local(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=PERM)


@dataclass
class Robot:
    """An engine whose clock, store file and parameters a test controls; restartable."""

    path: Path
    clock: ManualClock
    params: ReminderParams
    engine: ReminderEngine = field(init=False)
    log: list[Action] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.boot()

    def boot(self) -> None:
        self.store = SqliteReminderStore(self.path)
        self.engine = ReminderEngine(self.params, self.clock, self.store)

    def restart(self, off_for_s: float = 0.0, schedule: ReminderSchedule = SCHEDULE) -> None:
        self.store.close()
        self.clock.advance(off_for_s)
        self.boot()
        self.engine.load(schedule)

    def run_until(self, moment: datetime, step_s: float = 30.0) -> list[Action]:
        """Tick every `step_s` until `moment`; the node would publish, so mark outcomes sent."""
        actions: list[Action] = []
        while self.clock.now() < moment:
            self.clock.advance(min(step_s, (moment - self.clock.now()).total_seconds()))
            actions.extend(self.publish(self.engine.tick()))
        return actions

    def publish(self, actions: list[Action]) -> list[Action]:
        for action in actions:
            if isinstance(action, RecordOutcome):
                self.engine.outcome_sent(action.event.event_id)
        self.log.extend(actions)
        return actions


def of(kind: type[T], actions: list[Action]) -> list[T]:
    return [action for action in actions if isinstance(action, kind)]


@pytest.fixture
def robot(tmp_path: Path) -> Iterator[Robot]:
    made = Robot(tmp_path / "reminders.db", ManualClock(local(7, 0)), ReminderParams(lang="ru"))
    made.engine.load(SCHEDULE)
    yield made
    made.store.close()


def test_announce_then_ack_is_taken(robot: Robot) -> None:
    assert robot.run_until(local(7, 59)) == []
    [announce] = robot.run_until(local(8, 0))
    assert isinstance(announce, Announce) and announce.attempt == 0 and not announce.late
    assert announce.text == (
        "Пора принять лекарство: эналаприл, одна таблетка. "
        "Скажите «выпила» или «выпил», когда примете."
    )
    assert announce.occurrence.occurrence_id == "enalapril@2026-01-05T03:00:00Z"
    assert announce.occurrence.due == local(8, 0)

    robot.clock.advance(90)
    actions = robot.publish(robot.engine.ack())
    [taken] = of(RecordOutcome, actions)
    assert (taken.outcome, taken.prompts, taken.reason) == ("taken", 1, "")
    assert taken.event.due == local(8, 0) and taken.event.medicine == "эналаприл"
    assert of(Say, actions)[0].text == phrase(Phrase.ACKNOWLEDGED, "ru")
    assert robot.run_until(local(12, 0)) == []  # no re-prompt after the answer


def test_no_answer_reprompts_then_missed_with_a_caregiver_alert(robot: Robot) -> None:
    actions = robot.run_until(local(9, 0))
    announcements = of(Announce, actions)
    assert [a.attempt for a in announcements] == [0, 1, 2]  # max_reprompts = 2, 5 min apart
    assert announcements[1].text.startswith("Вы приняли лекарство: эналаприл, одна таблетка?")
    [alert] = of(RaiseAlert, actions)
    assert (alert.kind, alert.severity) == ("missed_medication", "warning")
    assert alert.details["medicine"] == "эналаприл" and alert.details["reason"] == "no_answer"
    assert alert.details["due"] == "2026-01-05T08:00:00+05:00"
    [missed] = of(RecordOutcome, actions)
    assert (missed.outcome, missed.prompts, missed.reason) == ("missed", 3, "no_answer")
    assert missed.event.ts == local(8, 15).timestamp()  # 5 min after the last re-prompt
    assert "сообщу вашему помощнику" in of(Say, actions)[0].text
    # The alert comes before the outcome: the outcome is marked sent after both.
    assert actions.index(alert) < actions.index(missed)


def test_snooze_asks_again_later_with_fresh_reprompts(robot: Robot) -> None:
    robot.run_until(local(8, 0))
    robot.clock.advance(30)
    actions = robot.publish(robot.engine.snooze(600))
    [snoozed] = of(RecordOutcome, actions)
    assert (snoozed.outcome, snoozed.reason) == ("snoozed", "snooze:600")
    assert of(Say, actions)[0].text == "Хорошо, напомню через 10 минут."

    assert of(Announce, robot.run_until(local(8, 10))) == []  # the 8:05 re-prompt is put off
    [again] = of(Announce, robot.run_until(local(8, 11)))
    assert again.attempt == 1
    later = robot.run_until(local(8, 30))
    assert len(of(Announce, later)) == 2  # a fresh round of re-prompts
    [missed] = of(RecordOutcome, later)
    assert (missed.outcome, missed.prompts) == ("missed", 4)


def test_snooze_is_clamped_and_limited(robot: Robot) -> None:
    robot.run_until(local(8, 0))
    for _ in range(3):
        said = of(Say, robot.publish(robot.engine.snooze(5 * 3600)))
        assert said[0].text == "Хорошо, напомню через час."  # at most snooze_max_s
    # Only the first snooze is an outcome event (the fleet keeps one per occurrence).
    assert len(of(RecordOutcome, robot.log)) == 1
    [refusal] = robot.engine.snooze()
    assert isinstance(refusal, Say) and refusal.refusal == "snoozed 3 times already"
    assert "Больше откладывать нельзя" in refusal.text


def test_ack_and_snooze_with_nothing_open_say_so(robot: Robot) -> None:
    robot.clock.advance(60)  # 7:01: the 8:00 dose is more than early_ack_s away
    [ack] = robot.engine.ack()
    [snooze] = robot.engine.snooze()
    assert isinstance(ack, Say) and ack.text == phrase(Phrase.NOTHING_TO_ACKNOWLEDGE, "ru")
    assert isinstance(snooze, Say) and snooze.refusal == "nothing to snooze"


def test_ack_shortly_before_the_dose_counts_as_taken_early(robot: Robot) -> None:
    robot.run_until(local(7, 45))
    [taken] = of(RecordOutcome, robot.publish(robot.engine.ack(medicine="от давления")))
    assert (taken.outcome, taken.prompts, taken.reason) == ("taken", 0, "early")
    assert robot.run_until(local(9, 0)) == []  # not announced any more


def test_quiet_hours_delay_non_medication_but_not_medication(tmp_path: Path) -> None:
    schedule = ReminderSchedule(
        timezone="Asia/Yekaterinburg",
        reminders=[
            ReminderSpec(
                id="plants", kind="custom", title="полить цветы", start=datetime(2026, 1, 5, 23)
            ),
            ReminderSpec(
                id="night-pill", kind="medication", title="Night", medicine="мелатонин",
                start=datetime(2026, 1, 5, 23, 30),
            ),
        ],
    )  # fmt: skip
    robot = Robot(tmp_path / "r.db", ManualClock(local(21, 0)), ReminderParams(lang="ru"))
    robot.engine.load(schedule)
    night = robot.run_until(local(23, 31))
    assert [a.occurrence.reminder.id for a in of(Announce, night)] == ["night-pill"]
    robot.publish(robot.engine.ack())
    assert of(Announce, robot.run_until(local(6, 59, day=6))) == []
    [plants] = of(Announce, robot.run_until(local(7, 1, day=6)))
    assert plants.occurrence.reminder.id == "plants" and not plants.late
    assert plants.text == "Напоминаю: полить цветы."


def test_appointments_are_announced_ahead_saying_when(tmp_path: Path) -> None:
    doctor = ReminderSpec(
        id="doctor", kind="appointment", title="терапевт", start=datetime(2026, 1, 5, 10, 30)
    )
    schedule = ReminderSchedule(timezone="Asia/Yekaterinburg", reminders=[doctor])
    robot = Robot(tmp_path / "r.db", ManualClock(local(8, 0)), ReminderParams(lang="en"))
    robot.engine.load(schedule)
    assert robot.run_until(local(9, 29)) == []
    [announce] = of(Announce, robot.run_until(local(9, 31)))
    assert announce.text == "A reminder: терапевт, today at half past 10 in the morning."
    assert robot.engine.upcoming(5) == []  # announced: open, no longer upcoming


def test_robot_off_shorter_than_grace_announces_late(robot: Robot) -> None:
    robot.run_until(local(7, 30))
    robot.restart(off_for_s=3600)  # back at 8:30: 30 min late, grace is 2 h
    [announce] = of(Announce, robot.run_until(local(8, 31)))
    assert announce.late and announce.attempt == 0
    assert announce.text.startswith(
        "Это напоминание с опозданием: оно было назначено на сегодня в 8 часов."
    )
    robot.publish(robot.engine.ack())
    [taken] = of(RecordOutcome, robot.log)
    assert taken.outcome == "taken"


def test_robot_off_longer_than_grace_is_missed_and_alerted(robot: Robot) -> None:
    robot.run_until(local(7, 30))
    robot.restart(off_for_s=4 * 3600)  # back at 11:30, 3.5 h after the dose
    actions = robot.run_until(local(11, 31))
    assert of(Announce, actions) == []
    [alert] = of(RaiseAlert, actions)
    assert alert.details["robot_was_off"] is True and alert.details["reason"] == "robot_off"
    [missed] = of(RecordOutcome, actions)
    assert (missed.outcome, missed.reason, missed.prompts) == ("missed", "robot_off", 0)
    assert of(Say, actions) == []  # nobody to tell: the caregiver hears through the alert


def test_off_for_weeks_reports_only_the_last_day(robot: Robot) -> None:
    robot.run_until(local(7, 30))
    robot.restart(off_for_s=20 * 86400)
    actions = robot.run_until(local(7, 31, day=25))
    assert len(of(RecordOutcome, actions)) == 1  # not 20 alerts; older ones are not reported
    assert robot.run_until(local(8, 1, day=25))[0] == of(Announce, robot.log)[0]


def test_restart_resumes_without_repeating_or_losing(robot: Robot) -> None:
    robot.run_until(local(8, 6))  # announced at 8:00, re-prompted at 8:05
    assert [a.attempt for a in of(Announce, robot.log)] == [0, 1]
    robot.restart(off_for_s=60)
    actions = robot.run_until(local(8, 20))
    # No fresh announcement: the open occurrence carries on with its last re-prompt.
    assert [a.attempt for a in of(Announce, actions)] == [2]
    assert of(RecordOutcome, actions)[0].prompts == 3


def test_unsent_outcomes_are_published_after_a_restart(robot: Robot) -> None:
    robot.run_until(local(8, 0))
    robot.clock.advance(30)
    taken = of(RecordOutcome, robot.engine.ack())  # not published: the robot dies now
    robot.restart(off_for_s=10)
    [again] = of(RecordOutcome, robot.engine.tick())
    assert again.event == taken[0].event
    robot.engine.outcome_sent(again.event.event_id)
    robot.restart(off_for_s=10)
    assert robot.engine.tick() == []


def test_a_new_schedule_drops_open_occurrences_of_deleted_reminders(robot: Robot) -> None:
    robot.run_until(local(8, 0))
    walk = ReminderSpec(id="walk", kind="custom", title="walk", start=datetime(2026, 1, 5, 9))
    robot.engine.load(SCHEDULE.model_copy(update={"reminders": [walk]}))
    assert robot.engine.open_occurrences == []
    actions = robot.run_until(local(9, 1))
    assert [a.occurrence.reminder.id for a in of(Announce, actions)] == ["walk"]


def test_nothing_happens_before_a_schedule_arrives(tmp_path: Path) -> None:
    robot = Robot(tmp_path / "r.db", ManualClock(local(7, 0)), ReminderParams())
    assert robot.run_until(local(9, 0)) == []
    assert robot.engine.next_wakeup() is None


def test_voice_created_reminder_is_announced_and_survives_a_restart(robot: Robot) -> None:
    actions = robot.engine.create("12:30", "позвонить дочери")
    [created] = of(ReminderCreated, actions)
    assert created.due == local(12, 30) and created.reminder.kind == "custom"
    assert (
        of(Say, actions)[0].text == "Хорошо, напомню сегодня в 12 часов 30 минут: позвонить дочери."
    )
    robot.run_until(local(8, 0))
    robot.publish(robot.engine.ack())
    robot.restart(off_for_s=60)
    [announce] = of(Announce, robot.run_until(local(12, 31)))
    assert announce.text == "Напоминаю: позвонить дочери."


def test_voice_created_medication_uses_the_schedules_name_and_dose(robot: Robot) -> None:
    actions = robot.engine.create("2026-01-05T20:00", medicine="От давления")
    [created] = of(ReminderCreated, actions)
    assert (created.reminder.kind, created.reminder.medicine) == ("medication", "эналаприл")
    assert created.reminder.dose == "одна таблетка"


@pytest.mark.parametrize(
    "case",
    [
        ("06:30", "чай", "", "is in the past", "Это время уже прошло: сегодня в 6 часов 30 минут."),
        ("12:00", "", "аспирин", "unknown medicine 'аспирин'", "Я не знаю лекарства «аспирин»."),
        ("half past", "чай", "", "cannot read the time 'half past'", "Я не понял время."),
        ("25:00", "чай", "", "cannot read the time", "Я не понял время."),
        ("12:00", " ", "", "nothing to remind of", "Я не понял, о чём напомнить."),
    ],
)
def test_voice_create_refusals_are_clear(
    robot: Robot, case: tuple[str, str, str, str, str]
) -> None:
    when, what, medicine, refusal, spoken = case
    [say] = robot.engine.create(when, what, medicine)
    assert isinstance(say, Say) and refusal in say.refusal and say.text.startswith(spoken)
    assert robot.store.voice_reminders() == []


def test_upcoming_lists_the_next_reminders_in_words(tmp_path: Path) -> None:
    robot = Robot(tmp_path / "r.db", ManualClock(local(7, 0)), ReminderParams(lang="en"))
    robot.engine.load(SCHEDULE)
    [say] = robot.engine.say_upcoming()
    assert isinstance(say, Say)
    assert say.text == (
        "Your reminders: today at 8 o'clock in the morning, эналаприл, одна таблетка; "
        "tomorrow at 8 o'clock in the morning, эналаприл, одна таблетка; "
        "on 7 January at 8 o'clock in the morning, эналаприл, одна таблетка."
    )
    [none] = robot.engine.say_upcoming(frozenset({"appointment"}))
    assert isinstance(none, Say) and none.text == "You have no appointments coming up."


def test_params_refuse_bad_quiet_hours() -> None:
    with pytest.raises(ValueError, match="expected a local time HH:MM, got '25:00'"):
        ReminderParams(quiet_hours_start="25:00")


def test_next_wakeup_points_at_the_next_announcement(robot: Robot) -> None:
    assert robot.engine.next_wakeup() == local(8, 0).timestamp()
    assert datetime.fromtimestamp(robot.engine.next_wakeup() or 0, UTC) == local(8, 0)


def test_a_simulation_driven_by_next_wakeup_always_moves_forward(tmp_path: Path) -> None:
    # Regression: a wake-up exactly at the expansion point once returned the same time forever.
    clock = ManualClock(local(7, 0))
    origin = clock.now().timestamp()
    engine = ReminderEngine(ReminderParams(), clock, SqliteReminderStore(tmp_path / "r.db"))
    engine.load(SCHEDULE)
    announced = 0
    for _ in range(200):
        wakeup = engine.next_wakeup()
        assert wakeup is not None and wakeup >= clock.now().timestamp()
        if wakeup > local(8, 1, day=12).timestamp():
            break
        clock.advance_to(wakeup - origin)
        for action in engine.tick():
            if isinstance(action, Announce):
                announced += 1
                engine.ack()
    else:
        pytest.fail("next_wakeup did not reach a week ahead in 200 steps")
    assert announced == 8  # 5 January to 12 January, 8:00 each day


def test_outcome_events_built_on_the_fast_path_equal_validated_ones(robot: Robot) -> None:
    robot.run_until(local(8, 0))
    [taken] = of(RecordOutcome, robot.engine.ack())
    validated = type(taken.event).model_validate(taken.event.model_dump())
    assert taken.event == validated
    assert validated.model_dump_json() == taken.event.model_dump_json()
