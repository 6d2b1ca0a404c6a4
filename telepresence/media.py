"""The media of a call: the robot's camera and microphone out, the specialist's video and audio in.

Frames are numpy arrays like everywhere on the robot (H x W x 3 RGB uint8, the
pixels of `/camera/image_raw`). Outgoing tracks are made per connection from
long-lived sources (`CameraFeed`, an `AudioSource`), so `RobotPeer.restart()`
can build a fresh connection with the same media.

Pacing uses the injected clock; it must move with the wall clock (a real call
cannot run faster than real time).
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

from homecare.clock import Clock
from telepresence.adaptation import Resolution, fit_within
from telepresence.config import check_resolution
from telepresence.errors import MediaError

Frame = npt.NDArray[np.uint8]
VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_PACKET_S = 0.020  # 20 ms per audio frame, what Opus packs into one packet
MIN_SIDE = 16

log = logging.getLogger(__name__)


def check_rgb_frame(frame: object) -> Frame:
    """`frame` as an H x W x 3 (or H x W grey) uint8 array, or `MediaError` naming the problem."""
    if not isinstance(frame, np.ndarray):
        raise MediaError(f"camera frame is a {type(frame).__name__}, not a numpy array")
    if frame.dtype != np.uint8:
        raise MediaError(f"camera frame dtype is {frame.dtype}, expected uint8")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
        raise MediaError(f"camera frame shape is {frame.shape}, expected HxWx3 (RGB) or HxW")
    if min(frame.shape[0], frame.shape[1]) < MIN_SIDE:
        raise MediaError(
            f"camera frame {frame.shape[1]}x{frame.shape[0]} is smaller than {MIN_SIDE} px"
        )
    return frame


class CameraFeed:
    """The latest camera frame and the largest picture the link may carry now.

    The robot's node calls `push(frame)` for each `/camera/image_raw` message;
    the adaptation loop calls `set_max_resolution`. Until a frame arrives the
    call shows black at the maximum resolution, so the far side sees the call
    is up.
    """

    def __init__(self, max_resolution: Resolution) -> None:
        check_resolution(max_resolution.width, max_resolution.height)
        self._max_resolution = max_resolution
        self._latest: Frame | None = None
        self.frames_pushed = 0

    def push(self, frame: object) -> None:
        self._latest = check_rgb_frame(frame)
        self.frames_pushed += 1

    @property
    def latest(self) -> Frame | None:
        return self._latest

    @property
    def max_resolution(self) -> Resolution:
        return self._max_resolution

    def set_max_resolution(self, width: int, height: int) -> None:
        check_resolution(width, height)
        self._max_resolution = Resolution(width, height)


FrameForSlot = Callable[[int], Frame | None]
"""The frame to send in send slot `n` (0, 1, ...), or None for the feed's latest."""


class CameraVideoTrack(MediaStreamTrack):
    """One connection's outgoing video: the feed's latest frame `fps` times a second, scaled."""

    kind = "video"

    def __init__(
        self,
        feed: CameraFeed,
        clock: Clock,
        fps: float,
        frame_for_slot: FrameForSlot | None = None,
    ) -> None:
        super().__init__()
        self._feed = feed
        self._clock = clock
        self._fps = fps
        self._frame_for_slot = frame_for_slot
        self._started_at: float | None = None
        self._origin = 0.0
        self.frames_sent = 0
        self.last_sent_size: tuple[int, int] | None = None

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        slot = self.frames_sent
        if self._started_at is None:
            self._origin = self._started_at = self._clock.monotonic()
        else:
            due = self._started_at + slot / self._fps
            late = self._clock.monotonic() - due
            if late > 1 / self._fps:
                # Behind (a slow encoder, a busy robot): carry on from now rather than burst.
                self._started_at += late
            else:
                await asyncio.sleep(max(0.0, -late))
        sent_at = self._clock.monotonic()
        picture = self._frame_for_slot(slot) if self._frame_for_slot else None
        if picture is None:
            picture = self._feed.latest
        frame = to_video_frame(picture, self._feed.max_resolution)
        # Timestamps follow the clock, so the far side plays frames out as they were taken.
        frame.pts = round((sent_at - self._origin) * VIDEO_CLOCK_RATE)
        frame.time_base = VIDEO_TIME_BASE
        self.frames_sent += 1
        self.last_sent_size = (frame.width, frame.height)
        return frame


