"""The child process that owns the pyttsx3 engine (espeak-ng driver).

pyttsx3's traps decide the shape (its issues #126, #131, #262, #327, #403):
the engine must be created and run in one thread, `init()` caches one engine
per driver, several queued `save_to_file` calls produce only the last file,
and `runAndWait` can hang. So this process does one utterance per
`runAndWait`, in its main thread, and the parent kills and restarts it when
an utterance takes too long (a hung thread could never be stopped).

Measured here with pyttsx3 2.99: the espeak driver's `runAndWait` often
returns BEFORE the WAV is written (espeak-ng synthesises on its own thread
and the driver's loop ends at once), so back-to-back utterances got each
other's audio. We therefore also wait for the driver's `finished-utterance`
notification, which comes after the file is closed. And `runAndWait` first
calls the driver's `stop()`, which cancels whatever espeak-ng still has
queued, including the voice and rate just set: the next utterance then came
out cancelled or at the previous rate. So properties are set while the
driver is idle and we wait for espeak-ng to apply them before `runAndWait`
(a warm-up utterance at start makes the first request behave like the rest).

Started as `python -m speech.tts.engine_process FD` (a fresh interpreter, not
a fork of a parent full of threads, and not multiprocessing's spawn, which
re-runs the parent's main script). FD is one end of a socket pair, spoken
over with `multiprocessing.connection.Connection` (plain tuples, so nothing
here imports the rest of the project and the child starts quickly):

- child -> parent first: ("ready", "") or ("unavailable", reason)
- parent -> child: (job_id, text, engine_voice, rate_wpm, volume, wav_path); None ends it
- child -> parent: ("ok", job_id, "") or ("error", job_id, reason)
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

Job = tuple[int, str, str, int, float, str]

# espeak-ng applies a voice or rate in well under a millisecond; this only bounds a fault.
IDLE_WAIT_S = 5.0


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[1].isdigit():
        sys.exit(f"usage: python -m {__spec__.name if __spec__ else 'engine_process'} FD")
    serve(Connection(int(argv[1])))


def serve(connection: Connection) -> None:
    """Answer synthesis jobs on `connection` until it closes or says None."""
    try:
        engine = _start_engine()
    except Exception as error:
        connection.send(("unavailable", _describe_start_failure(error)))
        return
    connection.send(("ready", ""))
    while True:
        try:
            job: Job | None = connection.recv()
        except (EOFError, OSError):  # the parent went away
            return
        if job is None:
            return
        job_id = job[0]
        try:
            _synthesize(engine, job)
        except Exception as error:
            connection.send(("error", job_id, f"{type(error).__name__}: {error}"))
        else:
            connection.send(("ok", job_id, ""))


# Set by the driver (on espeak-ng's thread) once an utterance's file is written and closed.
_finished = threading.Event()
_completed: list[bool] = [True]


def _on_finished(name: object = None, completed: bool = True) -> None:
    _completed[0] = completed
    _finished.set()


def _start_engine() -> Any:
    import pyttsx3  # type: ignore[import-untyped]

    engine = pyttsx3.init("espeak")
    engine.connect("finished-utterance", _on_finished)
    with tempfile.TemporaryDirectory(prefix="homecare-tts-warm-up-") as scratch:
        _say_into(engine, ("ru", 150, 0.9), "а", str(Path(scratch) / "warm-up.wav"))
    return engine


def _synthesize(engine: Any, job: Job) -> None:
    _, text, engine_voice, rate_wpm, volume, wav_path = job
    partial = wav_path + ".part"
    settings = (engine_voice, rate_wpm, volume)
    # Cancelled by the driver's own stop() despite the settling: once more, then give up.
    if not _say_into(engine, settings, text, partial) and not _say_into(
        engine, settings, text, partial
    ):
        raise OSError("the speech engine cancelled the utterance twice")
    if not Path(partial).exists():  # the driver swallows its own write errors
        raise OSError(f"no audio was written to {partial}")
    # Readers of the folder only ever see complete files.
    Path(partial).replace(wav_path)


def _say_into(engine: Any, settings: tuple[str, int, float], text: str, path: str) -> bool:
    """One utterance into `path`; False if the driver cancelled it."""
    engine_voice, rate_wpm, volume = settings
    engine.setProperty("voice", engine_voice)
    engine.setProperty("rate", rate_wpm)
    engine.setProperty("volume", volume)
    _wait_until_espeak_idle()
    _finished.clear()
    # One utterance per runAndWait: queued save_to_file calls would keep only the last.
    engine.save_to_file(text, path)
    engine.runAndWait()
    # No limit here: the parent's timeout kills this process if espeak-ng never finishes.
    _finished.wait()
    return _completed[0]


def _wait_until_espeak_idle() -> None:
    from pyttsx3.drivers import _espeak  # type: ignore[import-untyped]

    deadline = time.monotonic() + IDLE_WAIT_S
    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise OSError(f"espeak-ng stayed busy for {IDLE_WAIT_S:g} s")
        time.sleep(0.001)


def _describe_start_failure(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, ModuleNotFoundError) and error.name == "pyttsx3":
        return "pyttsx3 is not installed: pip install 'homecare[speech]'"
    if "espeak" in text.lower() or isinstance(error, OSError):
        return f"espeak-ng is not installed (apt-get install espeak-ng): {text}"
    return f"the speech engine could not start: {text}"


if __name__ == "__main__":
    main(sys.argv)
