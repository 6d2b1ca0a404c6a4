"""The visits conversation: booking a free slot, rating a visit, filing a complaint.

A plain core on the `Clock`. The node feeds it the fleet's cfg/appointments,
the resident's intents (with the words said) and a tick; it returns what to say
and which events to send to the fleet:

- **Booking** (`appointment.book`, confirmed by the dialog): the earliest free
  slot for the role asked, then "another time" offers the next, at most
  `max_offers`; "yes" sends `appointment.book` and remembers the slot as
  pending until a later cfg shows it booked (said once) or gone (said too).
  No free slot: `appointment.request` so the social worker calls.
- **Rating**: an appointment `done` and not rated, or `booked` and over by
  `rating_delay_min`, is asked about once, outside quiet hours and when nobody
  else has just asked the resident something: five 1-5 scores, each
  skippable, then a comment; `service.rating`. A score of 2 or less offers a
  complaint.
- **Complaint**: after a low rating or when the resident says "хочу
  пожаловаться" (an `unknown` intent to the NLU): the ground as a choice, the
  story in their words, read back, "yes" sends `complaint.filed`.

A silence past `answer_timeout_s` skips a question; `max_silences` in a row
end the conversation. `VisitsState` (asked ratings, pending bookings) is what
the node keeps on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError, field_validator

from benefits import answers
from benefits.actions import Action, Say, SendEvent
from benefits.visits import words
from benefits.visits.model import EMPTY, Appointment, AppointmentsConfig, FreeSlot
from benefits.visits.phrases import GROUND_WORDS, describe, phrase, pick, when, who
from homecare.clock import Clock

SCORES = ("time_to_service", "waiting_time", "courtesy", "comfort", "information")
LOW_SCORE = 2
# A booking answer this soon after the request is said even in quiet hours: they are awake.
FRESH_REQUEST = timedelta(minutes=30)
# Intents that are answers (or may carry one in their words) while a question is open.
ANSWER_INTENTS = frozenset({"unknown", "yes", "no", "cancel", "repeat", "status.ok"})
# Words in a slot's role or name that mean the role the NLU found ("doctor").
ROLE_STEMS: dict[str, tuple[str, ...]] = {
    "social_worker": ("social", "социальн", "соцработ", "соцзащит"),
    "doctor": ("doctor", "physician", "therapist", "gp", "врач", "доктор", "терапевт"),
    "nurse": ("nurse", "медсестр", "медбрат"),
    "caregiver": ("caregiver", "carer", "сиделк"),
}


class VisitsParams(BaseModel):
    lang: str = Field(default="ru", description="Language for the robot's own questions.")
    timezone: str = Field(default="Asia/Yekaterinburg", description="The home's IANA zone.")
    answer_timeout_s: float = Field(default=40.0, gt=0, description="Silence that skips.")
    max_silences: int = Field(default=2, ge=1, description="Silences in a row that end a talk.")
    max_offers: int = Field(default=3, ge=1, le=10, description="Free slots offered per request.")
    min_notice_min: float = Field(
        default=60.0, ge=0, description="Slots starting sooner than this are not offered."
    )
    rating_delay_min: float = Field(
        default=30.0, ge=0, description="After a booked visit's end, wait this long to ask."
    )
    rating_max_age_days: float = Field(
        default=7.0, gt=0, description="Visits that ended longer ago are not asked about."
    )
    quiet_hours_start: str = Field(default="21:00", description="Local HH:MM: no rating asks.")
    quiet_hours_end: str = Field(default="09:00", description="Local HH:MM.")
    floor_hold_s: float = Field(
        default=90.0, ge=0, description="After anyone else speaks, wait this long to ask."
    )
    rate_scale: float = Field(default=0.9, gt=0.3, le=1.0)

    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"expected HH:MM, got {value!r}") from error
        return value


@dataclass
class PendingBooking:
    slot: FreeSlot
    lang: str
    requested_at: datetime  # aware; a fresh request's answer may be said in quiet hours


@dataclass
class VisitsState:
    """What survives a restart: ratings already asked, bookings awaiting the fleet."""

    asked_ratings: set[str] = field(default_factory=set)
    pending: dict[str, PendingBooking] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {
            "asked_ratings": sorted(self.asked_ratings),
            "pending_bookings": [
                {
                    "slot": p.slot.model_dump(mode="json"),
                    "lang": p.lang,
                    "requested_at": p.requested_at.isoformat(),
                }
                for p in self.pending.values()
            ],
        }

    @classmethod
    def from_data(cls, data: object) -> VisitsState:
        """A state file's contents; what cannot be read is dropped (never a crash)."""
        state = cls()
        if not isinstance(data, dict):
            return state
        asked = data.get("asked_ratings")
        if isinstance(asked, list):
            state.asked_ratings = {item for item in asked if isinstance(item, str)}
        pending = data.get("pending_bookings")
        for item in pending if isinstance(pending, list) else []:
            try:
                slot = FreeSlot.model_validate(item["slot"])
                lang = "en" if item.get("lang") == "en" else "ru"
                requested_at = datetime.fromisoformat(item["requested_at"])
            except (ValidationError, KeyError, TypeError, AttributeError, ValueError):
                continue
            if requested_at.tzinfo is not None:
                state.pending[slot.slot_id] = PendingBooking(slot, lang, requested_at)
        return state


