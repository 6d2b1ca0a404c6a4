"""Playing WAV files on the robot's speaker with `aplay` (alsa-utils).

A child process per sound, so an urgent message can cut the current one off
by killing it.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

from speech.tts.errors import AudioOutputError


class AplayPlayer:
    def __init__(self, device: str = "default", program: str = "aplay") -> None:
        self.device = device
        self.program = program

    def play(self, wav_path: Path) -> AplayPlayback:
        executable = shutil.which(self.program)
        if executable is None:
            raise AudioOutputError(
                f"no audio output: {self.program} is not installed (apt-get install alsa-utils)"
            )
        process = subprocess.Popen(
            [executable, "-q", "-D", self.device, str(wav_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return AplayPlayback(process)


class AplayPlayback:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._stopped = threading.Event()
        self._stderr = b""

    def wait(self, timeout_s: float) -> bool:
        try:
            # communicate() also drains stderr, so a chatty player never blocks on a full pipe.
            _, stderr = self._process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        except ValueError:  # already communicated (a second wait)
            return self._process.poll() is not None
        self._stderr = stderr or b""
        return True

    def stop(self) -> None:
        self._stopped.set()
        if self._process.poll() is None:
            self._process.kill()

    def check(self) -> None:
        code = self._process.poll()
        if code is None or code == 0 or self._stopped.is_set():
            return
        raise AudioOutputError(describe_aplay_failure(self._stderr.decode(errors="replace"), code))


def describe_aplay_failure(stderr: str, exit_code: int) -> str:
    """One line from aplay's noisy stderr (ALSA library lines first, aplay's own last)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    own = [line for line in lines if line.startswith("aplay:")]
    said = (own or lines or [f"exit code {exit_code}"])[0]
    # "aplay: main:831: audio open error: ..." -> "audio open error: ..."
    said = said.removeprefix("aplay:").strip()
    parts = said.split(": ", 1)
    if len(parts) == 2 and ":" in parts[0] and " " not in parts[0]:
        said = parts[1]
    device_missing = any(
        marker in stderr for marker in ("audio open error", "no soundcards", "Unknown PCM")
    )
    prefix = "no audio output device" if device_missing else "audio playback failed"
    return f"{prefix}: aplay said: {said}"
