"""`homecare say`: speak a text aloud, or write it as a WAV file (needs the `speech` extra)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from homecare.errors import UsageError
from speech.tts import EspeakSpeaker, Voice
from speech.tts.espeak_speaker import check_writable
from speech.tts.text import prepare_text
from speech.tts.voice import (
    DEFAULT_RATE_WPM,
    DEFAULT_VOLUME,
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    SUPPORTED_LANGUAGES,
    check_rate,
    check_volume,
    normalise_language,
)

# Playback ends by itself; this only guards against a sound device that never returns.
PLAYBACK_SLACK_S = 10.0


def say(
    text: Annotated[str, typer.Argument(help="What to say.")],
    lang: Annotated[
        str, typer.Option("--lang", help=f"Language: {', '.join(SUPPORTED_LANGUAGES)}.")
    ] = "ru",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write a WAV file here instead of playing it.", dir_okay=True),
    ] = None,
    rate: Annotated[
        int | None,
        typer.Option(
            "--rate",
            help=f"Words per minute, {MIN_RATE_WPM}..{MAX_RATE_WPM} [default: {DEFAULT_RATE_WPM}].",
        ),
    ] = None,
    volume: Annotated[
        float | None, typer.Option("--volume", help=f"0..1 [default: {DEFAULT_VOLUME}].")
    ] = None,
) -> None:
    """Say TEXT with the robot's voice (espeak-ng): on the speaker, or into a WAV file."""
    words = prepare_text(text)
    if words != " ".join(text.split()):
        typer.echo(f"note: the text was cut to {len(words)} characters", err=True)
    voice = Voice(
        normalise_language(lang),
        check_rate(DEFAULT_RATE_WPM if rate is None else rate),
        check_volume(DEFAULT_VOLUME if volume is None else volume),
    )
    if out is not None:
        _write(words, voice, out)
    else:
        _play(words, voice)


def _write(words: str, voice: Voice, out: Path) -> None:
    check_writable(out)
    if out.suffix.lower() != ".wav":
        raise UsageError(f"--out {out}: the audio is WAV, so the file name must end in .wav")
    speaker = EspeakSpeaker()
    try:
        audio = speaker.synthesize(words, voice, out)
    finally:
        speaker.close()
    typer.echo(f"wrote {out} ({audio.duration_s:.1f} s of speech)")


def _play(words: str, voice: Voice) -> None:
    speaker = EspeakSpeaker()
    with tempfile.TemporaryDirectory(prefix="homecare-say-") as scratch:
        wav_path = Path(scratch) / "speech.wav"
        try:
            audio = speaker.synthesize(words, voice, wav_path)
        finally:
            speaker.close()
        playback = speaker.play(wav_path)
        if not playback.wait(audio.duration_s * 2 + PLAYBACK_SLACK_S):
            playback.stop()
            raise UsageError("the sound device did not finish playing; is it blocked?")
        playback.check()
