"""Voices and the resident's voice profile (rate and volume), as plain values.

Older listeners follow synthetic speech best at about 150 words per minute
(espeak-ng's default of 175-200 is too fast); much slower than 100 stops
helping, so "slower" has a floor. Volume is espeak-ng's 0..1 scale (1.0 is
its normal full level).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from speech.tts.errors import BadVoiceSettingError, UnknownLanguageError

# Language -> espeak-ng voice name (`espeak-ng --voices`): ru is zle/ru, en is gmw/en.
VOICE_NAMES: dict[str, str] = {"ru": "ru", "en": "en"}
SUPPORTED_LANGUAGES = tuple(VOICE_NAMES)

MIN_RATE_WPM = 90
MAX_RATE_WPM = 220
DEFAULT_RATE_WPM = 150
DEFAULT_VOLUME = 0.9
# "Slower" steps down to this floor; rate_scale of a single request may go to MIN_RATE_WPM.
SLOWEST_PROFILE_RATE_WPM = 100
RATE_STEP_WPM = 15
VOLUME_STEP = 0.1
MAX_VOLUME = 1.0


def normalise_language(lang: str) -> str:
    """ "ru", "RU", "ru-RU" and "ru_RU" all mean the Russian voice; anything else is an error."""
    code = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    if code not in VOICE_NAMES:
        shown = lang.strip() or "(empty)"
        raise UnknownLanguageError(
            f"unknown language {shown!r}: the voices are {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return code


def clamp_rate(rate_wpm: float) -> int:
    return round(min(MAX_RATE_WPM, max(MIN_RATE_WPM, rate_wpm)))


def check_rate(rate_wpm: int) -> int:
    """A rate given by a person (CLI, parameters): out of range is their mistake, not clamped."""
    if not MIN_RATE_WPM <= rate_wpm <= MAX_RATE_WPM:
        raise BadVoiceSettingError(
            f"rate {rate_wpm} words per minute is out of range {MIN_RATE_WPM}..{MAX_RATE_WPM}"
        )
    return rate_wpm


def check_volume(volume: float) -> float:
    if not 0.0 <= volume <= MAX_VOLUME:
        raise BadVoiceSettingError(f"volume {volume} is out of range 0..{MAX_VOLUME:g}")
    return volume


@dataclass(frozen=True)
class Voice:
    """Everything the engine needs to say one utterance."""

    lang: str
    rate_wpm: int
    volume: float

    @property
    def engine_voice(self) -> str:
        return VOICE_NAMES[self.lang]


class ProfileChange(StrEnum):
    SLOWER = "slower"
    ALREADY_SLOWEST = "already_slowest"
    LOUDER = "louder"
    ALREADY_LOUDEST = "already_loudest"


@dataclass(frozen=True)
class VoiceProfile:
    """How the resident likes to be spoken to."""

    rate_wpm: int = DEFAULT_RATE_WPM
    volume: float = DEFAULT_VOLUME

    def slower(self) -> tuple[VoiceProfile, ProfileChange]:
        if self.rate_wpm <= SLOWEST_PROFILE_RATE_WPM:
            return self, ProfileChange.ALREADY_SLOWEST
        rate = max(SLOWEST_PROFILE_RATE_WPM, self.rate_wpm - RATE_STEP_WPM)
        return replace(self, rate_wpm=rate), ProfileChange.SLOWER

    def louder(self) -> tuple[VoiceProfile, ProfileChange]:
        if self.volume >= MAX_VOLUME:
            return self, ProfileChange.ALREADY_LOUDEST
        # Rounded so ten steps land exactly on 1.0 and the JSON file stays readable.
        volume = min(MAX_VOLUME, round(self.volume + VOLUME_STEP, 2))
        return replace(self, volume=volume), ProfileChange.LOUDER

    def voice(self, lang: str, rate_scale: float = 1.0) -> Voice:
        """The voice for one request; `rate_scale` 0 (unset in a message) means 1.0."""
        scale = rate_scale if rate_scale > 0 else 1.0
        return Voice(normalise_language(lang), clamp_rate(self.rate_wpm * scale), self.volume)
