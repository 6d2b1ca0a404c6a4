"""`homecare say` for real: espeak-ng writes the WAV; playback fails clearly without a device."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

# `homecare say` until the command is registered in homecare/cli/__init__.py; the same
# error handling as homecare.cli.main (one line, exit status 2).
SAY = """
import sys, typer
from homecare.cli import speech
from homecare.errors import HomecareError
app = typer.Typer(pretty_exceptions_enable=False)
app.command("say")(speech.say)
app.command("version")(lambda: None)
try:
    app(sys.argv[1:])
except HomecareError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
"""


def say(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if ctypes.util.find_library("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return subprocess.run(
        [sys.executable, "-c", SAY, "say", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [("ru", "Пора принять таблетку от давления"), ("en", "Time to take your blood pressure pill")],
)
def test_say_writes_speech_to_a_wav(tmp_path: Path, lang: str, text: str) -> None:
    out = tmp_path / f"{lang}.wav"
    result = say("--lang", lang, text, "--out", str(out))
    assert result.returncode == 0, result.stderr
    with wave.open(str(out), "rb") as audio:
        assert (audio.getsampwidth(), audio.getnchannels()) == (2, 1)
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds > 1.0
    # Only our line: nothing from the engine's process leaks into the command's output.
    assert result.stdout == f"wrote {out} ({seconds:.1f} s of speech)\n"


def test_slower_rate_gives_longer_speech(tmp_path: Path) -> None:
    lengths = []
    for rate in ("100", "200"):
        out = tmp_path / f"{rate}.wav"
        assert say("Пора принять таблетку", "--rate", rate, "--out", str(out)).returncode == 0
        with wave.open(str(out), "rb") as audio:
            lengths.append(audio.getnframes())
    assert lengths[0] > lengths[1] * 1.3


def test_playing_without_a_sound_device_fails_with_aplay_s_reason(tmp_path: Path) -> None:
    # An empty ALSA configuration: no device at all, whatever this machine has.
    no_devices = tmp_path / "alsa.conf"
    no_devices.write_text("")
    result = say("Привет", env={"ALSA_CONFIG_PATH": str(no_devices)})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()  # one line, no traceback, no ALSA noise
    assert line.startswith("error: no audio output device: aplay said: audio open error")
