"""Fundamental frequency (f0) with WORLD (pyworld), and pitch unit helpers.

``estimate_pitch`` returns ``(frames,) float32`` Hz with 0 for unvoiced frames, one frame per
hop following :mod:`soundry.features.frames` (``ceil(T / hop)`` frames, frame ``i`` centred on
sample ``i * hop``). ``dio`` (+ ``stonemask`` refinement) is fast (about 100x real time per core);
``harvest`` is slower (about 5x) and more robust on real voices. Note that harvest reports a
perfectly pure sine as unvoiced; any real voice (harmonics, a little noise) is fine.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from soundry.errors import AudioError, MissingDependencyError
from soundry.features.frames import as_signal, frame_count, hop_samples_for

PITCH_METHODS = ("dio", "harvest")


def _pyworld():
    try:
        with warnings.catch_warnings():
            # pyworld imports the deprecated pkg_resources at import time.
            warnings.filterwarnings("ignore", message=".*pkg_resources.*")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            import pyworld
    except ImportError as exc:
        raise MissingDependencyError(
            "Pitch estimation needs pyworld: pip install 'pyworld>=0.3.4' 'setuptools<81'.") from exc
    return pyworld


def estimate_pitch(audio: np.ndarray, sample_rate: int, hop_s: float = 0.01,
                   method: str = "dio", fmin: float = 50.0, fmax: float = 1100.0) -> np.ndarray:
    """f0 of mono ``audio`` ``(T,)`` (or ``(1, T)``) at ``sample_rate`` Hz.

    Returns ``(ceil(T / hop),) float32`` in Hz, 0 where unvoiced, with
    ``hop = round(hop_s * sample_rate)`` samples. ``fmin``/``fmax`` bound the search in Hz
    (RVC's defaults: 50-1100 Hz). ``method``: ``"dio"`` (fast) or ``"harvest"`` (better).
    """
    if method not in PITCH_METHODS:
        raise AudioError(f"Unknown pitch method {method!r}; choose one of {PITCH_METHODS}.")
    if not 0 < fmin < fmax:
        raise AudioError(f"Need 0 < fmin < fmax, got fmin={fmin} Hz and fmax={fmax} Hz.")
    if fmax >= sample_rate / 2:
        raise AudioError(
            f"fmax={fmax} Hz must be below half the sample rate ({sample_rate / 2} Hz).")
    x = as_signal(audio)
    hop = hop_samples_for(sample_rate, hop_s)
    frames = frame_count(len(x), hop)
    if frames == 0:
        return np.zeros(0, dtype=np.float32)
    pw = _pyworld()
    # An exact sample hop keeps WORLD's frame times on the same grid as every other feature.
    period_ms = 1000.0 * hop / sample_rate
    x = np.ascontiguousarray(x)
    if method == "dio":
        f0, times = pw.dio(x, sample_rate, f0_floor=fmin, f0_ceil=fmax, frame_period=period_ms)
        f0 = pw.stonemask(x, f0, times, sample_rate)
    else:
        f0, _ = pw.harvest(x, sample_rate, f0_floor=fmin, f0_ceil=fmax, frame_period=period_ms)
    # WORLD gives floor(T / hop) + 1 frames; keep ceil(T / hop) (and pad in case of rounding).
    out = np.zeros(frames, dtype=np.float32)
    n = min(frames, len(f0))
    out[:n] = f0[:n]
    out[~np.isfinite(out)] = 0.0
    return out


def voiced_mask(f0: np.ndarray) -> np.ndarray:
    """``(frames,) bool``: True where ``f0`` (Hz) is voiced (positive and finite)."""
    f0 = np.asarray(f0)
    return np.isfinite(f0) & (f0 > 0)


def hz_to_midi(hz) -> np.ndarray | float:
    """MIDI note number ``69 + 12 * log2(hz / 440)``; NaN where ``hz <= 0`` (unvoiced)."""
    hz = np.asarray(hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        midi = np.where(hz > 0, 69.0 + 12.0 * np.log2(np.where(hz > 0, hz, 1.0) / 440.0), np.nan)
    return float(midi) if midi.ndim == 0 else midi


def midi_to_hz(midi) -> np.ndarray | float:
    """Frequency in Hz of MIDI note number(s) ``midi`` (fractional allowed): 69 -> 440 Hz."""
    hz = 440.0 * np.power(2.0, (np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)
    return float(hz) if hz.ndim == 0 else hz


def mean_pitch_midi(f0: np.ndarray | Iterable[np.ndarray]) -> float:
    """Mean pitch over voiced frames, as a MIDI note number (Beatrice's ``average_pitch``).

    ``f0``: one ``(frames,)`` Hz array, or several (e.g. all files of one speaker), pooled
    frame by frame. The mean is taken in MIDI units (a log-frequency mean). NaN if no frame is
    voiced.
    """
    arrays = [np.asarray(f0)] if isinstance(f0, np.ndarray) else [np.asarray(a) for a in f0]
    voiced = [a[voiced_mask(a)].astype(np.float64) for a in arrays if a.size]
    values = np.concatenate(voiced) if voiced else np.zeros(0)
    if values.size == 0:
        return float("nan")
    return float(np.mean(hz_to_midi(values)))