def to_video_frame(picture: Frame | None, limit: Resolution) -> VideoFrame:
    """`picture` (None: black) as a YUV 4:2:0 frame no larger than `limit`."""
    if picture is None:
        black = VideoFrame(
            width=limit.width // 2 * 2, height=limit.height // 2 * 2, format="yuv420p"
        )
        for plane, value in zip(black.planes, (16, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        return black
    if picture.ndim == 2:
        picture = np.repeat(picture[:, :, None], 3, axis=2)
    source = VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
    width, height = fit_within(source.width, source.height, limit)
    # One swscale pass scales and converts to the encoders' input format.
    return source.reformat(width=width, height=height, format="yuv420p")


class AudioSource(Protocol):
    """Where outgoing sound comes from: 16-bit signed PCM, interleaved.

    The microphone adapter (later) implements this; so do `SilenceSource` and
    `WavFileSource`.
    """

    sample_rate: int
    channels: int

    def read(self, samples: int) -> bytes:
        """Exactly `samples` samples per channel (pad with silence when short)."""
        ...


class SilenceSource:
    def __init__(self, sample_rate: int = 48_000, channels: int = 1) -> None:
        self.sample_rate = sample_rate
        self.channels = channels

    def read(self, samples: int) -> bytes:
        return bytes(samples * self.channels * 2)


class WavFileSource:
    """A 16-bit PCM WAV file, played in a loop (or once, then silence)."""

    def __init__(self, path: Path, loop: bool = True) -> None:
        try:
            with wave.open(str(path), "rb") as reader:
                width = reader.getsampwidth()
                self.sample_rate = reader.getframerate()
                self.channels = reader.getnchannels()
                self._pcm = reader.readframes(reader.getnframes())
        except FileNotFoundError:
            raise MediaError(f"audio file {path} does not exist") from None
        except (wave.Error, EOFError, OSError) as error:
            raise MediaError(f"audio file {path} is not a readable WAV file ({error})") from None
        if width != 2:
            raise MediaError(f"audio file {path} has {8 * width}-bit samples, expected 16-bit PCM")
        if self.channels not in (1, 2):
            raise MediaError(f"audio file {path} has {self.channels} channels, expected 1 or 2")
        if not 8000 <= self.sample_rate <= 48_000:
            raise MediaError(f"audio file {path} has a {self.sample_rate} Hz rate (8000..48000)")
        if not self._pcm:
            raise MediaError(f"audio file {path} holds no samples")
        self._loop = loop
        self._position = 0

    def read(self, samples: int) -> bytes:
        wanted = samples * self.channels * 2
        chunk = bytearray()
        while len(chunk) < wanted:
            if self._position >= len(self._pcm):
                if not self._loop:
                    break
                self._position = 0
            piece = self._pcm[self._position : self._position + wanted - len(chunk)]
            chunk += piece
            self._position += len(piece)
        return bytes(chunk) + bytes(wanted - len(chunk))


class SourceAudioTrack(MediaStreamTrack):
    """One connection's outgoing audio: 20 ms frames from an `AudioSource`, paced by the clock."""

    kind = "audio"

    def __init__(self, source: AudioSource, clock: Clock) -> None:
        super().__init__()
        self._source = source
        self._clock = clock
        self._started_at: float | None = None
        self.frames_sent = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        samples = int(AUDIO_PACKET_S * self._source.sample_rate)
        if self._started_at is None:
            self._started_at = self._clock.monotonic()
        else:
            due = self._started_at + self.frames_sent * AUDIO_PACKET_S
            await asyncio.sleep(max(0.0, due - self._clock.monotonic()))
        layout = "mono" if self._source.channels == 1 else "stereo"
        frame = AudioFrame(format="s16", layout=layout, samples=samples)
        frame.planes[0].update(self._source.read(samples))
        frame.sample_rate = self._source.sample_rate
        frame.pts = self.frames_sent * samples
        frame.time_base = fractions.Fraction(1, self._source.sample_rate)
        self.frames_sent += 1
        return frame


class VideoSink(Protocol):
    """Where the specialist's video goes (the robot's screen; headless, a counter)."""

    def on_video_frame(self, frame: Frame) -> None: ...


class AudioSink(Protocol):
    """Where the specialist's sound goes (the speaker; headless, a counter or a WAV file)."""

    def on_audio(self, pcm: bytes, sample_rate: int, channels: int) -> None: ...


class _Counter:
    """A count that coroutines can wait on."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def bump(self) -> None:
        self.count += 1
        self._changed.set()

    async def wait_for(self, count: int, timeout: float, what: str) -> None:
        try:
            async with asyncio.timeout(timeout):
                while self.count < count:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"timed out after {timeout} s waiting for {count} {what} (got {self.count})"
            ) from None


class CountingVideoSink:
    """Headless video sink: counts frames and keeps the last one."""

    def __init__(self) -> None:
        self._counter = _Counter()
        self.last_frame: Frame | None = None

    @property
    def frames(self) -> int:
        return self._counter.count

    def on_video_frame(self, frame: Frame) -> None:
        self.last_frame = frame
        self._counter.bump()

    async def wait_for_frames(self, count: int, timeout: float) -> None:
        await self._counter.wait_for(count, timeout, "video frames")


class CountingAudioSink:
    """Headless audio sink: counts frames and samples."""

    def __init__(self) -> None:
        self._counter = _Counter()
        self.samples = 0
        self.sample_rate = 0

    @property
    def frames(self) -> int:
        return self._counter.count

    def on_audio(self, pcm: bytes, sample_rate: int, channels: int) -> None:
        self.samples += len(pcm) // (2 * channels)
        self.sample_rate = sample_rate
        self._counter.bump()

    async def wait_for_frames(self, count: int, timeout: float) -> None:
        await self._counter.wait_for(count, timeout, "audio frames")


class WavFileAudioSink:
    """Writes the received sound to a WAV file (format taken from the first frame)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: wave.Wave_write | None = None
        self._format: tuple[int, int] | None = None

    def on_audio(self, pcm: bytes, sample_rate: int, channels: int) -> None:
        if self._writer is None:
            self._writer = wave.open(str(self.path), "wb")  # noqa: SIM115 - open for the call, close()
            self._writer.setnchannels(channels)
            self._writer.setsampwidth(2)
            self._writer.setframerate(sample_rate)
            self._format = (sample_rate, channels)
        if (sample_rate, channels) != self._format:
            log.warning(
                "telepresence audio format changed mid-call; frame dropped path=%s", self.path
            )
            return
        self._writer.writeframes(pcm)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


async def consume_video(track: MediaStreamTrack, sink: VideoSink) -> None:
    """Hand each decoded frame of `track` to `sink` as RGB until the track ends."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if isinstance(frame, VideoFrame):
            sink.on_video_frame(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))


async def consume_audio(track: MediaStreamTrack, sink: AudioSink) -> None:
    """Hand each decoded frame of `track` to `sink` as 16-bit PCM until the track ends."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if not isinstance(frame, AudioFrame):
            continue
        if frame.format.name != "s16" or frame.format.is_planar:
            log.warning(
                "telepresence audio frame in %s skipped (expected packed s16)", frame.format.name
            )
            continue
        channels = len(frame.layout.channels)
        pcm = bytes(frame.planes[0])[: frame.samples * channels * 2]
        sink.on_audio(pcm, frame.sample_rate, channels)
