"""Errors of speech input that a user can fix: a missing model, bad audio, no microphone."""

from __future__ import annotations

from homecare.errors import HomecareError


class AsrError(HomecareError):
    """Speech input cannot go on; the message says what is wrong and how to fix it."""


class ModelNotFoundError(AsrError):
    """No vosk model at the configured path (or not a vosk model)."""


class AudioFormatError(AsrError):
    """Audio that is not 16-bit mono PCM at the declared sample rate."""


class MicrophoneUnavailableError(AsrError):
    """No input device could be opened."""


class ModelDownloadError(AsrError):
    """A model archive could not be fetched, verified or unpacked."""
