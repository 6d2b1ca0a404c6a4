"""The benefits conversation: a short interview, the answer, booking and consent; explanations.

A plain core on the `Clock`. The node feeds it the resident's intents (with the
words they said) and a tick; it returns what to say and which events to send to
the fleet. Flow of `start`:

1. Saved answers (from the fleet's profile) are read back: "yes" keeps them,
   "change" asks them again, "delete" sends `benefits.profile_deleted` and
   forgets them.
2. Only facts still missing *that would settle something* are asked, one at a
   time, at most `max_questions`, recomputed after every answer; each can be
   skipped ("не знаю", "skip", or silence past `answer_timeout_s`). Income is
   asked as bands around the catalog's thresholds; a year or an age becomes a
   birth-date range, so a boundary gives "needs checking", never a wrong
   "likely".
3. The answer, slowly: likely measures, those to check (and what decides),
   where to go, the agency-decides disclaimer; then an offer to ask the social
   worker for an appointment (`appointment.request`) and, with consent, to save
   the answers (`benefits.profile`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from benefits import answers, speech
from benefits.actions import Action, Say, SendEvent
from benefits.answers import IncomeBand
from benefits.catalog import Catalog
from benefits.engine import MeasureResult, check_all, questions_to_ask, thresholds
from benefits.errors import BenefitsError
from benefits.explain import benefit_names, explanation, find_measure
from benefits.facts import FACTS, FactValue, Profile, parse_profile
from benefits.speech import phrase
from homecare.clock import Clock

# Intents that are answers (or may carry one in their words) while a question is open.
ANSWER_INTENTS = frozenset({"unknown", "yes", "no", "cancel", "repeat", "status.ok"})
__all__ = [
    "Action",
    "BenefitsInterview",
    "InterviewParams",
    "Phase",
    "Say",
    "SendEvent",
    "benefit_names",
    "find_measure",
]


class InterviewParams(BaseModel):
    timezone: str = Field(default="Asia/Yekaterinburg", description="The home's IANA zone.")
    max_questions: int = Field(default=7, ge=0, le=15, description="Questions per interview.")
    answer_timeout_s: float = Field(
        default=40.0, gt=0, description="Silence this long after a question skips it."
    )
    max_silences: int = Field(
        default=2, ge=1, description="Questions unanswered in a row before the robot stops asking."
    )
    rate_scale: float = Field(default=speech.RATE_SCALE, gt=0.3, le=1.0)


class Phase(Enum):
    IDLE = "idle"
    READBACK = "readback"
    ASKING = "asking"
    BOOKING = "booking"
    CONSENT = "consent"


@dataclass
class _Session:
    lang: str
    on: date
    known: dict[str, FactValue]  # saved (or fleet-given) facts in use this time
    # Saved facts the resident chose to correct: kept when saving unless asked again.
    corrected: dict[str, FactValue] = field(default_factory=dict)
    answers: dict[str, FactValue] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    fact: str = ""  # the open question
    reasked: bool = False
    deadline: float = 0.0
    silences: int = 0
    excluded_regions: set[str] = field(default_factory=set)
    bands: list[IncomeBand] = field(default_factory=list)
    booking: tuple[str, list[str]] | None = None  # agency id, measure ids

    def profile(self) -> Profile:
        return Profile({**self.known, **self.answers})


class BenefitsInterview:
    def __init__(self, params: InterviewParams, clock: Clock, catalog: Catalog | None) -> None:
        self.params = params
        self.clock = clock
        self.catalog = catalog
        self._zone = ZoneInfo(params.timezone)
        self.saved: dict[str, FactValue] = {}
        self.phase = Phase.IDLE
        self._session: _Session | None = None

    # -- state from the fleet ------------------------------------------------------

    def set_saved_profile(self, raw: Mapping[str, object]) -> None:
        """The resident's saved facts (cfg/benefits `profile`); raises ProfileError if bad."""
        self.saved = dict(parse_profile(raw, self.today()).facts)

    def saved_profile_data(self) -> dict[str, object]:
        return Profile(self.saved).as_dict()

    def interrupt(self) -> None:
        """Someone else has the floor (the guardian's urgent check): stop without a word."""
        self._end()

    def forget_resident(self) -> None:
        self.saved = {}
        self._end()

    @property
    def active(self) -> bool:
        return self.phase is not Phase.IDLE

    def today(self) -> date:
        return self.clock.now().astimezone(self._zone).date()

    # -- inputs --------------------------------------------------------------------

    def start(self, lang: str) -> list[Action]:
        """`benefits.query`: "what am I entitled to?"."""
        lang = "en" if lang == "en" else "ru"
        if self.catalog is None or not self.catalog.measures:
            self._end()
            return [self._say(phrase("no_catalog", lang), lang)]
        session = self._session = _Session(lang, self.today(), dict(self.saved))
        if session.known:
            self.phase = Phase.READBACK
            facts = "; ".join(
                speech.spoken_fact(name, value, lang) for name, value in session.known.items()
            )
            return [
                self._say(phrase("readback", lang, facts=facts), lang),
                self._ask_text(phrase("readback_question", lang), lang),
            ]
        return [self._say(phrase("intro", lang), lang), *self._next_question()]

    def on_intent(self, name: str, text: str, lang: str) -> list[Action]:  # noqa: PLR0911
        """Anything the resident said while the conversation is open."""
        session = self._session
        if session is None or not self.active:
            return []
        if name == "repeat":
            session.deadline = self._deadline()  # the dialog repeats the question
            return []
        if name == "help.emergency":
            self._end()  # the guardian takes over
            return []
        if name == "cancel" and not answers.is_skip(text, session.lang):
            self._end()
            return [self._say(phrase("cancelled", session.lang), session.lang)]
        if answers.is_delete(text, session.lang):
            return self._delete()
        session.silences = 0
        if self.phase is Phase.READBACK:
            return self._on_readback(name, text)
        if self.phase is Phase.ASKING:
            return self._on_answer(name, text)
        if self.phase is Phase.BOOKING:
            return self._on_booking(self._yes_no(name, text))
        return self._on_consent(self._yes_no(name, text))

    def tick(self) -> list[Action]:
        session = self._session
        if session is None or not self.active or self.clock.monotonic() < session.deadline:
            return []
        session.silences += 1
        if session.silences >= self.params.max_silences:
            self._end()  # the resident has gone: stop without more talk
            return []
        if self.phase is Phase.READBACK:
            return self._next_question()
        if self.phase is Phase.ASKING:
            return [self._say(phrase("skipped", session.lang), session.lang), *self._skip()]
        if self.phase is Phase.BOOKING:
            return self._on_booking(False)
        return self._on_consent(False)

    # -- readback ------------------------------------------------------------------

    def _on_readback(self, name: str, text: str) -> list[Action]:
        session = self._session
        assert session is not None
        lang = session.lang
        if answers.is_correct(text, lang) or name == "no":
            # Ask again; the saved copy stays until new answers are saved.
            session.corrected, session.known = session.known, {}
            return [self._say(phrase("ask_again", lang), lang), *self._next_question()]
        return self._next_question()

    def _delete(self) -> list[Action]:
        session = self._session
        lang = session.lang if session else "ru"
        self.saved = {}
        self._end()
        return [
            SendEvent("benefits.profile_deleted", {}),
            self._say(phrase("deleted", lang), lang),
        ]

    # -- questions -----------------------------------------------------------------

    def _next_question(self) -> list[Action]:
        session = self._session
        assert session is not None and self.catalog is not None
        self.phase = Phase.ASKING
        fact = self._pick_question(session, self.catalog)
        if fact is None:
            return self._results()
        session.asked.append(fact)
        session.fact = fact
        session.reasked = False
        text = speech.question(
            fact, session.lang, region=self._region_to_ask(self.catalog), bands=session.bands
        )
        return [self._ask_text(text, session.lang)]

    def _pick_question(self, session: _Session, catalog: Catalog) -> str | None:
        if len(session.asked) >= self.params.max_questions:
            return None
        profile = session.profile()
        wanted = questions_to_ask(catalog, profile, session.on, limit=len(FACTS))
        # The region first (income bands depend on it), the income last (the hardest to say).
        wanted.sort(key=lambda fact: (fact != "region", fact == "per_capita_income_rub"))
        for fact in wanted:
            if fact in session.asked or fact not in speech.QUESTIONS:
                continue
            if fact == "region" and (session.excluded_regions or not self._region_to_ask(catalog)):
                continue
            if fact == "per_capita_income_rub":
                limits = thresholds(catalog, fact, profile, session.on)
                session.bands = answers.income_bands(limits)
                if not session.bands:
                    continue  # no limit known for this region and date: the answer cannot help
            return fact
        return None

    def _region_to_ask(self, catalog: Catalog) -> str:
        """The region the catalog's regional measures are for (the most common one)."""
        regions = Counter(m.region for m in catalog.measures.values() if m.region)
        return regions.most_common(1)[0][0] if regions else ""

    def _on_answer(self, name: str, text: str) -> list[Action]:
        session = self._session
        assert session is not None
        lang, fact = session.lang, session.fact
        if answers.is_skip(text, lang):
            return [self._say(phrase("skipped", lang), lang), *self._skip()]
        understood, value = self._read(fact, name, text)
        if understood:
            if fact == "region" and value is None:
                assert self.catalog is not None
                session.excluded_regions.add(self._region_to_ask(self.catalog))
            else:
                session.answers[fact] = value
            return self._next_question()
        if name not in ANSWER_INTENTS and not name.startswith("benefits."):
            self._end()  # another request: the resident has moved on
            return []
        if session.reasked or name == "no":
            return [self._say(phrase("skipped", lang), lang), *self._skip()]
        session.reasked = True
        return [self._ask_text(speech.reask(fact, lang, session.bands), lang)]

    def _read(self, fact: str, name: str, text: str) -> tuple[bool, FactValue]:  # noqa: PLR0911
        """(understood, value) for the open question; region "no" is (True, None)."""
        session = self._session
        assert session is not None
        lang = session.lang
        yes_no = self._yes_no(name, text)
        if fact == "birth_date":
            birth = answers.birth_range(text, lang, session.on)
            return birth is not None, birth
        if fact == "per_capita_income_rub":
            band = answers.income_answer(text, lang, session.bands)
            return band is not None, band
        if fact == "disability_group":
            group = answers.disability_group(text, lang)
            if group is not None:
                return True, group
            return yes_no is False, None  # "no": known to have no group
        if yes_no is None:
            return False, None
        if fact == "region":
            assert self.catalog is not None
            return True, self._region_to_ask(self.catalog) if yes_no else None
        if fact == "titles":
            return True, ("veteran_of_labour",) if yes_no else ()
        return True, yes_no

    def _yes_no(self, name: str, text: str) -> bool | None:
        if name in ("yes", "status.ok"):
            return True
        if name == "no":
            return False
        lang = self._session.lang if self._session else "ru"
        return answers.yes_or_no(text, lang) if name == "unknown" else None

    def _skip(self) -> list[Action]:
        return self._next_question()

    # -- the answer ------------------------------------------------------------------

    def _results(self) -> list[Action]:
        session = self._session
        assert session is not None and self.catalog is not None
        lang = session.lang
        results = [
            result
            for result in check_all(self.catalog, session.profile(), session.on)
            if result.status != "not_eligible"
            and result.measure.region not in session.excluded_regions
        ]
        likely = [result for result in results if result.status == "eligible"]
        unsure = [result for result in results if result.status == "unknown"]
        out: list[Action] = []
        if likely:
            titles = speech.sentences(speech.spoken_title(r.measure, lang) for r in likely)
            out.append(self._say(phrase("likely", lang, titles=titles), lang))
            automatic = [r for r in likely if r.measure.how_to_apply.automatic]
            if automatic:
                said = speech.listing((speech.short_name(r.measure, lang) for r in automatic), lang)
                out.append(self._say(phrase("automatic", lang, titles=said), lang))
        if unsure:
            items = speech.listing((_check_item(result, lang) for result in unsure), lang)
            out.append(self._say(phrase("check", lang, items=items), lang))
        if not results:
            out.append(self._say(phrase("nothing", lang), lang))
        to_apply = [r for r in results if not r.measure.how_to_apply.automatic]
        for agency_id in dict.fromkeys(r.agency.id for r in to_apply):
            agency = self.catalog.agencies[agency_id]
            ways = [
                c
                for r in to_apply
                if r.agency.id == agency_id
                for c in r.measure.how_to_apply.channels
            ]
            lines = speech.agency_lines(agency, lang)
            if speech.channels(ways, lang):
                lines.append(phrase("channels", lang, channels=speech.channels(ways, lang)))
            out.append(self._say(" ".join(lines), lang))
        out.append(self._say(phrase("disclaimer", lang), lang))
        session.booking = _booking(to_apply)
        if session.booking is not None:
            self.phase = Phase.BOOKING
            agency = self.catalog.agencies[session.booking[0]]
            ask = phrase("offer_booking", lang, agency=speech.agency_name(agency, lang))
            return [*out, self._ask_text(ask, lang)]
        return [*out, *self._offer_consent()]

    def _on_booking(self, yes: bool | None) -> list[Action]:
        session = self._session
        assert session is not None
        lang = session.lang
        if yes is None and not session.reasked:
            session.reasked = True
            return [self._ask_text(phrase("reask_yes_no", lang), lang)]
        out: list[Action] = []
        if yes and session.booking is not None:
            agency_id, measure_ids = session.booking
            out.append(
                SendEvent(
                    "appointment.request",
                    {"agency_id": agency_id, "measure_ids": measure_ids, "note": ""},
                )
            )
            out.append(self._say(phrase("booking_sent", lang), lang))
        else:
            out.append(self._say(phrase("booking_declined", lang), lang))
        return [*out, *self._offer_consent()]

    def _offer_consent(self) -> list[Action]:
        session = self._session
        assert session is not None
        if not session.answers and not session.corrected:
            return self._finish()
        self.phase = Phase.CONSENT
        session.reasked = False
        return [self._ask_text(phrase("consent", session.lang), session.lang)]

    def _on_consent(self, yes: bool | None) -> list[Action]:
        session = self._session
        assert session is not None
        lang = session.lang
        if yes is None and not session.reasked:
            session.reasked = True
            return [self._ask_text(phrase("reask_yes_no", lang), lang)]
        if not yes:
            return [self._say(phrase("not_saved", lang), lang), *self._finish()]
        # A corrected fact asked again and skipped is dropped: "I don't know" replaces it.
        kept = {k: v for k, v in session.corrected.items() if k not in session.asked}
        self.saved = {**kept, **session.known, **session.answers}
        facts = Profile(self.saved).as_dict()
        # The fleet merges what it gets: a fact to forget is sent as null ("no disability
        # group" is itself null, so a skipped group cannot be forgotten this way).
        for name in session.corrected:
            if name not in self.saved and name != "disability_group":
                facts[name] = None
        event = SendEvent("benefits.profile", {"facts": facts, "consent": True})
        return [event, self._say(phrase("saved", lang), lang), *self._finish()]

    def _finish(self) -> list[Action]:
        session = self._session
        assert session is not None and self.catalog is not None
        lang = session.lang
        example = speech.short_name(next(iter(self.catalog.measures.values())), lang)
        self._end()
        return [self._say(phrase("finish", lang, example=example), lang)]

    # -- explanations ----------------------------------------------------------------

    def explain(self, measure_id: str, text: str, lang: str) -> list[Action]:
        """`benefits.explain`: one measure in plain words, and whether it likely applies."""
        lang = "en" if lang == "en" else "ru"
        self._end()  # a question about one measure ends an interview
        catalog = self.catalog
        if catalog is None or not catalog.measures:
            return [self._say(phrase("no_catalog", lang), lang)]
        found = measure_id if measure_id in catalog.measures else find_measure(catalog, text, lang)
        if found is None:
            example = speech.short_name(next(iter(catalog.measures.values())), lang)
            return [self._say(phrase("unknown_measure", lang, example=example), lang)]
        try:
            profile = Profile(self.saved)
            lines = explanation(catalog, found, profile, self.today(), lang)
        except BenefitsError:  # a saved birth date after today (a clock gone back)
            lines = explanation(catalog, found, Profile({}), self.today(), lang)
        return [self._say(line, lang) for line in lines]

    # -- helpers ---------------------------------------------------------------------

    def _end(self) -> None:
        self.phase = Phase.IDLE
        self._session = None

    def _deadline(self) -> float:
        return self.clock.monotonic() + self.params.answer_timeout_s

    def _say(self, text: str, lang: str) -> Say:
        return Say(text, lang, False, self.params.rate_scale)

    def _ask_text(self, text: str, lang: str) -> Say:
        if self._session is not None:
            self._session.deadline = self._deadline()
        return Say(text, lang, True, self.params.rate_scale)


def _check_item(result: MeasureResult, lang: str) -> str:
    title = speech.spoken_title(result.measure, lang)
    if not result.missing:
        return phrase("check_item_agency", lang, title=title)
    return phrase("check_item", lang, title=title, facts=speech.fact_words(result.missing, lang))


def _booking(to_apply: list[MeasureResult]) -> tuple[str, list[str]] | None:
    """The agency with the most measures to apply for (likely ones count first)."""
    if not to_apply:
        return None
    score: Counter[str] = Counter()
    for result in to_apply:
        score[result.agency.id] += 10 if result.status == "eligible" else 1
    agency_id = max(score, key=lambda key: (score[key], -list(score).index(key)))
    return agency_id, [r.measure.id for r in to_apply if r.agency.id == agency_id]
