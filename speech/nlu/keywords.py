"""The fallback stage: weighted keyword phrases, fuzzy per word (rapidfuzz).

Natural speech rarely matches a template word for word ("ну я это, таблетку
уже выпила утром"). Each intent lists short phrases of words or stems
(`помог*` matches "помогите", "помогит"); a phrase matches when its words
occur in order with at most `MAX_GAP` other words between them. A phrase is
void when a negation ("не", "not") stands before it and the phrase does
not itself contain the negation: "не надо помощи" is not a call for help.
Between the negation and the phrase only "bridge" words may stand ("не надо
помощи", "don't need any help"). The intent with the longest matching phrase wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

MAX_GAP = 2
# A word shorter than this must match exactly or by its stem: "какая" is not "какое".
FUZZY_MIN_LENGTH = 6
FUZZY_CUTOFF = 85.0
FUZZY_WEIGHT = 0.8


@dataclass(frozen=True)
class Pattern:
    text: str
    is_stem: bool

    def score(self, word: str) -> float:
        """1.0 exact or stem match, FUZZY_WEIGHT for a near miss, else 0."""
        if word == self.text or (self.is_stem and word.startswith(self.text)):
            return 1.0
        # A word cut short by the recogniser ("hel" for "help", "помогит").
        if (
            not self.is_stem
            and len(word) >= 3
            and 0 < len(self.text) - len(word) <= 2
            and self.text.startswith(word)
        ):
            return FUZZY_WEIGHT
        if len(self.text) < FUZZY_MIN_LENGTH or word[:1] != self.text[:1]:
            return 0.0
        heard = word[: len(self.text)] if self.is_stem else word
        return FUZZY_WEIGHT if fuzz.ratio(heard, self.text) >= FUZZY_CUTOFF else 0.0


@dataclass(frozen=True)
class Phrase:
    intent: str
    patterns: tuple[Pattern, ...]
    negated_inside: bool  # the phrase itself contains a negation ("не могу встать")


@dataclass(frozen=True)
class KeywordHit:
    intent: str
    weight: float
    start: int
    end: int  # one past the last matched word
    fuzzy: bool


@dataclass(frozen=True)
class KeywordMatcher:
    phrases: tuple[Phrase, ...]
    patterns: tuple[Pattern, ...]  # distinct patterns, scored once per utterance
    negations: frozenset[str]
    negation_window: int
    negation_bridges: frozenset[str]
    # Patterns by first letter: every kind of match (exact, stem, fuzzy, cut short) needs it equal.
    by_first_letter: Mapping[str, tuple[Pattern, ...]]

    @staticmethod
    def build(
        keywords: Mapping[str, Sequence[str]],
        *,
        negations: frozenset[str],
        negation_window: int,
        negation_bridges: frozenset[str],
        canon: Callable[[str], str],
        free_word_order: bool = False,
    ) -> KeywordMatcher:
        phrases: list[Phrase] = []
        distinct: dict[tuple[str, bool], Pattern] = {}
        for intent, texts in keywords.items():
            for text in texts:
                patterns: list[Pattern] = []
                for token in text.split():
                    is_stem = token.endswith("*")
                    word = canon(token.rstrip("*")) if not is_stem else token.rstrip("*")
                    if not word:
                        continue
                    pattern = distinct.setdefault((word, is_stem), Pattern(word, is_stem))
                    patterns.append(pattern)
                if patterns:
                    inside = any(p.text in negations for p in patterns)
                    phrases.append(Phrase(intent, tuple(patterns), inside))
                    if free_word_order and len(patterns) == 2 and not inside:
                        phrases.append(Phrase(intent, (patterns[1], patterns[0]), inside))
        by_first: dict[str, list[Pattern]] = {}
        for pattern in distinct.values():
            by_first.setdefault(pattern.text[:1], []).append(pattern)
        return KeywordMatcher(
            tuple(phrases),
            tuple(distinct.values()),
            negations,
            negation_window,
            negation_bridges,
            {k: tuple(v) for k, v in by_first.items()},
        )

    def hits(self, words: Sequence[str]) -> list[KeywordHit]:
        """Every phrase that matches `words` and is not negated, one hit per phrase."""
        scores: dict[Pattern, list[float]] = {}
        for index, word in enumerate(words):
            for pattern in self.by_first_letter.get(word[:1], ()):
                score = pattern.score(word)
                if score:
                    scores.setdefault(pattern, [0.0] * len(words))[index] = score
        found: list[KeywordHit] = []
        for phrase in self.phrases:
            if any(p not in scores for p in phrase.patterns):
                continue
            hit = self._match(phrase, words, scores)
            if hit is not None:
                found.append(hit)
        return found

    def _match(
        self, phrase: Phrase, words: Sequence[str], scores: Mapping[Pattern, list[float]]
    ) -> KeywordHit | None:
        first = scores[phrase.patterns[0]]
        for start, first_score in enumerate(first):
            if first_score == 0.0:
                continue
            weight, position, ok = first_score, start, True
            for pattern in phrase.patterns[1:]:
                row = scores[pattern]
                nxt = next(
                    (
                        i
                        for i in range(position + 1, min(len(words), position + 2 + MAX_GAP))
                        if row[i]
                    ),
                    None,
                )
                if nxt is None:
                    ok = False
                    break
                weight += row[nxt]
                position = nxt
            if not ok:
                continue
            if not phrase.negated_inside and self._negated(words, start):
                continue
            size = len(phrase.patterns)
            return KeywordHit(phrase.intent, weight, start, position + 1, weight < size)
        return None

    def _negated(self, words: Sequence[str], start: int) -> bool:
        """A negation right before the phrase, or before it across bridge words only.

        "не надо помощи" negates "помощи"; "не могу, потом" does not negate "потом".
        """
        for index in range(start - 1, max(-1, start - 1 - self.negation_window), -1):
            if words[index] in self.negations:
                return True
            if words[index] not in self.negation_bridges:
                return False
        return False
