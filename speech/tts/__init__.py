"""Speech output: text to speech with pyttsx3/espeak-ng, for listeners who hear poorly.

- `SpeechQueue`: priority queue and one worker thread in front of a `Speaker`
  (urgent messages interrupt chatter), results polled with `take_done`.
- `EspeakSpeaker`: the real `Speaker` (pyttsx3 in a child process, aplay).
- `VoiceProfile` / `ProfileStore`: the resident's rate and volume, persisted.
- `FirstAudioProbe`: time from a request to the first audio (benchmarks).
"""

from speech.tts.errors import (
    AudioOutputError,
    BadVoiceSettingError,
    EmptyTextError,
    OutputPathError,
    ProfileError,
    SynthesisError,
    SynthesisTimeoutError,
    SynthesisUnavailableError,
    TtsError,
    UnknownLanguageError,
)
from speech.tts.espeak_speaker import EspeakSpeaker
from speech.tts.model import OutputMode, Priority, SpeechDone, SpeechRequest, Status
from speech.tts.port import Playback, Speaker
from speech.tts.profile_store import ProfileStore
from speech.tts.queue import SpeechQueue
from speech.tts.voice import ProfileChange, Voice, VoiceProfile

__all__ = [
    "AudioOutputError",
    "BadVoiceSettingError",
    "EmptyTextError",
    "EspeakSpeaker",
    "OutputMode",
    "OutputPathError",
    "Playback",
    "Priority",
    "ProfileChange",
    "ProfileError",
    "ProfileStore",
    "Speaker",
    "SpeechDone",
    "SpeechQueue",
    "SpeechRequest",
    "Status",
    "SynthesisError",
    "SynthesisTimeoutError",
    "SynthesisUnavailableError",
    "TtsError",
    "UnknownLanguageError",
    "Voice",
    "VoiceProfile",
]
