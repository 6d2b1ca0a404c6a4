"""`EspeakSpeaker`: the real `Speaker` (pyttsx3 + espeak-ng in a child process, aplay)."""

from __future__ import annotations

import os
from pathlib import Path

from speech.tts.aplay import AplayPlayback, AplayPlayer
from speech.tts.errors import OutputPathError
from speech.tts.voice import Voice
from speech.tts.wav import AudioInfo
from speech.tts.worker import SynthesisWorker


class EspeakSpeaker:
    def __init__(
        self, worker: SynthesisWorker | None = None, player: AplayPlayer | None = None
    ) -> None:
        self.worker = worker or SynthesisWorker()
        self.player = player or AplayPlayer()

    def warm_up(self) -> None:
        self.worker.start()

    def synthesize(self, text: str, voice: Voice, wav_path: Path) -> AudioInfo:
        check_writable(wav_path)
        return self.worker.synthesize(text, voice, wav_path)

    def play(self, wav_path: Path) -> AplayPlayback:
        return self.player.play(wav_path)

    def close(self) -> None:
        self.worker.close()


def check_writable(wav_path: Path) -> None:
    """A clear error before the engine tries (its driver would swallow the failure)."""
    if wav_path.is_dir():
        raise OutputPathError(f"{wav_path} is a directory; give a file name such as speech.wav")
    folder = wav_path.parent
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {wav_path}: folder {folder} does not exist")
    # Trying is the only honest test (permissions, read-only mounts, /proc, root's powers).
    probe = wav_path.with_name(wav_path.name + ".part")
    try:
        probe.open("wb").close()
        probe.unlink()
    except OSError as error:
        raise OutputPathError(f"cannot write {wav_path}: {error.strerror or error}") from None
    if wav_path.exists() and not os.access(wav_path, os.W_OK):
        raise OutputPathError(f"cannot write {wav_path}: the file is read-only")
