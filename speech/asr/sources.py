"""Audio sources: the `Microphone` port, a WAV file source and the sounddevice microphone.

Every source hands out chunks of 16-bit mono PCM at its `sample_rate`;
`read()` returns None once the stream has ended (a file's end, a closed device).
"""

from __future__ import annotations

import contextlib
import queue
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from speech.asr.errors import AudioFormatError, MicrophoneUnavailableError
from speech.asr.pcm import SAMPLE_WIDTH_BYTES, resample

DEFAULT_CHUNK_S = 0.1


class Microphone(Protocol):
    """Where speech comes from: a sound card, a file, a simulator."""

    @property
    def sample_rate(self) -> int: ...

    def read(self) -> bytes | None:
        """The next chunk of 16-bit mono PCM (blocks until there is one); None at the end."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class WavAudio:
    sample_rate: int
    pcm: bytes


def read_wav(
    path: Path, expected_rate: int | None = None, resample_to: int | None = None
) -> WavAudio:
    """A WAV file's 16-bit mono PCM, checked against what the caller declared.

    `expected_rate`: the rate the recogniser was built for; a file at another
    rate is an error (vosk would return empty or garbage text). `resample_to`:
    convert instead of refusing.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            pcm = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise AudioFormatError(f"WAV file {path} does not exist") from None
    except IsADirectoryError:
        raise AudioFormatError(f"{path} is a folder, not a WAV file") from None
    except (wave.Error, EOFError) as error:
        raise AudioFormatError(f"{path} is not a readable PCM WAV file: {error}") from None
    if channels != 1 or width != SAMPLE_WIDTH_BYTES:
        raise AudioFormatError(
            f"{path} has {channels} channel(s) of {8 * width}-bit samples; speech input needs "
            "16-bit mono PCM (convert with: sox IN -c 1 -b 16 OUT.wav)"
        )
    if resample_to is not None and rate != resample_to:
        return WavAudio(resample_to, resample(pcm, rate, resample_to))
    if expected_rate is not None and rate != expected_rate:
        raise AudioFormatError(
            f"{path} is sampled at {rate} Hz but the recogniser expects {expected_rate} Hz: "
            f"resample the file (sox IN -r {expected_rate} OUT.wav) or declare {rate} Hz"
        )
    return WavAudio(rate, pcm)


class WavFileSource:
    """A WAV file as a stream of chunks (tests, simulation, `homecare` tools)."""

    def __init__(
        self,
        path: Path,
        chunk_s: float = DEFAULT_CHUNK_S,
        expected_rate: int | None = None,
        resample_to: int | None = None,
    ) -> None:
        audio = read_wav(path, expected_rate, resample_to)
        self._rate = audio.sample_rate
        self._pcm = audio.pcm
        self._chunk_bytes = max(1, round(chunk_s * self._rate)) * SAMPLE_WIDTH_BYTES
        self._offset = 0

    @property
    def sample_rate(self) -> int:
        return self._rate

    def read(self) -> bytes | None:
        if self._offset >= len(self._pcm):
            return None
        chunk = self._pcm[self._offset : self._offset + self._chunk_bytes]
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        self._offset = len(self._pcm)


class SounddeviceMicrophone:
    """The default input device through PortAudio (sounddevice), 16-bit mono.

    PortAudio calls back from its own thread; chunks wait in a bounded queue
    so a slow consumer loses the oldest audio, never blocks the sound card.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        chunk_s: float = DEFAULT_CHUNK_S,
        device: str | int | None = None,
        max_queued_chunks: int = 100,
    ) -> None:
        self._rate = sample_rate
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=max_queued_chunks)
        self.dropped_chunks = 0
        try:
            import sounddevice  # type: ignore[import-untyped]
        except OSError as error:  # the PortAudio library itself is missing
            raise MicrophoneUnavailableError(
                f"no microphone: PortAudio is not installed ({error}); "
                "apt-get install libportaudio2"
            ) from None
        try:
            sounddevice.check_input_settings(
                device=device, channels=1, dtype="int16", samplerate=sample_rate
            )
            self._stream = sounddevice.RawInputStream(
                samplerate=sample_rate,
                blocksize=max(1, round(chunk_s * sample_rate)),
                device=device,
                channels=1,
                dtype="int16",
                callback=self._on_audio,
            )
            self._stream.start()
        except (sounddevice.PortAudioError, ValueError) as error:
            name = "(default)" if device is None else device
            raise MicrophoneUnavailableError(
                f"no microphone: cannot open input device {name} at {sample_rate} Hz mono: {error}"
            ) from None

    @property
    def sample_rate(self) -> int:
        return self._rate

    def _on_audio(self, data: Any, frames: int, time: Any, status: Any) -> None:
        chunk = bytes(data)
        try:
            self._chunks.put_nowait(chunk)
        except queue.Full:
            self.dropped_chunks += 1
            try:
                self._chunks.get_nowait()
                self._chunks.put_nowait(chunk)
            except (queue.Empty, queue.Full):
                pass

    def read(self) -> bytes | None:
        return self._chunks.get()

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()
        with contextlib.suppress(queue.Empty):
            self._chunks.get_nowait()  # room for the end mark even when the queue is full
        with contextlib.suppress(queue.Full):
            self._chunks.put_nowait(None)  # wakes a reader blocked in read()
