"""Robot peer on loopback: `python -m benchmarks.telepresence_loopback [--seconds S] [--quick]`.

Two aiortc peers in one process (the robot's `RobotPeer` and a plain aiortc
specialist) over the loopback interface:

- call set-up: from creating the offer to the first frame DECODED at the
  specialist's side, median of a few calls (target < 1 s);
- sustained video: 640x480 at 15 frames/s for 60 s (issue 8): frames sent,
  received, lost (target < 1 %), achieved frames/s and mean encode->decode
  latency. Each frame carries its number as a strip of black and white blocks,
  read back after decoding, so a lost frame is a missing number, not a guess;
- baseline: the same frames through PyAV's VP8 encoder and decoder directly
  (no network, no pacing), and the ratio of the call's latency to it.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import statistics
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from benchmarks.machine import describe_machine
from homecare.clock import Clock, SystemClock
from telepresence.config import PeerConfig
from telepresence.loopback import SpecialistPeer
from telepresence.media import CountingVideoSink, Frame
from telepresence.peer import CallState, RobotPeer

WIDTH, HEIGHT, FPS = 640, 480, 15.0
SETUP_TARGET_S = 1.0
LOSS_TARGET_PERCENT = 1.0
BITS = 16  # frame numbers up to 65535: 72 minutes at 15 frames/s
STRIP_ROWS = 2  # the number's bits, then the same bits inverted (a check against misreads)


def base_picture(width: int = WIDTH, height: int = HEIGHT) -> Frame:
    """A smooth colour gradient, roughly what a room looks like to the codec."""
    ys, xs = np.mgrid[0:height, 0:width]
    red = (xs * 255 // max(1, width - 1)).astype(np.uint8)
    green = (ys * 255 // max(1, height - 1)).astype(np.uint8)
    blue = np.full((height, width), 120, dtype=np.uint8)
    return np.stack([red, green, blue], axis=2)


def numbered_picture(base: Frame, number: int) -> Frame:
    """`base` with `number` drawn as blocks on top and a square that moves (the codec has work)."""
    picture = base.copy()
    height, width = picture.shape[:2]
    block_w, block_h = width // BITS, height // 12
    for bit in range(BITS):
        value = (number >> bit) & 1
        for row, level in enumerate((value, 1 - value)):
            top = row * block_h
            picture[top : top + block_h, bit * block_w : (bit + 1) * block_w] = 255 * level
    side = height // 6
    x = (number * 8) % (width - side)
    y = 2 * block_h + (number * 3) % (height - 2 * block_h - side)
    picture[y : y + side, x : x + side] = (230, 60, 40)
    return picture


def read_number(picture: npt.NDArray[np.uint8]) -> int | None:
    """The number drawn by `numbered_picture` (at any scale), or None when unreadable."""
    height, width = picture.shape[:2]
    block_w, block_h = width / BITS, height / 12
    grey = picture.mean(axis=2) if picture.ndim == 3 else picture
    number = 0
    for bit in range(BITS):
        x0, x1 = int(bit * block_w + block_w / 4), int((bit + 1) * block_w - block_w / 4)
        levels = []
        for row in range(STRIP_ROWS):
            y0, y1 = int(row * block_h + block_h / 4), int((row + 1) * block_h - block_h / 4)
            levels.append(float(grey[y0:y1, x0:x1].mean()) > 128)
        if levels[0] == levels[1]:
            return None  # the check row disagrees: a damaged picture
        number |= int(levels[0]) << bit
    return number


@dataclass
class NumberedVideo:
    """The robot's numbered frames: when each went to the encoder, when each came out decoded."""

    clock: Clock
    base: Frame = field(default_factory=base_picture)
    sent_at: dict[int, float] = field(default_factory=dict)
    received_at: dict[int, float] = field(default_factory=dict)
    unreadable: int = 0
    decoded: int = 0

    def frame_for_slot(self, slot: int) -> Frame:
        self.sent_at[slot] = self.clock.monotonic()
        return numbered_picture(self.base, slot)

    def on_video_frame(self, frame: Frame) -> None:
        self.decoded += 1
        number = read_number(frame)
        if number is None:
            self.unreadable += 1
        elif number not in self.received_at:
            self.received_at[number] = self.clock.monotonic()


async def call_setup_seconds(clock: Clock) -> float:
    """Offer creation to the first decoded frame at the specialist's side, one call."""
    robot = RobotPeer(PeerConfig(send_audio=True), clock)
    robot.push(numbered_picture(base_picture(), 0))
    sink = CountingVideoSink()
    specialist = SpecialistPeer(clock, sink)
    try:
        started = clock.monotonic()
        offer = await robot.create_offer()
        await robot.accept_answer(await specialist.answer(offer))
        await sink.wait_for_frames(1, timeout=15.0)
        return clock.monotonic() - started
    finally:
        await robot.close()
        await specialist.close()


