"""Outgoing camera and sound, incoming sinks: frames, scaling, WAV files, bad input."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from homecare.clock import ManualClock
from telepresence.adaptation import Resolution
from telepresence.errors import MediaError
from telepresence.media import (
    CameraFeed,
    CameraVideoTrack,
    CountingVideoSink,
    SilenceSource,
    SourceAudioTrack,
    WavFileAudioSink,
    WavFileSource,
    to_video_frame,
)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return path


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (None, "NoneType, not a numpy array"),
        (np.zeros((480, 640, 3), dtype=np.float32), "dtype is float32"),
        (np.zeros((480, 640, 4), dtype=np.uint8), "shape is \\(480, 640, 4\\)"),
        (np.zeros((8, 8, 3), dtype=np.uint8), "smaller than 16 px"),
    ],
)
def test_a_bad_camera_frame_is_refused_naming_the_problem(frame: object, message: str) -> None:
    feed = CameraFeed(Resolution(640, 480))
    with pytest.raises(MediaError, match=message):
        feed.push(frame)
    assert feed.latest is None and feed.frames_pushed == 0


def test_a_frame_is_scaled_down_to_the_maximum_resolution_keeping_its_aspect() -> None:
    frame = to_video_frame(np.zeros((720, 1280, 3), dtype=np.uint8), Resolution(640, 480))
    assert (frame.width, frame.height, frame.format.name) == (640, 360, "yuv420p")


def test_grey_frames_are_sent_as_colour_and_small_ones_are_not_enlarged() -> None:
    frame = to_video_frame(np.full((240, 320), 200, dtype=np.uint8), Resolution(640, 480))
    assert (frame.width, frame.height) == (320, 240)
    assert abs(int(frame.to_ndarray(format="rgb24")[120, 160, 0]) - 200) <= 3


def test_before_the_first_frame_the_call_shows_black_at_the_maximum_resolution() -> None:
    frame = to_video_frame(None, Resolution(320, 240))
    rgb = frame.to_ndarray(format="rgb24")
    assert rgb.shape == (240, 320, 3) and int(rgb.max()) <= 2


def test_the_video_track_sends_the_latest_frame_at_the_current_maximum_resolution() -> None:
    clock = ManualClock()
    feed = CameraFeed(Resolution(640, 480))
    track = CameraVideoTrack(feed, clock, fps=10.0)

    async def scenario() -> list[tuple[int, int, int]]:
        sent = []
        feed.push(np.full((480, 640, 3), 100, dtype=np.uint8))
        for resolution in (Resolution(640, 480), Resolution(320, 240)):
            feed.set_max_resolution(resolution.width, resolution.height)
            frame = await track.recv()
            sent.append((frame.width, frame.height, int(frame.pts or 0)))
            clock.advance(0.1)  # the next slot is due: no waiting
        return sent

    assert asyncio.run(scenario()) == [(640, 480, 0), (320, 240, 9000)]
    assert track.frames_sent == 2


def test_a_slot_source_overrides_the_feed_for_numbered_test_pictures() -> None:
    feed = CameraFeed(Resolution(64, 48))
    slots: list[int] = []

    def frame_for_slot(slot: int) -> np.ndarray:
        slots.append(slot)
        return np.full((48, 64, 3), 10 * slot, dtype=np.uint8)

    clock = ManualClock()
    track = CameraVideoTrack(feed, clock, fps=15.0, frame_for_slot=frame_for_slot)

    async def scenario() -> None:
        for _ in range(3):
            await track.recv()
            clock.advance(1 / 15)

    asyncio.run(scenario())
    assert slots == [0, 1, 2]


def test_set_max_resolution_refuses_a_silly_size() -> None:
    with pytest.raises(MediaError, match="resolution 0x0"):
        CameraFeed(Resolution(640, 480)).set_max_resolution(0, 0)


def test_a_wav_source_loops_and_pads_when_not_looping(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "tone.wav", np.arange(1, 5, dtype=np.int16))
    looping = WavFileSource(path)
    assert np.frombuffer(looping.read(6), np.int16).tolist() == [1, 2, 3, 4, 1, 2]
    once = WavFileSource(path, loop=False)
    assert np.frombuffer(once.read(6), np.int16).tolist() == [1, 2, 3, 4, 0, 0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"RIFF nonsense", "not a readable WAV file"),
    ],
)
def test_a_missing_or_broken_audio_file_is_refused(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "sound.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError, match=message):
        WavFileSource(path)


def test_an_8_bit_wav_is_refused(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "eight.wav", np.zeros(10, dtype=np.uint8), width=1)
    with pytest.raises(MediaError, match="8-bit samples, expected 16-bit PCM"):
        WavFileSource(path)


def test_the_audio_track_sends_20_ms_frames_from_its_source() -> None:
    clock = ManualClock()
    track = SourceAudioTrack(SilenceSource(sample_rate=48_000), clock)

    async def scenario() -> list[tuple[int, int, int]]:
        frames = []
        for _ in range(2):
            frame = await track.recv()
            frames.append((frame.samples, frame.sample_rate, int(frame.pts or 0)))
            clock.advance(0.02)
        return frames

    assert asyncio.run(scenario()) == [(960, 48_000, 0), (960, 48_000, 960)]


def test_the_wav_sink_writes_what_it_receives(tmp_path: Path) -> None:
    sink = WavFileAudioSink(tmp_path / "heard.wav")
    pcm = np.arange(960 * 2, dtype=np.int16).tobytes()
    sink.on_audio(pcm, 48_000, 2)
    sink.on_audio(pcm, 48_000, 2)
    sink.on_audio(b"\x00\x00", 16_000, 1)  # a format change mid-call is dropped, not mixed in
    sink.close()
    with wave.open(str(tmp_path / "heard.wav"), "rb") as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getnframes()) == (
            2,
            48_000,
            1920,
        )


def test_waiting_for_frames_names_what_is_missing_after_the_deadline() -> None:
    sink = CountingVideoSink()

    async def scenario() -> None:
        sink.on_video_frame(np.zeros((16, 16, 3), dtype=np.uint8))
        await sink.wait_for_frames(1, timeout=1.0)
        await sink.wait_for_frames(2, timeout=0.05)

    with pytest.raises(TimeoutError, match="waiting for 2 video frames \\(got 1\\)"):
        asyncio.run(scenario())


def test_a_late_track_carries_on_from_now_with_timestamps_that_follow_the_clock() -> None:
    clock = ManualClock()
    feed = CameraFeed(Resolution(64, 48))
    track = CameraVideoTrack(feed, clock, fps=15.0)

    async def scenario() -> list[int]:
        stamps = [int((await track.recv()).pts or 0)]
        clock.advance(0.5)  # the encoder stalled for seven slots
        stamps.append(int((await track.recv()).pts or 0))
        clock.advance(1 / 15)
        stamps.append(int((await track.recv()).pts or 0))
        return stamps

    assert asyncio.run(scenario()) == [0, 45_000, 51_000]
