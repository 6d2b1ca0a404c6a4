"""From the end of the resident's speech to the first audio of the robot's reply (ASR excluded):
`python -m benchmarks.speech_latency`.

For each phrase: the dialog manager with the real NLU turns the final text into
its reply ("Который час?" -> "Сейчас 10 часов 15 минут."), then the real TTS
queue and espeak-ng engine (warm, as on a running robot) write the reply's WAV.
Target (issue 5): under 300 ms for intent + TTS start. The baseline, measured
in the same run on the same replies, is a bare `espeak-ng -w` process per
reply: the ratio says what our dialog and queue add to (or save over) the
engine itself, whatever the machine's load.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_machine
from homecare.clock import SystemClock
from speech.dialog import DialogManager, DialogParams, Say
from speech.nlu import IntentParser, examples
from speech.tts.latency import FirstAudioProbe

TARGET_S = 0.300
PHRASES = {
    "ru": ["который час", "какое сегодня число", "повтори пожалуйста", "бу бу бу"],
    "en": ["what time is it", "what's the date today", "say that again", "mumble mumble"],
}


def reply_latency(rounds: int, out_dir: Path) -> dict[str, Any]:
    parsers = {lang: IntentParser(lang) for lang in PHRASES}
    clock = SystemClock()
    samples: list[dict[str, float]] = []
    replies: list[tuple[str, str]] = []
    with FirstAudioProbe(out_dir / "ours") as tts:
        for _ in range(rounds):
            for lang, phrases in PHRASES.items():
                dialog = DialogManager(
                    DialogParams(timezone="Asia/Yekaterinburg"),
                    clock,
                    lambda text, lang: parsers[lang].parse(text, now=clock.now()),
                    examples,
                )
                dialog.on_said("Здравствуйте." if lang == "ru" else "Hello.", lang, 1)
                for text in phrases:
                    started = time.perf_counter()
                    reply = next(a for a in dialog.on_heard(text, lang) if isinstance(a, Say))
                    understood = time.perf_counter() - started
                    audio = tts.first_audio(reply.text, reply.lang)
                    samples.append({"intent_s": understood, "tts_s": audio})
                    replies.append((reply.text, reply.lang))
    baseline = espeak_baseline(replies, out_dir / "baseline")
    totals = [s["intent_s"] + s["tts_s"] for s in samples]
    median = statistics.median(totals)
    return {
        "replies": len(samples),
        "intent_ms_median": 1000 * statistics.median(s["intent_s"] for s in samples),
        "tts_first_audio_ms_median": 1000 * statistics.median(s["tts_s"] for s in samples),
        "total_ms_median": 1000 * median,
        "total_ms_p95": 1000 * percentile(totals, 0.95),
        "total_ms_max": 1000 * max(totals),
        "baseline_espeak_process_ms_median": 1000 * statistics.median(baseline),
        "ratio_total_to_baseline": median / statistics.median(baseline),
        "target_ms": 1000 * TARGET_S,
        "meets_target": percentile(totals, 0.95) < TARGET_S,
    }


def espeak_baseline(replies: list[tuple[str, str]], out_dir: Path) -> list[float]:
    """A fresh `espeak-ng` process writing each reply: the engine alone, no queue, no dialog."""
    out_dir.mkdir(parents=True, exist_ok=True)
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng)")
    seconds = []
    for index, (text, lang) in enumerate(replies):
        started = time.perf_counter()
        subprocess.run(
            [espeak, "-v", lang, "-s", "150", "-w", str(out_dir / f"{index}.wav"), text],
            check=True,
            capture_output=True,
        )
        seconds.append(time.perf_counter() - started)
    return seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="Passes over the phrases.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    machine = describe_machine()
    with tempfile.TemporaryDirectory(prefix="homecare-latency-") as folder:
        figures = reply_latency(args.rounds, Path(folder))
    if args.json:
        print(json.dumps({"machine": machine.as_dict(), **figures}))
        return
    print(machine.line())
    print(
        f"end of speech -> first audio (intent + TTS, ASR excluded), {figures['replies']} replies:"
    )
    intent, tts = figures["intent_ms_median"], figures["tts_first_audio_ms_median"]
    print(
        f"  intent {intent:.1f} ms, TTS {tts:.1f} ms (medians);"
        f" total median {figures['total_ms_median']:.1f} ms,"
        f" p95 {figures['total_ms_p95']:.1f} ms, max {figures['total_ms_max']:.1f} ms"
    )
    print(
        f"  baseline: a bare espeak-ng process per reply, median "
        f"{figures['baseline_espeak_process_ms_median']:.1f} ms; ours/baseline "
        f"{figures['ratio_total_to_baseline']:.2f}"
    )
    verdict = "MEETS" if figures["meets_target"] else "MISSES"
    print(f"  target p95 < {figures['target_ms']:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
