"""One language's intent data, loaded once from `templates/<lang>.yaml`.

The file is hassil's format (intents, lists, expansion rules, skip words)
plus an `nlu` section of our own: fallback keywords, roles, examples, the
samples that stand in for placeholders in the grammar sentences.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from hassil import Intents

from speech.nlu.errors import NluError
from speech.nlu.keywords import KeywordMatcher
from speech.nlu.normalize import basic_normalise, numbers_to_digits

SUPPORTED_LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class LanguageData:
    lang: str
    intents: Intents
    fillers: tuple[str, ...]
    lead_fillers: tuple[str, ...]
    tail_fillers: tuple[str, ...]
    rewrites: dict[str, str]
    keywords: KeywordMatcher
    examples: dict[str, str]
    grammar_samples: dict[str, Any]  # placeholder -> words; "what" -> intent -> words
    roles: dict[str, tuple[str, ...]]
    medicine_verbs: frozenset[str]
    requires: dict[str, tuple[str, ...]]
    stopwords: frozenset[str]
    what_lead: frozenset[str]


def check_language(lang: str) -> str:
    if lang not in SUPPORTED_LANGUAGES:
        known = ", ".join(SUPPORTED_LANGUAGES)
        raise NluError(f"unknown language {lang!r}: intent recognition supports {known}")
    return lang


@functools.cache
def load_language(lang: str) -> LanguageData:
    """Parse the language's template file (cached: templates load once per process)."""
    check_language(lang)
    source = resources.files("speech.nlu") / "templates" / f"{lang}.yaml"
    raw: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    own: dict[str, Any] = raw.pop("nlu")

    def canon(text: str) -> str:
        return numbers_to_digits(basic_normalise(text), lang)

    return LanguageData(
        lang=lang,
        intents=Intents.from_dict(raw),
        fillers=tuple(basic_normalise(w) for w in own["fillers"]),
        lead_fillers=tuple(basic_normalise(w) for w in own["lead_fillers"]),
        tail_fillers=tuple(basic_normalise(w) for w in own["tail_fillers"]),
        rewrites={basic_normalise(k): str(v) for k, v in (own.get("rewrites") or {}).items()},
        keywords=KeywordMatcher.build(
            {intent: [str(p) for p in phrases] for intent, phrases in own["keywords"].items()},
            negations=frozenset(own["negations"]),
            negation_window=int(own["negation_window"]),
            negation_bridges=frozenset(own["negation_bridges"]),
            free_word_order=bool(own["free_word_order"]),
            canon=canon,
        ),
        examples={str(k): str(v) for k, v in own["examples"].items()},
        grammar_samples=dict(own["grammar_samples"]),
        roles={k: tuple(basic_normalise(s) for s in v) for k, v in own["roles"].items()},
        medicine_verbs=frozenset(own["medicine_verbs"]),
        requires={k: tuple(v) for k, v in own["requires"].items()},
        stopwords=frozenset(str(w) for w in own["stopwords"]),
        what_lead=frozenset(own["what_lead"]),
    )
