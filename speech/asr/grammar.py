"""Grammar mode: the phrases a recogniser may output, checked against its vocabulary.

vosk silently drops grammar words its model does not know (one log line),
which turns "take the pills" into "take the": we check every word first,
drop the phrases that cannot be recognised whole, and report what was missing.

Rejection: a grammar-constrained decoder maps *any* sound to some grammar
phrase (noise came out as "today" with confidence 1.0 in our tests). Where the
vocabulary has "[unk]" we add it; where it does not (the small models), we add
"garbage" words: common words outside the grammar that out-of-grammar speech
lands on instead. A result holding either is rejected, never published as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from speech.asr.recognizer import UNKNOWN_WORD

WordLookup = Callable[[str], bool]
"""Whether the model's vocabulary has a word."""


@dataclass(frozen=True)
class Grammar:
    phrases: tuple[str, ...]
    """The phrases the recogniser will be constrained to, normalised."""
    missing_words: tuple[str, ...]
    """Words not in the model's vocabulary (their phrases were dropped)."""
    dropped_phrases: tuple[str, ...]
    with_unknown: bool
    """Whether "[unk]" is in the grammar (only if the vocabulary has it): catches other speech."""
    garbage_words: tuple[str, ...] = ()
    """Known words outside the grammar, decoded only to reject out-of-grammar speech."""

    @property
    def words(self) -> frozenset[str]:
        return frozenset(word for phrase in self.phrases for word in phrase.split())

    def decoder_phrases(self) -> list[str]:
        """What vosk gets: the phrases, the garbage words, and "[unk]" if the model has it."""
        unknown = [UNKNOWN_WORD] if self.with_unknown else []
        return [*self.phrases, *self.garbage_words, *unknown]


def normalise_phrase(phrase: str) -> str:
    """Lower case, single spaces (vosk vocabularies are lower case)."""
    return " ".join(phrase.lower().split())


def build_grammar(
    phrases: Iterable[str], knows_word: WordLookup, garbage_words: Iterable[str] = ()
) -> Grammar:
    kept: list[str] = []
    dropped: list[str] = []
    missing: dict[str, None] = {}
    seen: set[str] = set()
    for raw in phrases:
        phrase = normalise_phrase(raw)
        if not phrase or phrase in seen:
            continue
        seen.add(phrase)
        unknown = [word for word in phrase.split() if not knows_word(word)]
        if unknown:
            missing.update(dict.fromkeys(unknown))
            dropped.append(phrase)
        else:
            kept.append(phrase)
    grammar_words = {word for phrase in kept for word in phrase.split()}
    garbage = dict.fromkeys(
        word
        for word in (normalise_phrase(w) for w in garbage_words)
        if word and " " not in word and word not in grammar_words and knows_word(word)
    )
    return Grammar(
        phrases=tuple(kept),
        garbage_words=tuple(garbage),
        missing_words=tuple(missing),
        dropped_phrases=tuple(dropped),
        with_unknown=knows_word(UNKNOWN_WORD),
    )


# Short, frequent words that out-of-grammar speech tends to be decoded as (see the module
# docstring). Grammar words are removed from these, and unknown ones skipped, per model.
GARBAGE_WORDS: dict[str, tuple[str, ...]] = {
    "ru": ("и", "в", "на", "что", "это", "как", "он", "она", "они", "так", "вот", "ну",
           "там", "тут", "все", "был", "была", "его", "её", "их", "бы", "же", "ли", "по",
           "за", "из", "к", "у", "о", "от", "до", "ещё", "уже", "очень", "когда"),
    "en": ("the", "a", "and", "of", "to", "in", "is", "it", "that", "was", "for", "on",
           "with", "as", "he", "she", "they", "this", "but", "at", "by", "from", "or", "an",
           "so", "then", "there", "what", "well", "oh", "um", "uh", "very", "when"),
}  # fmt: skip


def garbage_words_for(lang: str) -> tuple[str, ...]:
    return GARBAGE_WORDS.get(lang, ())
