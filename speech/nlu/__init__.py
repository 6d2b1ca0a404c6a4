"""Intent recognition (ru, en) for residents talking to the robot.

hassil templates give the structure, rapidfuzz forgives misheard words,
dateparser reads dates; times, durations and number words are normalised
first. Templates live in `templates/<lang>.yaml` and load once per process.
"""

from __future__ import annotations

from speech.nlu.entities import MedicineLike
from speech.nlu.errors import NluError
from speech.nlu.grammar import examples, grammar_phrases, vocabulary
from speech.nlu.language import SUPPORTED_LANGUAGES
from speech.nlu.model import INTENT_NAMES, MIN_CONFIDENCE, ParsedIntent, SlotValue
from speech.nlu.parser import IntentParser

__all__ = [
    "INTENT_NAMES",
    "MIN_CONFIDENCE",
    "SUPPORTED_LANGUAGES",
    "IntentParser",
    "MedicineLike",
    "NluError",
    "ParsedIntent",
    "SlotValue",
    "examples",
    "grammar_phrases",
    "vocabulary",
]
