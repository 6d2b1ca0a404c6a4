"""The guardian: after a fall (or a call for help) ask the resident, then alert a human.

Pure core on the injected `Clock`: fed fall events, intents and the fleet link's
state, it returns actions (`Say`, `RaiseAlert`, `LogFalseAlarm`); the node turns
them into messages. States:

- idle: nothing going on.
- armed: a `falling` event was seen; a `down` (or no `recovered` within
  `falling_grace_s`) starts the check.
- watching: the person is down but nobody is being asked (an unsure `down`,
  or "I'm fine" said from the floor); `inactivity_after_down_s` without a
  `recovered` event or speech starts the check.
- asking: "Do you need help?" was asked; "no"/"I'm fine" cancels (a false
  alarm, logged for tuning), "yes"/"help" or silence for the confirmation
  window raises a critical alert. The question is asked again halfway.
- alert_raised: help was called; the resident hears so, and hears it again
  every `reassure_every_s`, including whether the fleet got the alert.

One alert per episode: once an alert is raised, fall events are ignored until
a `recovered` event or `same_episode_s` has passed.

The home's devices add two inputs: an SOS button press (`on_sos_button`) calls
for help at once, like "help!" (a second press in the same episode only
reassures); a check-in (`on_check_in`, from the home_watch behaviours: night bed
exit, daytime inactivity, night door) asks its own question, and "help" or
silence raises a `no_response` alert with the check-in's trigger and details.
A check-in is ignored while an episode runs (the resident is being looked after).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from homecare.clock import Clock
from robot.safety.alert_delivery import AlertDelivery
from robot.safety.guardian_phrases import SUPPORTED_LANGUAGES, Phrase, phrase

CRITICAL = "critical"
# Intent names from the dialog (a contract, see speech/ and DESIGN.md).
ASKS_FOR_HELP = frozenset({"help.emergency", "status.not_ok", "yes"})
SAYS_FINE = frozenset({"status.ok", "no", "cancel"})
REPEAT = "repeat"
HEARD_LIMIT = 20  # intent names kept in an alert's details


class GuardianParams(BaseModel):
    confirmation_window_s: float = Field(
        default=30.0, gt=0, description="How long to wait for an answer before alerting."
    )
    inactivity_after_down_s: float = Field(
        default=60.0, gt=0, description="Down without recovery or speech this long: ask."
    )
    falling_grace_s: float = Field(
        default=5.0, gt=0, description="A `falling` not followed by `recovered` this soon: ask."
    )
    min_fall_confidence: float = Field(
        default=0.5, ge=0, le=1, description="Less sure fall events only start the watch."
    )
    min_answer_confidence: float = Field(
        default=0.5, ge=0, le=1, description="A less sure 'I'm fine' does not cancel a check."
    )
    reassure_every_s: float = Field(default=60.0, gt=0)
    delivery_grace_s: float = Field(
        default=15.0, gt=0, description="Alert not delivered this long: tell the resident."
    )
    stay_with_resident_s: float = Field(
        default=300.0, ge=0, description="Keep reassuring at least this long after an alert."
    )
    same_episode_s: float = Field(
        default=900.0, gt=0, description="Fall events this soon after an alert are one episode."
    )
    lang: str = "ru"


class GuardianState(StrEnum):
    IDLE = "idle"
    ARMED = "armed"
    WATCHING = "watching"
    ASKING = "asking"
    ALERT_RAISED = "alert_raised"


class Trigger(StrEnum):
    """What started an episode (goes into alert and false-alarm details)."""

    FALL_DOWN = "fall_down"
    FALLING_NO_RECOVERY = "falling_no_recovery"
    INACTIVITY = "inactivity_after_down"
    SOS = "sos_intent"
    SOS_BUTTON = "sos_button"
    # Check-ins from the home's devices (CheckIn.msg triggers).
    NIGHT_BED_EXIT = "night_bed_exit"
    DAYTIME_INACTIVITY = "inactivity"
    NIGHT_DOOR = "night_door"


class Answer(StrEnum):
    """What an answer to the current question means."""

    HELP = "help"
    FINE = "fine"
    UNCLEAR = "unclear"  # "yes" to "Are you all right? Do you need help?"


@dataclass(frozen=True)
class CheckInQuestion:
    question: Phrase
    yes_means: Answer  # "Are you all right?": yes is fine; "Do you need help?": yes is help


CHECK_INS: dict[Trigger, CheckInQuestion] = {
    Trigger.NIGHT_BED_EXIT: CheckInQuestion(Phrase.ASK_NIGHT_BED_EXIT, Answer.FINE),
    Trigger.DAYTIME_INACTIVITY: CheckInQuestion(Phrase.ASK_DAYTIME_INACTIVITY, Answer.FINE),
    Trigger.NIGHT_DOOR: CheckInQuestion(Phrase.ASK_NIGHT_DOOR, Answer.UNCLEAR),
}
CHECK_IN_TRIGGERS = frozenset(trigger.value for trigger in CHECK_INS)


@dataclass(frozen=True)
class Say:
    text: str
    lang: str
    urgent: bool = True


@dataclass(frozen=True)
class RaiseAlert:
    kind: str
    severity: str
    details: dict[str, object]


@dataclass(frozen=True)
class LogFalseAlarm:
    details: dict[str, object]


Action = Say | RaiseAlert | LogFalseAlarm


@dataclass
class Episode:
    trigger: Trigger
    confidence: float
    started_at: float
    detected_at: datetime | None = None
    heard: list[str] = field(default_factory=list)
    recovered_seen: bool = False
    asked_again: bool = False
    # What the devices saw (device, room, minutes, ...): goes into the alert's details.
    seen: dict[str, object] = field(default_factory=dict)
    yes_means: Answer = Answer.HELP

    def details(self, now: float) -> dict[str, object]:
        details: dict[str, object] = {
            **self.seen,
            "trigger": self.trigger.value,
            "confidence": round(self.confidence, 3),
            "waited_s": round(now - self.started_at, 1),
            "heard": self.heard[:HEARD_LIMIT],
            "recovered_seen": self.recovered_seen,
            "asked_again": self.asked_again,
        }
        if self.detected_at is not None:
            details["detected_at"] = self.detected_at.isoformat()
        return details


class Guardian:
    def __init__(self, params: GuardianParams, clock: Clock) -> None:
        self.params = params
        self.clock = clock
        self.lang = params.lang
        self.state = GuardianState.IDLE
        self.episode: Episode | None = None
        self.delivery = AlertDelivery(params.delivery_grace_s)
        self.person_down = False
        self._state_since = 0.0
        self._armed_confidence = 0.0
        self._watch_after_false_alarm = False
        self._watch_used = False
        self._last_activity = 0.0
        self._same_episode_until: float | None = None
        self._next_reassurance = 0.0
        self._last_said: Say | None = None

    # inputs

    def on_fall(self, phase: str, confidence: float, at: datetime | None = None) -> list[Action]:
        """A FallEvent: `phase` is falling, down or recovered; `at` is the frame's time."""
        if phase == "recovered":
            return self._on_recovered()
        busy = self.state in (GuardianState.ASKING, GuardianState.ALERT_RAISED)
        if busy or self._in_same_episode():
            return []  # one episode at a time, one alert per episode
        if phase == "falling":
            return self._on_falling(confidence)
        if phase == "down":
            return self._on_down(confidence, at)
        return []

    def on_intent(
        self, name: str, slots: dict[str, object], text: str, lang: str, confidence: float = 1.0
    ) -> list[Action]:
        """An intent from the dialog; only the name (never the text) reaches alerts and logs."""
        if lang in SUPPORTED_LANGUAGES:
            self.lang = lang  # answer in the language the resident speaks now
        if self.episode is not None and self.state in (
            GuardianState.ASKING,
            GuardianState.ALERT_RAISED,
        ):
            self.episode.heard.append(name)
        if self.state is GuardianState.ASKING:
            return self._answer_while_asking(name, confidence)
        if self.state is GuardianState.ALERT_RAISED:
            return self._answer_after_alert(name)
        if self.state is GuardianState.WATCHING:
            self._last_activity = self._now()  # speech counts as a sign of life
        if name == "help.emergency":
            return self._sos()
        return []

    def on_sos_button(self, device: str, room: str) -> list[Action]:
        """An SOS button was pressed: help at once, one alert per episode."""
        if self.state is GuardianState.ASKING and self.episode is not None:
            # Pressed while being asked: that is the answer.
            self.episode.seen["sos_button"] = device
            return self._raise("sos")
        if self.state is GuardianState.ALERT_RAISED or self._in_same_episode():
            return [self._say(Phrase.HELP_ALREADY_CALLED)]
        seen: dict[str, object] = {"device": device, "room": room}
        self.episode = Episode(Trigger.SOS_BUTTON, 1.0, self._now(), seen=seen)
        return self._raise("sos", Phrase.BUTTON_HELP_CALLED)

    def on_check_in(self, trigger: str, details: Mapping[str, object]) -> list[Action]:
        """A behaviour asks to check on the resident; `trigger` is one of CHECK_IN_TRIGGERS."""
        if trigger not in CHECK_IN_TRIGGERS:
            raise ValueError(f"unknown check-in trigger {trigger!r}")
        if self.busy:
            return []
        return self._start_check(Trigger(trigger), 1.0, None, dict(details))

    @property
    def busy(self) -> bool:
        """An episode is running (a fall being watched or checked, help called)."""
        return self.state is not GuardianState.IDLE or self._in_same_episode()

    def on_fleet_link(self, connected: bool, pending_alerts: int) -> list[Action]:
        """The fleet link's latest state (from /fleet/link)."""
        news = self.delivery.on_link_state(connected, pending_alerts)
        if self.state is not GuardianState.ALERT_RAISED:
            return []
        return self._delivery_news(news)

    def tick(self) -> list[Action]:
        """Called periodically: the deadlines (falling grace, inactivity, answer, reassurance)."""
        now = self._now()
        if self._same_episode_until is not None and now >= self._same_episode_until:
            self._same_episode_until = None
        elapsed = now - self._state_since
        if self.state is GuardianState.ARMED and elapsed >= self.params.falling_grace_s:
            return self._start_check(Trigger.FALLING_NO_RECOVERY, self._armed_confidence, None)
        inactive = now - self._last_activity >= self.params.inactivity_after_down_s
        if self.state is GuardianState.WATCHING and inactive:
            self._watch_used = True
            return self._start_check(Trigger.INACTIVITY, self._armed_confidence, None)
        if self.state is GuardianState.ASKING:
            return self._tick_asking(elapsed)
        if self.state is GuardianState.ALERT_RAISED:
            return self._tick_alert_raised(now, elapsed)
        return []

    # fall events

    def _on_recovered(self) -> list[Action]:
        self.person_down = False
        self._watch_used = False
        self._same_episode_until = None  # a new fall after getting up is a new episode
        if self.episode is not None and self.state in (
            GuardianState.ASKING,
            GuardianState.ALERT_RAISED,
        ):
            # Getting up does not cancel a check: the person may still be hurt.
            self.episode.recovered_seen = True
        elif self.state in (GuardianState.ARMED, GuardianState.WATCHING):
            self._enter(GuardianState.IDLE)
        return []

    def _on_falling(self, confidence: float) -> list[Action]:
        if confidence < self.params.min_fall_confidence or self.state is GuardianState.ARMED:
            return []
        self._armed_confidence = confidence
        self._enter(GuardianState.ARMED)
        return []

    def _on_down(self, confidence: float, at: datetime | None) -> list[Action]:
        self.person_down = True
        if self.state is GuardianState.ARMED:
            confidence = max(confidence, self._armed_confidence)  # the fall itself was seen
        if confidence >= self.params.min_fall_confidence:
            if self.state is GuardianState.WATCHING and self._watch_after_false_alarm:
                return []  # the same episode the resident already said was fine
            return self._start_check(Trigger.FALL_DOWN, confidence, at)
        if self.state is not GuardianState.WATCHING:
            self._watch(confidence, after_false_alarm=False)
        return []

    # the check

    def _start_check(
        self,
        trigger: Trigger,
        confidence: float,
        at: datetime | None,
        seen: dict[str, object] | None = None,
    ) -> list[Action]:
        self.episode = Episode(trigger, confidence, self._now(), detected_at=at, seen=seen or {})
        self._enter(GuardianState.ASKING)
        check_in = CHECK_INS.get(trigger)
        if check_in is not None:
            self.episode.yes_means = check_in.yes_means
            return [self._say(check_in.question)]
        question = (
            Phrase.ASK_AFTER_INACTIVITY if trigger is Trigger.INACTIVITY else Phrase.ASK_AFTER_FALL
        )
        return [self._say(question)]

    def _tick_asking(self, elapsed: float) -> list[Action]:
        assert self.episode is not None
        window = self.params.confirmation_window_s
        if elapsed >= window:
            return self._raise("no_response")
        if not self.episode.asked_again and elapsed >= window / 2:
            # Older listeners often miss the first question: ask once more, simpler.
            self.episode.asked_again = True
            return [self._ask_again()]
        return []

    def _answer_while_asking(self, name: str, confidence: float) -> list[Action]:
        answer = self._meaning(name)
        if answer is Answer.HELP:
            return self._raise(self._help_alert_kind())
        if answer is Answer.FINE and confidence >= self.params.min_answer_confidence:
            return self._false_alarm(name)
        if answer is Answer.UNCLEAR or name == REPEAT:
            return [self._ask_again()]
        return []  # unclear: the window keeps running, silence still alerts

    def _meaning(self, name: str) -> Answer | None:
        """What `name` answers to the question asked last (None: not an answer)."""
        assert self.episode is not None
        if name in ("yes", "no"):
            yes_means = self.episode.yes_means
            if yes_means is Answer.UNCLEAR or name == "yes":
                return yes_means
            return Answer.FINE if yes_means is Answer.HELP else Answer.HELP
        if name in ASKS_FOR_HELP:
            return Answer.HELP
        if name in SAYS_FINE:
            return Answer.FINE
        return None

    def _ask_again(self) -> Say:
        # ASK_AGAIN is "Do you need help?": from now on "yes" means help.
        assert self.episode is not None
        self.episode.yes_means = Answer.HELP
        return self._say(Phrase.ASK_AGAIN)

    def _help_alert_kind(self) -> str:
        assert self.episode is not None
        return "no_response" if self.episode.trigger in CHECK_INS else "fall"

    def _false_alarm(self, answer: str) -> list[Action]:
        assert self.episode is not None
        details = self.episode.details(self._now()) | {"answer": answer}
        checked_in = self.episode.trigger in CHECK_INS
        self.episode = None
        if self.person_down and not self._watch_used and not checked_in:
            # "I'm fine" from the floor: still check once more if nothing moves.
            self._watch(self._armed_confidence, after_false_alarm=True)
        else:
            self._enter(GuardianState.IDLE)
        return [self._say(Phrase.GLAD_YOU_ARE_FINE, urgent=False), LogFalseAlarm(details)]

    def _watch(self, confidence: float, *, after_false_alarm: bool) -> None:
        self._armed_confidence = confidence
        self._watch_after_false_alarm = after_false_alarm
        self._last_activity = self._now()
        self._enter(GuardianState.WATCHING)

    # alerts

    def _sos(self) -> list[Action]:
        if self._in_same_episode():
            return [self._say(Phrase.HELP_ALREADY_CALLED)]
        self.episode = Episode(Trigger.SOS, 1.0, self._now())
        self.episode.heard.append("help.emergency")
        return self._raise("sos")

    def _raise(self, kind: str, said: Phrase = Phrase.HELP_CALLED) -> list[Action]:
        assert self.episode is not None
        now = self._now()
        details = self.episode.details(now)
        self._enter(GuardianState.ALERT_RAISED)
        self._same_episode_until = now + self.params.same_episode_s
        self._next_reassurance = now + self.params.reassure_every_s
        self.delivery.alert_raised(now)
        return [RaiseAlert(kind, CRITICAL, details), self._say(said)]

    def _answer_after_alert(self, name: str) -> list[Action]:
        assert self.episode is not None
        if name in SAYS_FINE and self.episode.recovered_seen:
            # Up again and fine: stop talking; the alert stays with the humans.
            self.episode = None
            self._enter(GuardianState.IDLE)
            return [self._say(Phrase.FINE_BUT_HELP_COMING)]
        if name == REPEAT and self._last_said is not None:
            return [self._last_said]
        return [self._say(Phrase.HELP_ALREADY_CALLED)]

    def _tick_alert_raised(self, now: float, elapsed: float) -> list[Action]:
        actions = self._delivery_news(self.delivery.on_tick(now))
        if self.delivery.delivered and elapsed >= self.params.stay_with_resident_s:
            self.episode = None
            self._enter(GuardianState.IDLE)
            return actions
        if now >= self._next_reassurance:
            self._next_reassurance = now + self.params.reassure_every_s
            actions.append(self._say(self._reassurance()))
        return actions

    def _delivery_news(self, news: Phrase | None) -> list[Action]:
        if news is None:
            return []
        # Said now, so the periodic reassurance need not repeat it right away.
        self._next_reassurance = self._now() + self.params.reassure_every_s
        return [self._say(news)]

    def _reassurance(self) -> Phrase:
        if self.delivery.delivered:
            return Phrase.HELP_ALREADY_CALLED
        if self.delivery.unreachable:
            return Phrase.SERVICE_UNREACHABLE
        return Phrase.REASSURE

    # helpers

    def _in_same_episode(self) -> bool:
        return self._same_episode_until is not None and self._now() < self._same_episode_until

    def _enter(self, state: GuardianState) -> None:
        self.state = state
        self._state_since = self._now()

    def _say(self, key: Phrase, urgent: bool = True) -> Say:
        said = Say(phrase(key, self.lang), self.lang, urgent)
        self._last_said = said
        return said

    def _now(self) -> float:
        return self.clock.monotonic()
