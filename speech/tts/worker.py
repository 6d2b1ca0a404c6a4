"""`SynthesisWorker`: the parent's side of the speech engine's child process.

One request at a time; a timeout around each one. When the engine hangs or
dies, the child is killed, the request fails with a clear error, and the next
request starts a fresh child. A child process rather than a thread because a
hung `runAndWait` in a thread could never be stopped (and espeak-ng can be
initialised only once per process).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from speech.tts.errors import SynthesisError, SynthesisTimeoutError, SynthesisUnavailableError
from speech.tts.voice import Voice
from speech.tts.wav import AudioInfo, read_audio_info

ENGINE_MODULE = "speech.tts.engine_process"


class _EngineDiedError(Exception):
    """The child went away (its end of the socket closed)."""


class SynthesisWorker:
    def __init__(
        self,
        timeout_s: float = 10.0,
        start_timeout_s: float = 60.0,
        engine_module: str = ENGINE_MODULE,
    ) -> None:
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.engine_module = engine_module
        self.restarts = 0
        """How often a hung or dead engine was replaced (for logs and tests)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._job_id = 0
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The engine process's id while one runs."""
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the engine now (it otherwise starts with the first request)."""
        with self._lock:
            self._ensure_started()

    def synthesize(self, text: str, voice: Voice, wav_path: Path) -> AudioInfo:
        with self._lock:
            try:
                self._run_job(text, voice, wav_path)
            except _EngineDiedError:
                # Once more on a fresh engine: it may have died before this request (killed,
                # out of memory). A text that kills it every time fails the second time.
                try:
                    self._run_job(text, voice, wav_path)
                except _EngineDiedError as died:
                    raise SynthesisError(
                        f"speech synthesis failed: the speech engine stopped ({died}); "
                        "it will be restarted"
                    ) from None
        return read_audio_info(wav_path)

    def _run_job(self, text: str, voice: Voice, wav_path: Path) -> None:
        connection = self._ensure_started()
        self._job_id += 1
        job = (self._job_id, text, voice.engine_voice, voice.rate_wpm, voice.volume)
        try:
            connection.send((*job, str(wav_path)))
        except OSError:
            self._replace_engine()
            raise _EngineDiedError("its pipe broke") from None
        status, job_id, reason = self._receive(connection, self.timeout_s, "speech synthesis")
        if status != "ok" or job_id != self._job_id:
            raise SynthesisError(f"the speech engine failed: {reason or status}")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(OSError):
                    self._connection.send(None)
            if self._process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=2.0)
            self._discard()

    def _ensure_started(self) -> Connection:
        if self._connection is not None and self._process is not None:
            if self._process.poll() is None:
                return self._connection
            self._replace_engine()
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", self.engine_module, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                # The espeak driver prints "Audio saved to ..." for every file: keep the
                # parent's stdout (a CLI's output, a pipe) clean. Errors still reach stderr.
                stdout=subprocess.DEVNULL,
            )
        except OSError as error:
            ours.close()
            raise SynthesisUnavailableError(f"cannot start the speech engine: {error}") from None
        finally:
            theirs.close()  # the child has its copy; a dead child then shows as EOF here
        self._process, self._connection = process, Connection(ours.detach())
        try:
            status, reason = self._receive(
                self._connection, self.start_timeout_s, "starting the speech engine"
            )
        except _EngineDiedError as died:
            raise SynthesisUnavailableError(
                f"the speech engine stopped while starting ({died}); see its messages above"
            ) from None
        if status != "ready":
            self._discard()
            raise SynthesisUnavailableError(reason)
        return self._connection

    def _receive(self, connection: Connection, timeout_s: float, what: str) -> Any:
        try:
            if connection.poll(timeout_s):
                return connection.recv()
        except (EOFError, OSError):
            process = self._process
            self._replace_engine()
            code = process.returncode if process else None
            raise _EngineDiedError(f"exit code {code}") from None
        self._replace_engine()
        raise SynthesisTimeoutError(
            f"{what} did not finish within {timeout_s:g} s; the speech engine was restarted"
        )

    def _replace_engine(self) -> None:
        """Drop a hung or dead engine; the next request starts a fresh one."""
        self._discard()
        self.restarts += 1

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(timeout=5.0)
        self._process, self._connection = None, None
