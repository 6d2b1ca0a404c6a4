"""Sentences and words for the recogniser's grammar mode, and the re-ask examples."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence

from hassil import SlotList, TextSlotList, sample_intents

from speech.nlu.errors import NluError
from speech.nlu.language import check_language, load_language
from speech.nlu.model import INTENT_NAMES
from speech.nlu.normalize import basic_normalise

MAX_GRAMMAR_PHRASES = 5000
_PLACEHOLDERS = ("xtime", "xdate", "xdur", "xmed")
_DIGITS = re.compile(r"\d")


@functools.cache
def template_sentences(lang: str) -> tuple[tuple[str, str], ...]:
    """(intent, sentence) for every expanded template, placeholders still in."""
    data = load_language(lang)
    per_intent = MAX_GRAMMAR_PHRASES // len(INTENT_NAMES)
    out: list[tuple[str, str]] = []
    for intent in data.intents.intents:
        # The {what} wildcard is filled with stand-ins that fit this intent.
        samples: dict[str, SlotList] = {
            "what": TextSlotList.from_strings(list(data.grammar_samples["what"].get(intent, [""])))
        }
        for name, sentence in sample_intents(
            data.intents,
            slot_lists=samples,
            max_sentences_per_intent=per_intent,
            intent_names={intent},
            exclude_sentences_with_wildcards=False,
        ):
            out.append((name, " ".join(sentence.split())))
    return tuple(out)


def grammar_phrases(lang: str, medicines: Sequence[str] = ()) -> list[str]:
    """The sentences the templates accept, in words, for vosk's grammar mode.

    Placeholders become sample times, dates and durations in words, and known
    medicine names (`medicines`; a generic word when none are given). Lower
    case, no punctuation, no digits, at most MAX_GRAMMAR_PHRASES.
    """
    check_language(lang)
    data = load_language(lang)
    fallback_medicine = "таблетку" if lang == "ru" else "pill"
    fills = {
        "xtime": itertools.cycle(data.grammar_samples["xtime"]),
        "xdate": itertools.cycle(data.grammar_samples["xdate"]),
        "xdur": itertools.cycle(data.grammar_samples["xdur"]),
        "xmed": itertools.cycle([basic_normalise(m) for m in medicines] or [fallback_medicine]),
    }
    phrases: dict[str, None] = {}
    for _intent, sentence in template_sentences(lang):
        words = [next(fills[w]) if w in _PLACEHOLDERS else w for w in sentence.split()]
        phrase = basic_normalise(" ".join(words))
        if phrase and not _DIGITS.search(phrase):
            phrases.setdefault(phrase, None)
    for example in data.examples.values():
        phrases.setdefault(basic_normalise(example), None)
    return list(phrases)[:MAX_GRAMMAR_PHRASES]


@functools.cache
def grammar_vocabulary(lang: str) -> frozenset[str]:
    return frozenset(w for phrase in grammar_phrases(lang) for w in phrase.split())


def vocabulary(lang: str) -> set[str]:
    """Every word of `grammar_phrases(lang)`: check these against the ASR model's words."""
    check_language(lang)
    return set(grammar_vocabulary(lang))


def examples(lang: str, intent: str) -> str:
    """One short phrase that says `intent`, for a gentle re-ask ("say, for example: ...")."""
    check_language(lang)
    data = load_language(lang)
    if intent not in data.examples:
        raise NluError(
            f"no example for intent {intent!r}: known intents are {sorted(data.examples)}"
        )
    return data.examples[intent]
