"""What can go wrong when the robot speaks; each message names what was wrong."""

from __future__ import annotations

from homecare.errors import HomecareError


class TtsError(HomecareError):
    """Speech output failed; the message says why."""


class EmptyTextError(TtsError):
    """There was nothing to say."""


class UnknownLanguageError(TtsError):
    """No voice for the requested language."""


class BadVoiceSettingError(TtsError):
    """A rate or volume outside what the voice accepts."""


class SynthesisUnavailableError(TtsError):
    """The speech engine cannot start (espeak-ng or pyttsx3 missing)."""


class SynthesisError(TtsError):
    """The speech engine failed on one utterance."""


class SynthesisTimeoutError(SynthesisError):
    """The speech engine did not finish in time (it was restarted)."""


class AudioOutputError(TtsError):
    """The audio could not be played (no sound device, player missing or failing)."""


class OutputPathError(TtsError):
    """The WAV file cannot be written where asked."""


class ProfileError(TtsError):
    """The voice profile file is unreadable or malformed."""
