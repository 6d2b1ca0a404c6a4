"""Speech input: audio sources, voice-activity detection, and recognition with vosk.

Ports: `Recognizer` (vosk adapter in `vosk_adapter`), `Microphone` (sounddevice
adapter and a WAV file source in `sources`). Models come from a local folder
only (`models.model_path`), never from a download at run time.
"""

from speech.asr.errors import (
    AsrError,
    AudioFormatError,
    MicrophoneUnavailableError,
    ModelDownloadError,
    ModelNotFoundError,
)
from speech.asr.grammar import Grammar, build_grammar
from speech.asr.recognizer import Outcome, Recognition, Recognizer, RejectionPolicy, Word
from speech.asr.sources import Microphone, WavFileSource, read_wav
from speech.asr.vad import EndReason, VadParams, VoiceActivityDetector

__all__ = [
    "AsrError",
    "AudioFormatError",
    "EndReason",
    "Grammar",
    "Microphone",
    "MicrophoneUnavailableError",
    "ModelDownloadError",
    "ModelNotFoundError",
    "Outcome",
    "Recognition",
    "Recognizer",
    "RejectionPolicy",
    "VadParams",
    "VoiceActivityDetector",
    "WavFileSource",
    "Word",
    "build_grammar",
    "read_wav",
]
