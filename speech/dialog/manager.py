"""The dialog manager: what the resident said -> intents for the other nodes, and the robot's
own short answers.

A plain core on the `Clock`: the node feeds it what was heard, what the robot
is saying (every `/speech/say`, whoever asked) and which reminder is due, and
performs the actions it returns.

Turn-taking rules:

- **Urgent floor.** When anyone says something urgent (the guardian asking
  "do you need help?"), the guardian has the floor: every intent goes to it
  unchanged, and the dialog neither re-asks nor answers on its own (the
  guardian repeats its own question on "repeat").
- **Call floor.** While a video call shares the camera, the resident talks to a
  person, not to the robot: only `call.end` and `help.emergency` go on; the
  dialog neither answers, re-asks nor asks to confirm anything (the urgent
  floor still comes first).
- **Answer floor.** A question marked `expects_answer` (an interview's) gets
  the next utterance as an intent, unchanged, whatever it is ("1950",
  "skip"); only "repeat" is still answered by the dialog.
- **Confirmations.** Intents that change state (`reminder.create`,
  `call.request`) are held and published only after a "yes"; missing slots
  are asked for first. "help" is never held. (`appointment.book` goes on at
  once: the appointments node asks about the concrete time it offers.)
- **Reminder context.** Right after a reminder is announced, a plain "yes"
  means "I took it" and becomes `reminder.ack` for that occurrence.
- **Repeat.** "What?" says the robot's last utterance again, slower.
- **Re-asks.** An unrecognised utterance gets a gentle re-ask with an example,
  never more than `max_reasks` in a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import IntEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from homecare.clock import Clock
from speech.dialog.phrases import ROLE_NAMES, SUPPORTED_LANGUAGES, Line, line
from speech.dialog.spoken_time import say_clock_time, say_date

# What still goes on while the resident talks to a specialist in a video call.
DURING_A_CALL = frozenset({"call.end", "help.emergency"})
# appointment.book is not here: the appointments node confirms the concrete time it offers.
CONFIRMED_INTENTS = ("reminder.create", "call.request")
CONFIRM_LINES = {
    "reminder.create": Line.CONFIRM_REMINDER,
    "call.request": Line.CONFIRM_CALL,
}


class Priority(IntEnum):
    """The SayRequest priorities (SayRequest.msg)."""

    CHAT = 0
    NORMAL = 1
    REMINDER = 2
    URGENT = 3


class ParseResult(Protocol):
    """What the dialog needs of an NLU result (`speech.nlu.ParsedIntent` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def slots(self) -> Mapping[str, object]: ...

    @property
    def confidence(self) -> float: ...


Parse = Callable[[str, str], ParseResult]
"""`parse(text, lang)` -> the intent (the node binds time and zone)."""

Examples = Callable[[str, str], str]
"""`example(lang, intent)` -> a short phrase to suggest on a re-ask."""

HandledElsewhere = Callable[[str, str], bool]
"""`handled(text, lang)`: an utterance no intent names but another node answers (a complaint)."""


class DialogParams(BaseModel):
    timezone: str = Field(default="Asia/Yekaterinburg", description="The home's IANA zone.")
    default_lang: str = Field(default="ru", pattern="^(ru|en)$")
    min_asr_confidence: float = Field(
        default=0.3, ge=0, le=1, description="Less sure recognitions are treated as not understood."
    )
    confirmation_timeout_s: float = Field(
        default=30.0, gt=0, description="An unanswered confirmation is dropped after this."
    )
    answer_floor_s: float = Field(
        default=60.0, gt=0, description="How long a question marked expects_answer waits."
    )
    urgent_floor_s: float = Field(
        default=90.0, gt=0, description="After an urgent utterance, the guardian has the floor."
    )
    reminder_context_s: float = Field(
        default=600.0, gt=0, description="After a reminder is announced, 'yes' acknowledges it."
    )
    max_reasks: int = Field(default=2, ge=0, le=5)
    reask_reset_s: float = Field(
        default=120.0, gt=0, description="Quiet this long, the re-ask count starts over."
    )
    repeat_rate_scale: float = Field(default=0.8, gt=0.3, le=1.0)
    reask_examples: tuple[str, ...] = ("time.now", "reminder.list", "help.emergency")
    # Every intent has a node now (call.request and call.end: the telepresence node).
    unsupported_intents: list[str] = Field(
        default_factory=list,
        description="Intents no node handles yet: the robot says so instead of going silent.",
    )


@dataclass(frozen=True)
class PublishIntent:
    name: str
    slots: dict[str, object]
    text: str
    lang: str
    confidence: float


@dataclass(frozen=True)
class Say:
    text: str
    lang: str
    priority: Priority = Priority.NORMAL
    rate_scale: float = 1.0


Action = PublishIntent | Say


@dataclass
class _Pending:
    """A state-changing intent waiting for its missing slot or the resident's yes."""

    name: str
    slots: dict[str, object]
    text: str
    lang: str
    confidence: float
    since: float
    missing: str = ""


@dataclass
class _ReminderContext:
    occurrence_id: str
    reminder_id: str
    until: float


@dataclass
class _LastSaid:
    text: str
    lang: str


@dataclass
class _Reasks:
    count: int = 0
    last_at: float = field(default=-1e18)


class DialogManager:
    def __init__(
        self,
        params: DialogParams,
        clock: Clock,
        parse: Parse,
        example: Examples,
        handled_elsewhere: HandledElsewhere | None = None,
    ) -> None:
        self.params = params
        self.clock = clock
        self._parse = parse
        self._example = example
        self._handled_elsewhere = handled_elsewhere or (lambda text, lang: False)
        self._zone = ZoneInfo(params.timezone)
        self._pending: _Pending | None = None
        self._reminder: _ReminderContext | None = None
        self._last_said: _LastSaid | None = None
        self._floor_until: float | None = None
        self._answer_until: float | None = None
        self._reasks = _Reasks()
        self._in_call = False

    # inputs

    def on_call(self, camera_shared: bool) -> None:
        """A video call started (the camera is shared) or ended."""
        self._in_call = camera_shared

    def on_heard(self, text: str, lang: str, asr_confidence: float = 1.0) -> list[Action]:
        """A final utterance from the ASR (or the simulator)."""
        lang = lang if lang in SUPPORTED_LANGUAGES else self.params.default_lang
        text = text.strip()
        if not text:
            return []
        result = self._parse(text, lang)
        name, confidence = result.name, float(result.confidence)
        slots = dict(result.slots)
        if asr_confidence < self.params.min_asr_confidence:
            name, slots, confidence = "unknown", {"guess": result.name}, min(confidence, 0.3)
        heard = PublishIntent(name, slots, text, lang, confidence)
        on_a_floor = self._on_a_floor(heard)
        if on_a_floor is not None:
            return on_a_floor
        if name != "unknown":
            self._reasks.count = 0
        if self._pending is not None:
            handled = self._answer_pending(heard)
            if handled is not None:
                return handled
        return self._dispatch(self._in_reminder_context(heard))

    def _on_a_floor(self, heard: PublishIntent) -> list[Action] | None:
        """What to do when someone else has the floor (None: nobody has it)."""
        if self.has_urgent_floor:
            return [heard]  # the guardian is asking: it gets every answer unchanged
        if self._in_call:
            return [heard] if heard.name in DURING_A_CALL else []
        if self._answer_until is not None and self.clock.monotonic() < self._answer_until:
            if heard.name == "repeat":
                return [heard, self._repeat(heard.lang)]
            self._answer_until = None  # one answer per question: the asker asks again
            return [heard]
        return None

    def on_said(self, text: str, lang: str, priority: int, *, expects_answer: bool = False) -> None:
        """Anything the robot is about to say (every /speech/say, whoever asked)."""
        if text.strip():
            self._last_said = _LastSaid(text, lang or self.params.default_lang)
        if expects_answer:
            self._answer_until = self.clock.monotonic() + self.params.answer_floor_s
        if priority >= Priority.URGENT:
            self._floor_until = self.clock.monotonic() + self.params.urgent_floor_s
        elif priority == Priority.NORMAL:
            self._floor_until = None  # the guardian closes a check with a normal sentence

    def on_reminder_due(self, occurrence_id: str, reminder_id: str) -> None:
        """A reminder was announced (or re-prompted): a 'yes' now means 'I took it'."""
        self._reminder = _ReminderContext(
            occurrence_id, reminder_id, self.clock.monotonic() + self.params.reminder_context_s
        )

    def on_reminder_closed(self, occurrence_id: str) -> None:
        if self._reminder is not None and self._reminder.occurrence_id == occurrence_id:
            self._reminder = None

    def tick(self) -> list[Action]:
        now = self.clock.monotonic()
        if self._pending and now - self._pending.since >= self.params.confirmation_timeout_s:
            self._pending = None  # the resident walked away: ask nothing more
        if self._reminder and now >= self._reminder.until:
            self._reminder = None
        if self._floor_until is not None and now >= self._floor_until:
            self._floor_until = None
        return []

    @property
    def has_urgent_floor(self) -> bool:
        return self._floor_until is not None and self.clock.monotonic() < self._floor_until

    @property
    def pending_intent(self) -> str | None:
        return self._pending.name if self._pending else None

    # dispatch

    def _dispatch(self, heard: PublishIntent) -> list[Action]:
        name, lang = heard.name, heard.lang
        if name == "unknown":
            if self._handled_elsewhere(heard.text, lang):
                return [heard]  # the node that answers it speaks; no "I did not understand"
            return [heard, *self._reask(lang)]
        if name in self.params.unsupported_intents:
            return [self._say(line(lang, Line.NOT_YET_SUPPORTED), lang)]
        if name in CONFIRMED_INTENTS:
            return self._hold(heard)
        answer = self._own_answer(name, lang)
        return [heard] if answer is None else [heard, answer]

    def _own_answer(self, name: str, lang: str) -> Say | None:
        """What the dialog answers itself (other intents are for other nodes)."""
        if name == "repeat":
            return self._repeat(lang)
        if name == "time.now":
            return self._say(line(lang, Line.TIME_NOW, time=self._spoken_time(lang)), lang)
        if name == "date.today":
            today = self.clock.now().astimezone(self._zone).date()
            return self._say(line(lang, Line.DATE_TODAY, date=say_date(today, lang)), lang)
        return None

    def _in_reminder_context(self, heard: PublishIntent) -> PublishIntent:
        context = self._reminder
        if context is None or self.clock.monotonic() >= context.until:
            return heard
        if heard.name in {"yes", "reminder.ack"}:
            self._reminder = None
            slots = heard.slots | {
                "occurrence_id": context.occurrence_id,
                "reminder_id": context.reminder_id,
            }
            return PublishIntent("reminder.ack", slots, heard.text, heard.lang, heard.confidence)
        if heard.name == "reminder.snooze":
            slots = heard.slots | {"occurrence_id": context.occurrence_id}
            return PublishIntent(heard.name, slots, heard.text, heard.lang, heard.confidence)
        return heard

    # confirmations

    def _hold(self, heard: PublishIntent) -> list[Action]:
        lang = heard.lang
        if heard.name == "reminder.create" and heard.slots.get("medicine_unknown"):
            medicine = str(heard.slots["medicine_unknown"])
            return [self._say(line(lang, Line.UNKNOWN_MEDICINE, medicine=medicine), lang)]
        pending = _Pending(
            heard.name, dict(heard.slots), heard.text, lang, heard.confidence,
            self.clock.monotonic(),
        )  # fmt: skip
        self._pending = pending
        return [self._next_question(pending)]

    def _next_question(self, pending: _Pending) -> Say:
        lang = pending.lang
        pending.missing = _missing_slot(pending)
        if pending.missing == "time":
            return self._say(line(lang, Line.ASK_TIME), lang)
        if pending.missing == "what":
            return self._say(line(lang, Line.ASK_WHAT), lang)
        return self._say(self._confirmation(pending), lang)

    def _confirmation(self, pending: _Pending) -> str:
        lang, slots = pending.lang, pending.slots
        which = CONFIRM_LINES[pending.name]
        if pending.name == "call.request":
            role = str(slots.get("role", ""))
            who = str(slots.get("person") or ROLE_NAMES.get(lang, {}).get(role, role))
            return line(lang, which, who=who or ROLE_NAMES[lang]["social_worker"])
        what = str(slots.get("medicine") or slots.get("what") or "")
        if pending.name == "reminder.create":
            what = _reminder_object(what, bool(slots.get("medicine")), lang)
            return line(lang, which, what=what, time=self._spoken_slot_time(slots, lang))
        return line(lang, which, what=what)

    def _answer_pending(self, heard: PublishIntent) -> list[Action] | None:
        """None when the utterance is not an answer to the pending question."""
        pending = self._pending
        assert pending is not None
        lang = pending.lang
        if heard.name in ("no", "cancel"):
            self._pending = None
            return [heard, self._say(line(lang, Line.CANCELLED), lang)]
        if heard.name == "repeat":
            return [heard, self._repeat(lang)]
        if pending.missing:
            return self._fill_slot(pending, heard)
        if heard.name == "yes":
            self._pending = None
            slots = pending.slots | {"confirmed": True}
            return [PublishIntent(pending.name, slots, pending.text, lang, pending.confidence)]
        if heard.name == "unknown":
            return [heard, *self._reask(lang, after_question=True)]
        self._pending = None  # something else entirely: the new request wins
        return None

    def _fill_slot(self, pending: _Pending, heard: PublishIntent) -> list[Action] | None:
        slot = pending.missing
        value = heard.slots.get(slot)
        if slot == "what":
            value = value or heard.slots.get("medicine")
            if value is None and heard.name == "unknown":
                value = heard.text  # "about the dentist": free text is the answer here
        if value in (None, ""):
            if heard.name == "unknown":
                return [heard, *self._reask(pending.lang, after_question=True)]
            self._pending = None
            return None
        pending.slots[slot] = value
        if slot == "what" and heard.slots.get("medicine"):
            pending.slots["medicine"] = heard.slots["medicine"]
        pending.since = self.clock.monotonic()
        return [self._next_question(pending)]

    # answers of the dialog itself

    def _reask(self, lang: str, *, after_question: bool = False) -> list[Action]:
        now = self.clock.monotonic()
        if now - self._reasks.last_at >= self.params.reask_reset_s:
            self._reasks.count = 0
        if self._reasks.count >= self.params.max_reasks:
            return []  # two re-asks in a row are enough: wait for the resident
        self._reasks.count += 1
        self._reasks.last_at = now
        if after_question and self._last_said is not None:
            return [self._repeat(lang)]
        examples = self.params.reask_examples
        example = self._example(lang, examples[(self._reasks.count - 1) % len(examples)])
        which = Line.NOT_UNDERSTOOD if self._reasks.count == 1 else Line.NOT_UNDERSTOOD_AGAIN
        return [self._say(line(lang, which, example=example), lang)]

    def _repeat(self, lang: str) -> Say:
        last = self._last_said
        if last is None:
            return self._say(line(lang, Line.NOTHING_TO_REPEAT), lang)
        return Say(last.text, last.lang, Priority.NORMAL, self.params.repeat_rate_scale)

    def _say(self, text: str, lang: str) -> Say:
        return Say(text, lang, Priority.NORMAL)

    def _spoken_time(self, lang: str) -> str:
        return say_clock_time(self.clock.now().astimezone(self._zone), lang)

    def _spoken_slot_time(self, slots: Mapping[str, object], lang: str) -> str:
        value = str(slots.get("time", ""))
        try:
            clock_time = time.fromisoformat(value)
        except ValueError:
            return value
        return say_clock_time(datetime.combine(datetime(2000, 1, 1), clock_time), lang)


def _missing_slot(pending: _Pending) -> str:
    if pending.name != "reminder.create":
        return ""
    if not pending.slots.get("time"):
        return "time"
    if not (pending.slots.get("what") or pending.slots.get("medicine")):
        return "what"
    return ""


def _reminder_object(what: str, is_medicine: bool, lang: str) -> str:
    if not is_medicine:
        return what
    return f"принять {what}" if lang == "ru" else f"take {what}"
