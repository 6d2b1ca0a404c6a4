"""Named things in an utterance: medicines, roles, benefits (fuzzy, with rapidfuzz).

ASR drops endings and Russian inflects names ("эналаприла", "дочке"), so
every comparison is fuzzy: a window of the heard words against each name or
alias, scored with `rapidfuzz.fuzz.ratio`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz

from speech.nlu.normalize import basic_normalise, numbers_to_digits

MEDICINE_TOKEN = "xmed"
# Below this a medicine or benefit name is not considered heard.
NAME_MATCH_CUTOFF = 80.0


class MedicineLike(Protocol):
    """What the parser needs of a medicine (`reminders.model.Medicine` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> list[str]: ...


@dataclass(frozen=True)
class NameMatch:
    key: str  # the medicine name or benefit id
    start: int  # first word index in the utterance
    end: int  # one past the last word
    score: float


@dataclass(frozen=True)
class NameIndex:
    """Normalised names -> key, for fuzzy lookup over word windows."""

    names: tuple[tuple[str, str], ...]  # (normalised name, key)

    @staticmethod
    def build(entries: Iterable[tuple[str, Iterable[str]]], lang: str) -> NameIndex:
        names: list[tuple[str, str]] = []
        for key, spoken in entries:
            for name in spoken:
                normal = numbers_to_digits(basic_normalise(name), lang)
                if normal:
                    names.append((normal, key))
        return NameIndex(tuple(names))

    def find(self, words: Sequence[str]) -> NameMatch | None:
        """The best-scoring name heard in `words`, if any scores above the cutoff."""
        best: NameMatch | None = None
        for name, key in self.names:
            size = len(name.split())
            for start in range(len(words) - size + 1):
                window = " ".join(words[start : start + size])
                score = _name_score(name, window)
                if score >= NAME_MATCH_CUTOFF and (best is None or score > best.score):
                    best = NameMatch(key, start, start + size, score)
        return best


def _name_score(name: str, heard: str) -> float:
    # Inflected endings ("аспирина") are fine; a different short word is not.
    if len(name) <= 3:
        return 100.0 if name == heard else 0.0
    score = fuzz.ratio(name, heard)
    if heard.startswith(name) or (len(heard) >= 4 and name.startswith(heard)):
        score = max(score, 90.0)
    return score


def medicine_index(medicines: Sequence[MedicineLike], lang: str) -> NameIndex:
    return NameIndex.build(((m.name, [m.name, *m.aliases]) for m in medicines), lang)


def benefit_index(benefits: Mapping[str, Sequence[str]], lang: str) -> NameIndex:
    return NameIndex.build(
        ((bid, [bid.replace("_", " "), *names]) for bid, names in benefits.items()), lang
    )


def find_role(words: Sequence[str], roles: Mapping[str, Sequence[str]]) -> tuple[str, int] | None:
    """The first role named in `words` and the index of its first word.

    A role is given by stems, one per word ("социальн работ" matches "социальному
    работнику"); a single stem of five letters or more also matches a near miss.
    """
    for index, word in enumerate(words):
        for role, stems in roles.items():
            for stem in stems:
                if _stem_at(words, index, stem.split()) or (
                    len(stem) >= 5 and " " not in stem and fuzz.ratio(word[: len(stem)], stem) >= 85
                ):
                    return role, index
    return None


def _stem_at(words: Sequence[str], index: int, parts: Sequence[str]) -> bool:
    window = words[index : index + len(parts)]
    return len(window) == len(parts) and all(
        w.startswith(p) for w, p in zip(window, parts, strict=True)
    )
