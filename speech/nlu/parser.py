"""`IntentParser`: text in, `ParsedIntent` out.

Stages, first match wins:
1. hassil templates on the normalised text (confidence 0.95);
2. hassil again after misheard words are corrected to the nearest template
   word with rapidfuzz ("таблетк" -> "таблетку"; confidence 0.85);
3. keyword phrases, fuzzy per word, with negation (confidence 0.55-0.85);
4. otherwise `unknown`, with the nearest template's intent as `guess`.
Slots are read from the text whichever stage matched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hassil import recognize_best
from rapidfuzz import fuzz, process

from speech.nlu.entities import (
    MEDICINE_TOKEN,
    MedicineLike,
    benefit_index,
    find_role,
    medicine_index,
)
from speech.nlu.errors import NluError
from speech.nlu.grammar import grammar_vocabulary, template_sentences
from speech.nlu.keywords import KeywordHit
from speech.nlu.language import LanguageData, check_language, load_language
from speech.nlu.model import MIN_CONFIDENCE, ParsedIntent, SlotValue
from speech.nlu.normalize import (
    basic_normalise,
    numbers_to_digits,
    remove_phrases,
    rewrite_phrases,
    strip_edges,
)
from speech.nlu.when import AGO_TOKEN, DATE_TOKEN, DURATION_TOKEN, TIME_TOKEN, WhenExtractor

TEMPLATE_CONFIDENCE = 0.95
CORRECTED_CONFIDENCE = 0.85
BENEFIT_TOKEN = "xbenefit"
PLACEHOLDERS = frozenset(
    {TIME_TOKEN, DATE_TOKEN, DURATION_TOKEN, MEDICINE_TOKEN, BENEFIT_TOKEN, AGO_TOKEN}
)
# A misheard word is corrected to a template word scoring at least this.
CORRECTION_CUTOFF = 80.0
# Longer input is chatter or a run-on ASR result: skip the (slower) template stage.
MAX_TEMPLATE_WORDS = 14
# An utterance is a sentence or two; only its start is read, which bounds the parse time.
MAX_WORDS = 40
# When two intents tie, the first listed wins: safety first.
PRIORITY = (
    "help.emergency",
    "status.ok",
    "status.not_ok",
    "reminder.snooze",
    "reminder.create",
    "reminder.ack",
    "reminder.list",
    "appointment.list",
    "appointment.book",
    "benefits.explain",
    "benefits.query",
    # Before call.request ("закончить звонок" names a call too) and cancel ("stop the call").
    "call.end",
    "call.request",
    "time.now",
    "date.today",
    "speak.slower",
    "speak.louder",
    "repeat",
    "cancel",
    "no",
    "yes",
)
_RANK = {name: i for i, name in enumerate(PRIORITY)}
# "Help, I feel terrible" is an emergency, not only "not ok": escalating is the safe mistake.
_YIELD_TO_EMERGENCY = frozenset(
    {"status.not_ok", "yes", "no", "cancel", "repeat", "speak.slower", "speak.louder"}
)


class IntentParser:
    """Understands one language; build once (templates load once), call `parse` per utterance."""

    def __init__(
        self,
        lang: str,
        medicines: Sequence[MedicineLike] = (),
        benefits: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.lang = check_language(lang)
        self._data: LanguageData = load_language(lang)
        self._medicines = medicine_index(medicines, lang)
        self._benefits = benefit_index(benefits or {}, lang)
        self._when = WhenExtractor(lang)
        self._vocab = sorted(
            grammar_vocabulary(lang)
            | {p.text for p in self._data.keywords.patterns if not p.is_stem}
        )
        self._vocab_set = frozenset(self._vocab)
        self._stems = tuple(
            p.text for p in self._data.keywords.patterns if p.is_stem and len(p.text) >= 3
        )
        self._role_stems = tuple(s for stems in self._data.roles.values() for s in stems)
        self._sentences = template_sentences(lang)
        self._sentence_texts = [s for _, s in self._sentences]
        # The first dateparser call loads its language data (about 0.1 s): do it now.
        self._when.extract("завтра" if lang == "ru" else "tomorrow", datetime(2000, 1, 1))

    def parse(
        self, text: str, now: datetime | None = None, timezone: str = "Europe/Moscow"
    ) -> ParsedIntent:
        """Understand `text`. `now` (aware) resolves "завтра"/"tomorrow" to a date in `timezone`."""
        now_local = _local_now(now, timezone)
        heard = " ".join(basic_normalise(text).split()[:MAX_WORDS])
        words_text = rewrite_phrases(heard, self._data.rewrites)
        words_text = strip_edges(
            remove_phrases(words_text, self._data.fillers),
            self._data.lead_fillers,
            self._data.tail_fillers,
        )
        if not words_text:
            return ParsedIntent("unknown", {}, 0.0, text, self.lang)
        words_text = numbers_to_digits(words_text, self.lang)
        when = self._when.extract(words_text, now_local or datetime(2000, 1, 1))
        slots: dict[str, SlotValue] = dict(when.slots)
        if when.date_words and (now_local is None or "date" not in slots):
            # Without a clock a relative date cannot be resolved: pass the words on, never guess.
            slots.pop("date", None)
            slots["date_text"] = when.date_words
        words = when.text.split()
        words = self._mark_names(words, slots)

        found = self._templates(words, confidence=TEMPLATE_CONFIDENCE)
        corrected = self._correct(words)
        if found is None and corrected != words:
            found = self._templates(corrected, confidence=CORRECTED_CONFIDENCE)
        if found is None:
            # Keywords are stems already: the heard words first, corrections only as a fallback
            # (a correction can invent a keyword: "watching" -> "aching").
            found = self._keywords(words)
            if found is None and corrected != words:
                found = self._keywords(corrected)
        found = self._safety_first(found, words)
        if found is None:
            return self._unknown(text, corrected, slots)
        intent, confidence, what, trigger_end = found
        # Slots come from the words as heard: a correction could turn a name into a template word.
        self._fill(intent, words, slots, what, trigger_end)
        if intent == "benefits.query" and "benefit" in slots:
            intent = "benefits.explain"
        return ParsedIntent(
            intent, _slots_for(intent, slots), round(confidence, 3), text, self.lang
        )

    # -- stages ----------------------------------------------------------------

    def _templates(
        self, words: list[str], confidence: float
    ) -> tuple[str, float, str | None, int] | None:
        if not words or len(words) > MAX_TEMPLATE_WORDS:
            return None
        result = recognize_best(" ".join(words), self._data.intents)
        if result is None or not self._requirements_met(result.intent.name, words):
            return None
        what_entity = result.entities.get("what")
        what = str(what_entity.value).strip() if what_entity is not None else None
        return result.intent.name, confidence, what, 0

    def _keywords(self, words: list[str]) -> tuple[str, float, str | None, int] | None:
        best = self._keyword_hits(words)
        if not best:
            return None
        ranked = sorted(best.values(), key=lambda h: (-h.weight, _RANK.get(h.intent, 99)))
        top = ranked[0]
        confidence = 0.55 + 0.1 * min(top.weight, 3.0)
        if len(ranked) > 1 and ranked[1].weight >= top.weight:
            confidence -= 0.1  # a tie decided by priority
        return top.intent, max(confidence, MIN_CONFIDENCE + 0.01), None, top.end

    def _keyword_hits(self, words: list[str]) -> dict[str, KeywordHit]:
        """The best (heaviest) hit of each intent whose requirements are met."""
        best: dict[str, KeywordHit] = {}
        for hit in self._data.keywords.hits(words):
            if not self._requirements_met(hit.intent, words):
                continue
            held = best.get(hit.intent)
            if held is None or hit.weight > held.weight:
                best[hit.intent] = hit
        return best

    def _safety_first(
        self, found: tuple[str, float, str | None, int] | None, words: list[str]
    ) -> tuple[str, float, str | None, int] | None:
        """A call for help beats a wildcard template match and the short answers.

        "call an ambulance, I'm not well" fits "call {what}", "нет нет помогите"
        starts like "no": both must still be help.emergency.
        """
        if found is None or found[0] in ("help.emergency", "status.ok"):
            return found
        if found[2] is None and found[0] not in _YIELD_TO_EMERGENCY:
            return found
        emergency = self._keyword_hits(words).get("help.emergency")
        if emergency is not None:
            return "help.emergency", 0.55 + 0.1 * min(emergency.weight, 3.0), None, emergency.end
        return found

    def _unknown(self, text: str, words: list[str], slots: dict[str, SlotValue]) -> ParsedIntent:
        guess = process.extractOne(
            " ".join(words), self._sentence_texts, scorer=fuzz.token_set_ratio, score_cutoff=50
        )
        out: dict[str, SlotValue] = {
            k: v for k, v in slots.items() if k in ("time", "date", "duration_s")
        }
        confidence = 0.0
        if guess is not None:
            out["guess"] = self._sentences[guess[2]][0]
            confidence = min(guess[1] / 100.0 * 0.45, MIN_CONFIDENCE - 0.01)
        return ParsedIntent("unknown", out, round(confidence, 3), text, self.lang)

    # -- helpers -------------------------------------------------------------

    def _requirements_met(self, intent: str, words: Sequence[str]) -> bool:
        stems = self._data.requires.get(intent)
        return stems is None or any(w.startswith(stems) for w in words)

    def _correct(self, words: list[str]) -> list[str]:
        """Replace words no template knows by the nearest template word, if close."""
        out: list[str] = []
        for word in words:
            if (
                len(word) < 4
                or word in self._vocab_set
                or word in PLACEHOLDERS
                or word.isdigit()
                or word in self._data.keywords.negations  # "havent" must not become "have"
            ):
                out.append(word)
                continue
            match = process.extractOne(
                word, self._vocab, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF
            )
            out.append(match[0] if match is not None else word)
        return out

    def _mark_names(self, words: list[str], slots: dict[str, SlotValue]) -> list[str]:
        """Known medicine and benefit names -> slots and placeholder words."""
        for index, slot, token in (
            (self._medicines, "medicine", MEDICINE_TOKEN),
            (self._benefits, "benefit", BENEFIT_TOKEN),
        ):
            match = index.find(words)
            if match is not None:
                slots[slot] = match.key
                words = [*words[: match.start], token, *words[match.end :]]
        return words

    def _is_known(self, word: str) -> bool:
        return (
            word in self._vocab_set
            or word in self._data.stopwords
            or word in PLACEHOLDERS
            or word.isdigit()
            or word.startswith(self._stems)
            or word.startswith(self._role_stems)
        )

    def _fill(
        self,
        intent: str,
        words: list[str],
        slots: dict[str, SlotValue],
        what: str | None,
        trigger_end: int,
    ) -> None:
        if intent in ("reminder.ack", "reminder.create") and "medicine" not in slots:
            unknown = self._medicine_words(words)
            if unknown:
                slots["medicine_unknown"] = unknown
        if intent == "appointment.book" and what:
            slots["what"] = what  # the specialist or service ("к кардиологу" -> "кардиологу")
        if intent in ("call.request", "appointment.book"):
            role = find_role(words, self._data.roles)
            if role is not None:
                slots["role"] = role[0]
            elif intent == "call.request":
                person = [w for w in words if not self._is_known(w)]
                if person:
                    slots["person"] = " ".join(person)
        if intent == "benefits.explain" and "benefit" not in slots:
            rest = what if what else " ".join(words[trigger_end:])
            rest = " ".join(w for w in rest.split() if w not in PLACEHOLDERS)
            if rest:
                slots["benefit_text"] = rest
        if intent == "reminder.create":
            rest = what if what else " ".join(words[trigger_end:])
            kept = [w for w in rest.split() if w not in (TIME_TOKEN, DATE_TOKEN, DURATION_TOKEN)]
            while kept and kept[0] in self._data.what_lead:
                kept.pop(0)
            if kept:
                slots["what"] = " ".join(kept).replace(
                    MEDICINE_TOKEN, str(slots.get("medicine", ""))
                )

    def _medicine_words(self, words: list[str]) -> str:
        """The unknown words right after "выпила"/"took my": a medicine we do not know."""
        for index, word in enumerate(words):
            if word not in self._data.medicine_verbs:
                continue
            heard: list[str] = []
            for follower in words[index + 1 : index + 5]:
                if follower in ("от", "for") and not heard:
                    heard.append(follower)
                    continue
                if follower in self._data.stopwords and not heard:
                    continue
                if self._is_known(follower) or follower in PLACEHOLDERS:
                    break
                heard.append(follower)
                if len(heard) >= 3:
                    break
            if heard and heard[-1] not in ("от", "for"):
                return " ".join(heard)
        return ""


_SLOTS_BY_INTENT: dict[str, frozenset[str]] = {
    "reminder.ack": frozenset({"medicine", "medicine_unknown", "time", "date", "date_text"}),
    "reminder.snooze": frozenset({"duration_s", "time", "date", "medicine", "date_text"}),
    "reminder.list": frozenset({"date", "medicine", "date_text"}),
    "reminder.create": frozenset(
        {"time", "date", "duration_s", "what", "medicine", "medicine_unknown", "date_text"}
    ),
    "call.request": frozenset({"person", "role"}),
    "benefits.query": frozenset({"benefit", "benefit_text"}),
    "benefits.explain": frozenset({"benefit", "benefit_text"}),
    "appointment.book": frozenset({"date", "time", "role", "what", "date_text"}),
    "appointment.list": frozenset({"date", "date_text"}),
}


def _slots_for(intent: str, slots: dict[str, SlotValue]) -> dict[str, SlotValue]:
    """Only the slots that mean something for this intent."""
    wanted = _SLOTS_BY_INTENT.get(intent, frozenset())
    return {k: v for k, v in slots.items() if k in wanted}


def _local_now(now: datetime | None, timezone: str) -> datetime | None:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise NluError(
            f"unknown time zone {timezone!r}: give an IANA name such as Europe/Moscow"
        ) from None
    if now is None:
        return None
    if now.tzinfo is None:
        raise NluError("now must be an aware datetime (with a time zone), as Clock.now() returns")
    return now.astimezone(zone)
