"""16-bit mono PCM: the one audio format of speech input, and the few operations on it."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from speech.asr.errors import AudioFormatError

SAMPLE_WIDTH_BYTES = 2
FULL_SCALE = 32768.0
SILENCE_DBFS = -120.0
"""The level reported for all-zero audio (log of zero is undefined)."""


def samples(pcm: bytes) -> npt.NDArray[np.int16]:
    """The samples of little-endian 16-bit PCM; odd byte counts are a format error."""
    if len(pcm) % SAMPLE_WIDTH_BYTES:
        raise AudioFormatError(
            f"PCM chunk of {len(pcm)} bytes is not whole 16-bit samples (odd byte count)"
        )
    return np.frombuffer(pcm, dtype="<i2")


def to_pcm(values: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> bytes:
    """Float samples in -1..1 (clipped) or int16 samples as 16-bit little-endian PCM."""
    if np.issubdtype(values.dtype, np.floating):
        scaled = np.clip(np.rint(values * 32767.0), -32768, 32767)
        return bytes(scaled.astype("<i2").tobytes())
    return bytes(values.astype("<i2").tobytes())


def level_dbfs(pcm: bytes) -> float:
    """RMS level of a chunk in dB relative to full scale (0 dBFS is the loudest square wave)."""
    values = samples(pcm).astype(np.float64)
    if values.size == 0:
        return SILENCE_DBFS
    rms = math.sqrt(float(np.mean(values * values))) / FULL_SCALE
    return max(SILENCE_DBFS, 20.0 * math.log10(rms)) if rms > 0 else SILENCE_DBFS


def duration_s(pcm: bytes, sample_rate: int) -> float:
    return len(pcm) / SAMPLE_WIDTH_BYTES / sample_rate


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample 16-bit PCM with a windowed-sinc low-pass (no aliasing when going down).

    Good enough for speech recognition of synthesised or recorded speech; it
    saves a dependency on scipy or sox for the one conversion we need (espeak-ng
    writes 22.05 kHz, the models want 16 kHz).
    """
    if from_rate <= 0 or to_rate <= 0:
        raise AudioFormatError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
    values = samples(pcm).astype(np.float64)
    if from_rate == to_rate or values.size == 0:
        return pcm
    if to_rate < from_rate:
        values = _low_pass(values, cutoff=0.45 * to_rate / from_rate)
    count = round(values.size * to_rate / from_rate)
    positions = np.arange(count) * (from_rate / to_rate)
    resampled = np.interp(positions, np.arange(values.size), values)
    return to_pcm(np.clip(np.rint(resampled), -32768, 32767).astype(np.int16))


def _low_pass(values: npt.NDArray[np.float64], cutoff: float) -> npt.NDArray[np.float64]:
    """FIR low-pass; `cutoff` is a fraction of the input sample rate (0..0.5)."""
    taps = 101
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel /= kernel.sum()
    filtered: npt.NDArray[np.float64] = np.convolve(values, kernel, mode="same")
    return filtered