async def sustained(clock: Clock, seconds: float) -> dict[str, Any]:
    video = NumberedVideo(clock)
    robot = RobotPeer(
        PeerConfig(fps=FPS, max_width=WIDTH, max_height=HEIGHT),
        clock,
        frame_for_slot=video.frame_for_slot,
    )
    specialist = SpecialistPeer(clock, video)
    try:
        await robot.accept_answer(await specialist.answer(await robot.create_offer()))
        await robot.wait_for_state(CallState.CONNECTED, timeout=15.0)
        started = clock.monotonic()
        await asyncio.sleep(seconds)
        sent = robot.video_track.frames_sent
        # Frames still in flight are not lost: give them a moment to arrive.
        grace_until = clock.monotonic() + 2.0
        while clock.monotonic() < grace_until and any(
            n not in video.received_at for n in range(max(0, sent - 3), sent)
        ):
            await asyncio.sleep(0.05)
        elapsed = clock.monotonic() - started
        state = robot.state
        sizes = robot.video_track.last_sent_size
    finally:
        await robot.close()
        await specialist.close()
    received = [n for n in video.received_at if n < sent]
    latencies = [video.received_at[n] - video.sent_at[n] for n in received if n in video.sent_at]
    times = sorted(video.received_at[n] for n in received)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    lost = sent - len(received)
    return {
        "seconds": round(elapsed, 1),
        "resolution_sent": f"{sizes[0]}x{sizes[1]}" if sizes else "none",
        "frames_sent": sent,
        "frames_received": len(received),
        "frames_lost": lost,
        "loss_percent": round(100.0 * lost / sent, 2) if sent else 100.0,
        "frames_unreadable": video.unreadable,
        "achieved_fps": round((len(times) - 1) / span, 1) if span > 0 else 0.0,
        "mean_latency_ms": round(1000 * statistics.fmean(latencies), 1) if latencies else None,
        "state_at_end": str(state),
    }


def baseline(clock: Clock, frames: int) -> dict[str, Any]:
    """The same pictures through libvpx VP8 and back with PyAV: no network, no pacing."""
    base = base_picture()
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.bit_rate = 500_000  # aiortc's starting VP8 bit rate
    encoder.framerate = fractions.Fraction(int(FPS))
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    decoder = av.CodecContext.create("vp8", "r")
    readable, busy = 0, 0.0
    for number in range(frames):
        picture = av.VideoFrame.from_ndarray(numbered_picture(base, number), format="rgb24")
        started = clock.monotonic()
        yuv = picture.reformat(format="yuv420p")
        yuv.pts = number
        decoded = [out for packet in encoder.encode(yuv) for out in decoder.decode(packet)]
        busy += clock.monotonic() - started
        numbers = [
            read_number(np.asarray(out.to_ndarray(format="rgb24"), np.uint8)) for out in decoded
        ]
        readable += numbers.count(number)
    return {
        "frames": frames,
        "frames_read_back": readable,
        "encode_decode_ms": round(1000 * busy / frames, 2),
        "capacity_fps": round(frames / busy, 1) if busy > 0 else 0.0,
    }


async def run(seconds: float, setup_runs: int) -> dict[str, Any]:
    clock = SystemClock()
    setups = [await call_setup_seconds(clock) for _ in range(setup_runs)]
    stream = await sustained(clock, seconds)
    base = baseline(clock, frames=min(300, max(30, int(seconds * FPS))))
    setup_median = statistics.median(setups)
    latency = stream["mean_latency_ms"]
    return {
        "setup_seconds": [round(s, 3) for s in setups],
        "setup_median_s": round(setup_median, 3),
        "setup_pass": setup_median < SETUP_TARGET_S,
        "sustained": stream,
        "loss_pass": stream["loss_percent"] < LOSS_TARGET_PERCENT,
        "baseline": base,
        "latency_ratio": round(latency / base["encode_decode_ms"], 1)
        if latency and base["encode_decode_ms"]
        else None,
    }


def print_report(report: dict[str, Any]) -> None:
    print(report["machine_line"])
    verdict = {True: "PASS", False: "MISS"}
    print(
        f"call set-up (offer -> first decoded frame), median of {len(report['setup_seconds'])}: "
        f"{report['setup_median_s'] * 1000:.0f} ms (target < {SETUP_TARGET_S * 1000:.0f} ms) "
        f"{verdict[report['setup_pass']]}  runs: "
        + ", ".join(f"{s * 1000:.0f}" for s in report["setup_seconds"])
    )
    s = report["sustained"]
    print(
        f"{s['resolution_sent']} at {FPS:.0f} frames/s for {s['seconds']} s: "
        f"sent {s['frames_sent']}, received {s['frames_received']}, "
        f"lost {s['frames_lost']} = {s['loss_percent']:.2f} % "
        f"(target < {LOSS_TARGET_PERCENT:.0f} %) {verdict[report['loss_pass']]}"
    )
    print(
        f"  achieved {s['achieved_fps']} frames/s, mean encode->decode latency "
        f"{s['mean_latency_ms']} ms, unreadable frames {s['frames_unreadable']}"
    )
    b = report["baseline"]
    print(
        f"baseline PyAV VP8 encode+decode, no network: {b['encode_decode_ms']} ms/frame "
        f"({b['capacity_fps']} frames/s capacity, "
        f"{b['frames_read_back']}/{b['frames']} numbers read back); "
        f"call latency / baseline = {report['latency_ratio']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="sustained video length (default 60)"
    )
    parser.add_argument(
        "--setup-runs", type=int, default=5, help="calls for the set-up median (default 5)"
    )
    parser.add_argument("--quick", action="store_true", help="5 s of video, 3 set-up calls")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.setup_runs = 5.0, 3
    if not args.seconds > 0 or args.setup_runs < 1:
        parser.error("--seconds must be positive and --setup-runs at least 1")
    machine = describe_machine()
    report = asyncio.run(run(args.seconds, args.setup_runs))
    report["machine"] = machine.as_dict()
    report["machine_line"] = machine.line()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