class Phase(Enum):
    IDLE = "idle"
    OFFER = "offer"
    SCORE = "score"
    COMMENT = "comment"
    COMPLAINT_OFFER = "complaint_offer"
    GROUND = "ground"
    STORY = "story"
    CONFIRM = "confirm"


@dataclass
class _Talk:
    lang: str
    deadline: float = 0.0
    silences: int = 0
    reasked: bool = False
    # booking
    request: str = ""
    candidates: list[FreeSlot] = field(default_factory=list)
    offered: int = 0
    # rating and complaint
    appointment_id: str | None = None
    question: int = 0
    scores: dict[str, int] = field(default_factory=dict)
    ground: str = ""
    story: str = ""


class VisitsConversation:
    def __init__(self, params: VisitsParams, clock: Clock, state: VisitsState | None = None):
        self.params = params
        self.clock = clock
        self.state = state or VisitsState()
        self.config: AppointmentsConfig = EMPTY
        self.phase = Phase.IDLE
        self._talk: _Talk | None = None
        # Said when the resident is free to listen: (what, may it be said in quiet hours).
        self._notices: list[tuple[Say, bool]] = []
        self._floor_free_at = 0.0
        self._quiet = (
            time.fromisoformat(params.quiet_hours_start),
            time.fromisoformat(params.quiet_hours_end),
        )

    @property
    def active(self) -> bool:
        return self.phase is not Phase.IDLE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone or self.params.timezone)

    # -- state from the fleet ------------------------------------------------------

    def set_config(self, config: AppointmentsConfig) -> list[Action]:
        """A new cfg/appointments: settle pending bookings (said once, now or when free)."""
        self.config = config
        known = {a.appointment_id for a in config.appointments}
        self.state.asked_ratings &= known  # the fleet dropped the others: nothing to remember
        for slot_id, pending in list(self.state.pending.items()):
            booked = config.booked_for(slot_id)
            if booked is not None:
                text = phrase("booked", pending.lang, visit=self._describe(booked, pending.lang))
            elif config.has_free(slot_id):
                continue  # the fleet has not handled the request yet
            else:
                local = pending.slot.starts_at.astimezone(self.zone)
                spoken = when(local, self.clock.now().astimezone(self.zone), pending.lang)
                text = phrase("not_booked", pending.lang, when=spoken)
            del self.state.pending[slot_id]
            fresh = self.clock.now() - pending.requested_at <= FRESH_REQUEST
            self._notices.append((self._say(text, pending.lang), fresh))
        return self._flush()

    def forget(self) -> None:
        """A wipe (the rental ended): forget everything about the resident."""
        self.config = EMPTY
        self.state = VisitsState()
        self._notices.clear()
        self._end()

    def interrupt(self) -> list[Action]:
        """Someone else has the floor (the guardian's urgent check): stop without a word."""
        partial = self._partial_rating()
        self._end()
        return partial

    def floor_taken(self) -> None:
        """Someone else spoke to the resident: do not start a question of our own for a while."""
        self._floor_free_at = self.clock.monotonic() + self.params.floor_hold_s

    # -- inputs --------------------------------------------------------------------

    def book(self, slots: dict[str, object], text: str, lang: str) -> list[Action]:
        """`appointment.book` (confirmed by the dialog): offer the earliest fitting free slot."""
        lang = _lang(lang)
        role = slots.get("role")
        what = slots.get("what")
        partial = self._partial_rating()  # a new request ends a rating: keep its scores
        self._end()
        talk = self._talk = _Talk(lang, request=str(text or what or "").strip())
        talk.candidates = self._free_slots(
            role if isinstance(role, str) else "", what if isinstance(what, str) else ""
        )
        if not talk.candidates:
            return [*partial, *self._no_slots("no_slots")]
        self.phase = Phase.OFFER
        return [*partial, self._offer("offer")]

    def on_intent(self, name: str, slots: dict[str, object], text: str, lang: str) -> list[Action]:
        """Anything the resident said; most of it matters only while a question is open."""
        # While a question is open, only a confirmed request is one: an unconfirmed
        # `appointment.book` is the answer passed on unchanged ("мне отказали в записи").
        if name == "appointment.book" and (slots.get("confirmed") or not self.active):
            return self.book(slots, text, lang)
        if not self.active:
            if name == "unknown" and words.wants_to_complain(text, lang):
                return self.start_complaint(lang, None)
            return []
        return self._answer(name, text)

    def start_complaint(self, lang: str, appointment_id: str | None) -> list[Action]:
        talk = self._talk = _Talk(_lang(lang), appointment_id=appointment_id)
        self.phase = Phase.GROUND
        return [self._ask("ground", talk)]

    def tick(self) -> list[Action]:
        talk = self._talk
        if talk is not None and self.active and self.clock.monotonic() >= talk.deadline:
            return self._silence(talk)
        if not self.active:
            return self._flush() or self._maybe_ask_rating()
        return []

    # -- answers -------------------------------------------------------------------

    def _answer(self, name: str, text: str) -> list[Action]:  # noqa: PLR0911
        talk = self._talk
        assert talk is not None
        if name == "repeat":
            talk.deadline = self._deadline()  # the dialog repeats the question
            return []
        if name == "help.emergency":
            self._end()  # the guardian takes over
            return []
        if name == "cancel" and not answers.is_skip(text, talk.lang):
            partial = self._partial_rating()
            self._end()
            return [*partial, self._say(phrase("cancelled", talk.lang), talk.lang)]
        talk.silences = 0
        if self.phase is Phase.OFFER:
            return self._on_offer(talk, name, text)
        if self.phase is Phase.SCORE:
            return self._on_score(talk, name, text)
        if self.phase is Phase.COMMENT:
            comment = "" if name == "no" or words.nothing_to_add(text, talk.lang) else text
            return self._send_rating(talk, comment.strip())
        if self.phase is Phase.COMPLAINT_OFFER:
            return self._on_complaint_offer(talk, self._yes_no(talk, name, text))
        if self.phase is Phase.GROUND:
            return self._on_ground(talk, name, text)
        if self.phase is Phase.STORY:
            story = "" if answers.is_skip(text, talk.lang) else text.strip()
            return self._readback(talk, story)
        return self._on_confirm(talk, self._yes_no(talk, name, text))

    def _silence(self, talk: _Talk) -> list[Action]:  # noqa: PLR0911
        talk.silences += 1
        if talk.silences >= self.params.max_silences:
            partial = self._partial_rating()
            self._end()  # the resident has gone: stop without more talk
            return partial
        skipped = self._say(phrase("skipped", talk.lang), talk.lang)
        if self.phase is Phase.OFFER:
            return self._declined(talk)
        if self.phase is Phase.SCORE:
            return [skipped, *self._next_score(talk)]
        if self.phase is Phase.COMMENT:
            return self._send_rating(talk, "")
        if self.phase is Phase.COMPLAINT_OFFER:
            return self._on_complaint_offer(talk, False)
        if self.phase is Phase.GROUND:
            talk.ground = "other"
            return [skipped, self._ask("story", talk, Phase.STORY)]
        if self.phase is Phase.STORY:
            return self._readback(talk, "")
        return self._on_confirm(talk, False)

    # -- booking -------------------------------------------------------------------

    def _free_slots(self, role: str, what: str) -> list[FreeSlot]:
        earliest = self.clock.now() + timedelta(minutes=self.params.min_notice_min)
        slots = sorted(
            (
                slot
                for slot in self.config.free_slots
                if slot.starts_at >= earliest and slot.slot_id not in self.state.pending
            ),
            key=lambda slot: slot.starts_at,
        )
        if role:
            return [slot for slot in slots if _has_role(slot, role)]
        fitting = [slot for slot in slots if _fits_words(slot, what)] if what else []
        return fitting or slots  # words that match nobody ("на приём") mean any slot

    def _offer(self, key: str) -> Say:
        talk = self._talk
        assert talk is not None
        slot = talk.candidates[talk.offered]
        talk.offered += 1
        talk.reasked = False
        text = phrase(key, talk.lang, visit=self._describe(slot, talk.lang))
        return self._ask_text(text, talk)

    def _on_offer(self, talk: _Talk, name: str, text: str) -> list[Action]:
        if words.wants_other_time(text, talk.lang):
            if talk.offered < min(self.params.max_offers, len(talk.candidates)):
                return [self._offer("offer_next")]
            return self._no_slots("no_more_slots")
        yes = self._yes_no(talk, name, text)
        if yes:
            slot = talk.candidates[talk.offered - 1]
            self.state.pending[slot.slot_id] = PendingBooking(slot, talk.lang, self.clock.now())
            self._end()
            return [
                SendEvent("appointment.book", {"slot_id": slot.slot_id}),
                self._say(phrase("booking_sent", talk.lang), talk.lang),
            ]
        if yes is None and name in ANSWER_INTENTS and not talk.reasked:
            talk.reasked = True
            return [self._ask_text(phrase("reask_offer", talk.lang), talk)]
        return self._declined(talk)

    def _declined(self, talk: _Talk) -> list[Action]:
        self._end()
        return [self._say(phrase("booking_declined", talk.lang), talk.lang)]

    def _no_slots(self, key: str) -> list[Action]:
        talk = self._talk
        assert talk is not None
        self._end()
        request: dict[str, object] = {"agency_id": "", "measure_ids": [], "note": talk.request}
        return [
            SendEvent("appointment.request", request),
            self._say(phrase(key, talk.lang), talk.lang),
        ]

    # -- rating --------------------------------------------------------------------

    def _maybe_ask_rating(self) -> list[Action]:
        if self._floor_held() or self._is_quiet():
            return []
        visit = self._rating_due()
        if visit is None:
            return []
        self.state.asked_ratings.add(visit.appointment_id)  # asked once, answered or not
        lang = _lang(self.params.lang)
        talk = self._talk = _Talk(lang, appointment_id=visit.appointment_id)
        self.phase = Phase.SCORE
        local = visit.starts_at.astimezone(self.zone)
        spoken = when(local, self.clock.now().astimezone(self.zone), lang)
        key = "rating_intro_video" if visit.mode == "video" else "rating_intro"
        intro = phrase(key, lang, who=who(visit, lang), when=spoken)
        return [self._say(intro, lang), self._ask(SCORES[0], talk)]

    def _rating_due(self) -> Appointment | None:
        now = self.clock.now()
        delay = timedelta(minutes=self.params.rating_delay_min)
        oldest = now - timedelta(days=self.params.rating_max_age_days)
        for visit in sorted(self.config.appointments, key=lambda a: a.ends_at):
            if visit.rated or visit.appointment_id in self.state.asked_ratings:
                continue
            if visit.ends_at < oldest:
                continue
            if visit.status == "done" and visit.starts_at <= now:
                return visit
            if visit.status == "booked" and visit.ends_at + delay <= now:
                return visit
        return None

    def _is_quiet(self) -> bool:
        start, end = self._quiet
        if start == end:
            return False
        clock = self.clock.now().astimezone(self.zone).time()
        return start <= clock < end if start < end else clock >= start or clock < end

    def _on_score(self, talk: _Talk, name: str, text: str) -> list[Action]:
        skipped = self._say(phrase("skipped", talk.lang), talk.lang)
        if answers.is_skip(text, talk.lang):
            return [skipped, *self._next_score(talk)]
        value = words.score(text, talk.lang)
        if value is not None:
            talk.scores[SCORES[talk.question]] = value
            return self._next_score(talk)
        if name not in ANSWER_INTENTS:
            partial = self._partial_rating()
            self._end()  # another request: the resident has moved on
            return partial
        if talk.reasked or name == "no":
            return [skipped, *self._next_score(talk)]
        talk.reasked = True
        return [self._ask_text(phrase("reask_score", talk.lang), talk)]

    def _next_score(self, talk: _Talk) -> list[Action]:
        talk.question += 1
        if talk.question < len(SCORES):
            return [self._ask(SCORES[talk.question], talk)]
        return [self._ask("comment", talk, Phase.COMMENT)]

    def _send_rating(self, talk: _Talk, comment: str) -> list[Action]:
        lang = talk.lang
        if not talk.scores and not comment:
            self._end()
            return [self._say(phrase("rating_empty", lang), lang)]
        out: list[Action] = [self._rating_event(talk, comment)]
        out.append(self._say(phrase("rating_sent", lang), lang))
        if any(value <= LOW_SCORE for value in talk.scores.values()):
            talk.scores = {}  # sent: an interruption from here on sends nothing more
            return [*out, self._ask("offer_complaint", talk, Phase.COMPLAINT_OFFER)]
        self._end()
        return out

    def _rating_event(self, talk: _Talk, comment: str) -> SendEvent:
        fields: dict[str, object] = {
            "appointment_id": talk.appointment_id,
            "scores": dict(talk.scores),
            "comment": comment,
        }
        return SendEvent("service.rating", fields)

    def _partial_rating(self) -> list[Action]:
        """Scores already given when a rating stops early are the resident's: send them."""
        talk = self._talk
        if talk is None or self.phase not in (Phase.SCORE, Phase.COMMENT) or not talk.scores:
            return []
        return [self._rating_event(talk, "")]

    # -- complaint -----------------------------------------------------------------

    def _on_complaint_offer(self, talk: _Talk, yes: bool | None) -> list[Action]:
        if yes is None and not talk.reasked:
            talk.reasked = True
            return [self._ask_text(phrase("reask_yes_no", talk.lang), talk)]
        if yes:
            return self.start_complaint(talk.lang, talk.appointment_id)
        self._end()
        return [self._say(phrase("rating_empty", talk.lang), talk.lang)]

    def _on_ground(self, talk: _Talk, name: str, text: str) -> list[Action]:
        if name == "no":
            self._end()
            return [self._say(phrase("cancelled", talk.lang), talk.lang)]
        found = words.ground(text, talk.lang)
        if found is None and not talk.reasked:
            talk.reasked = True
            return [self._ask_text(phrase("reask_ground", talk.lang), talk)]
        talk.ground = found or "other"
        return [self._ask("story", talk, Phase.STORY)]

    def _readback(self, talk: _Talk, story: str) -> list[Action]:
        talk.story = story
        lang = talk.lang
        said = phrase("your_words", lang, text=story) if story else phrase("no_words", lang)
        ground = pick(GROUND_WORDS[talk.ground], lang)
        text = phrase("readback", lang, ground=ground, story=said.rstrip("."))
        self.phase = Phase.CONFIRM
        talk.reasked = False
        return [self._ask_text(text, talk)]

    def _on_confirm(self, talk: _Talk, yes: bool | None) -> list[Action]:
        lang = talk.lang
        if yes is None and not talk.reasked:
            talk.reasked = True
            return [self._ask_text(phrase("reask_yes_no", lang), talk)]
        self._end()
        if not yes:
            return [self._say(phrase("complaint_not_sent", lang), lang)]
        fields: dict[str, object] = {
            "ground": talk.ground,
            "text": talk.story,
            "appointment_id": talk.appointment_id,
        }
        return [
            SendEvent("complaint.filed", fields),
            self._say(phrase("complaint_filed", lang), lang),
        ]

    # -- helpers -------------------------------------------------------------------

    def _flush(self) -> list[Action]:
        """Notices for the resident, when nobody is talking to them and not at night."""
        if self.active or not self._notices or self._floor_held():
            return []
        quiet = self._is_quiet()
        out: list[Action] = [say for say, fresh in self._notices if fresh or not quiet]
        self._notices = [(say, fresh) for say, fresh in self._notices if not fresh and quiet]
        return out

    def _floor_held(self) -> bool:
        return self.clock.monotonic() < self._floor_free_at

    def _end(self) -> None:
        self.phase = Phase.IDLE
        self._talk = None

    def _describe(self, visit: FreeSlot | Appointment, lang: str) -> str:
        return describe(visit, self.zone, self.clock.now(), lang)

    def _yes_no(self, talk: _Talk, name: str, text: str) -> bool | None:
        if name in ("yes", "status.ok"):
            return True
        if name == "no":
            return False
        return answers.yes_or_no(text, talk.lang) if name == "unknown" else None

    def _deadline(self) -> float:
        return self.clock.monotonic() + self.params.answer_timeout_s

    def _say(self, text: str, lang: str) -> Say:
        return Say(text, lang, False, self.params.rate_scale)

    def _ask(self, key: str, talk: _Talk, phase: Phase | None = None) -> Say:
        if phase is not None:
            self.phase = phase
        talk.reasked = False
        return self._ask_text(phrase(key, talk.lang), talk)

    def _ask_text(self, text: str, talk: _Talk) -> Say:
        talk.deadline = self._deadline()
        return Say(text, talk.lang, True, self.params.rate_scale)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "ru"


def _has_role(slot: FreeSlot, role: str) -> bool:
    said = answers.normalise(slot.specialist.role)
    if said.replace(" ", "_") == role:
        return True
    return any(word.startswith(ROLE_STEMS.get(role, (role,))) for word in said.split())


def _fits_words(slot: FreeSlot, what: str) -> bool:
    """'к кардиологу' fits a slot whose role or name starts like one of the words."""
    stems = [w[: max(4, len(w) - 2)] for w in answers.normalise(what).split() if len(w) >= 4]
    text = answers.normalise(f"{slot.specialist.role} {slot.specialist.name} {slot.agency}")
    return any(word.startswith(stem) for stem in stems for word in text.split())
