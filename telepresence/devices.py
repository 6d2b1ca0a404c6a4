"""The robot's microphone and speaker for a call, chosen by a setting string.

    microphone: "none" (silence), "wav:/path.wav" (a file, for simulation),
                "alsa:<device>" (`arecord` on an ALSA device)
    speaker:    "none" (a counting sink), "alsa:<device>" (`aplay` on an ALSA device)

ALSA's command-line tools are used rather than a Python audio binding: they
are on every Debian robot (alsa-utils), need no build, and a stuck device
cannot block the call's event loop. Capture and playback run only while a call
is up (the node makes a fresh source and sink per call and closes them after),
so the microphone is never open outside an accepted call. Nothing is written to
disk.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
from pathlib import Path
from typing import IO

from telepresence.errors import MediaError
from telepresence.media import (
    AudioSink,
    AudioSource,
    CountingAudioSink,
    SilenceSource,
    WavFileSource,
)

log = logging.getLogger(__name__)

CAPTURE_RATE = 48_000  # Opus's native rate: no resampling before the encoder
# At most this much captured sound waits for the call; older sound is dropped (lag, not a backlog).
MAX_BUFFERED_S = 0.5
READ_CHUNK_BYTES = 1920  # 20 ms of 48 kHz mono 16-bit


def check_microphone_setting(setting: str) -> None:
    """Raise `MediaError` unless `setting` names a microphone (checked at start-up)."""
    kind, _, argument = setting.partition(":")
    if setting == "none":
        return
    if kind == "wav" and argument:
        WavFileSource(Path(argument).expanduser())  # a missing or bad file fails now, not mid-call
        return
    if kind == "alsa" and argument:
        return
    raise MediaError(
        f"microphone {setting!r} is not one of: none, wav:/path/to/file.wav, alsa:<device>"
    )


def check_speaker_setting(setting: str) -> None:
    kind, _, argument = setting.partition(":")
    if setting == "none" or (kind == "alsa" and argument):
        return
    raise MediaError(f"speaker {setting!r} is not one of: none, alsa:<device>")


def open_microphone(setting: str) -> AudioSource:
    """The call's sound source for a checked setting (see `check_microphone_setting`)."""
    check_microphone_setting(setting)
    kind, _, argument = setting.partition(":")
    if kind == "wav":
        return WavFileSource(Path(argument).expanduser())
    if kind == "alsa":
        return ArecordSource(argument)
    return SilenceSource()


def open_speaker(setting: str) -> AudioSink:
    check_speaker_setting(setting)
    kind, _, argument = setting.partition(":")
    if kind == "alsa":
        return AplaySink(argument)
    return CountingAudioSink()


def close_device(device: object) -> None:
    """Release a source or sink that holds a process (the others need nothing)."""
    close = getattr(device, "close", None)
    if callable(close):
        close()


class ArecordSource:
    """Captures 48 kHz mono 16-bit sound with `arecord` from the first `read()` until `close()`.

    A reader thread keeps the latest `MAX_BUFFERED_S` of sound; `read()` never
    blocks (it pads with silence), so a slow device cannot stall the event loop.
    """

    sample_rate = CAPTURE_RATE
    channels = 1

    def __init__(self, device: str) -> None:
        self.device = device
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._closed = False
        self.failed: str | None = None  # why capture stopped, if it did
        self.bytes_captured = 0

    def command(self) -> list[str]:
        return ["arecord", "-q", "-f", "S16_LE", "-c1", f"-r{CAPTURE_RATE}", "-D", self.device,
                "-t", "raw"]  # fmt: skip

    def read(self, samples: int) -> bytes:
        if self._process is None and not self._closed and self.failed is None:
            self._start()
        wanted = samples * self.channels * 2
        with self._lock:
            chunk = bytes(self._buffer[:wanted])
            del self._buffer[:wanted]
        return chunk + bytes(wanted - len(chunk))

    def _start(self) -> None:
        try:
            self._process = subprocess.Popen(
                self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as error:
            self.failed = f"arecord could not start: {error}"
            log.warning("telepresence microphone off: %s", self.failed)
            return
        self._reader = threading.Thread(
            target=self._read_forever, args=(self._process,), name="arecord", daemon=True
        )
        self._reader.start()

    def _read_forever(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        limit = int(MAX_BUFFERED_S * CAPTURE_RATE) * 2
        while True:
            data = process.stdout.read1(READ_CHUNK_BYTES)  # type: ignore[attr-defined]
            if not data:
                break
            with self._lock:
                self._buffer += data
                if len(self._buffer) > limit:
                    del self._buffer[: len(self._buffer) - limit]
            self.bytes_captured += len(data)
        if not self._closed:
            self.failed = f"arecord on {self.device} stopped: {_stderr_tail(process.stderr)}"
            log.warning("telepresence microphone off: %s", self.failed)

    def close(self) -> None:
        self._closed = True
        process, self._process = self._process, None
        if process is not None:
            _stop(process)
        if self._reader is not None:
            self._reader.join(timeout=5.0)
            self._reader = None
        with self._lock:
            self._buffer.clear()  # sound from the call does not outlive it


class AplaySink:
    """Plays the specialist's sound with `aplay`; restarted when the format changes."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._process: subprocess.Popen[bytes] | None = None
        self._format: tuple[int, int] | None = None
        self.failed: str | None = None
        self.frames = 0

    def command(self, sample_rate: int, channels: int) -> list[str]:
        return ["aplay", "-q", "-f", "S16_LE", f"-c{channels}", f"-r{sample_rate}",
                "-D", self.device, "-t", "raw"]  # fmt: skip

    def on_audio(self, pcm: bytes, sample_rate: int, channels: int) -> None:
        if self.failed is not None:
            return  # one warning, then silence: the call goes on without sound
        if self._format != (sample_rate, channels):
            self._restart(sample_rate, channels)
        process = self._process
        if process is None or process.stdin is None:
            return
        try:
            process.stdin.write(pcm)
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.failed = f"aplay on {self.device} stopped: {_stderr_tail(process.stderr)}"
            log.warning("telepresence speaker off: %s", self.failed)
            return
        self.frames += 1

    def _restart(self, sample_rate: int, channels: int) -> None:
        if self._process is not None:
            _stop(self._process)
            self._process = None
        self._format = (sample_rate, channels)
        try:
            self._process = subprocess.Popen(
                self.command(sample_rate, channels),
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            self.failed = f"aplay could not start: {error}"
            log.warning("telepresence speaker off: %s", self.failed)

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _stderr_tail(stream: IO[bytes] | None) -> str:
    if stream is None:
        return "no message"
    try:
        text = stream.read().decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        return "no message"
    return text.splitlines()[-1] if text else "no message"
