"""Frame loudness in dB, on the same frame grid as pitch.

``frame_loudness`` gives one value per hop following :mod:`soundry.features.frames`
(``ceil(T / hop)`` frames, frame ``i`` centred on sample ``i * hop``, zeros past the ends).
The default is plain RMS level in dBFS, ``10 * log10(mean(x ** 2))`` over a rectangular window
(a full-scale sine reads -3.01 dB). ``weighting="A"`` applies the IEC 61672 A-weighting curve
(0 dB at 1 kHz) to a Hann-windowed spectrum of each frame, which follows perceived loudness more
closely; a steady 1 kHz tone reads the same either way.
"""

from __future__ import annotations

import numpy as np

from soundry.errors import AudioError
from soundry.features.frames import as_signal, frame_count, hop_samples_for

# Frames processed per block, so long files never need a (frames, window) copy in memory.
_BLOCK_FRAMES = 4096


def a_weighting_db(freqs_hz: np.ndarray) -> np.ndarray:
    """IEC 61672 A-weighting gain in dB at ``freqs_hz`` (0 dB at 1 kHz; -inf at 0 Hz)."""
    f2 = np.asarray(freqs_hz, dtype=np.float64) ** 2
    num = (12194.0 ** 2) * f2 ** 2
    den = ((f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2))
           * (f2 + 12194.0 ** 2))
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(num / den) + 2.0


def _framed(x: np.ndarray, hop: int, win: int, frames: int) -> np.ndarray:
    """``(frames, win)`` strided view: window ``i`` centred on sample ``i * hop``."""
    left = win // 2
    needed = (frames - 1) * hop + win
    padded = np.zeros(max(needed, left + len(x)), dtype=np.float64)
    padded[left:left + len(x)] = x
    return np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:frames]


def frame_loudness(audio: np.ndarray, sample_rate: int, hop_s: float = 0.01,
                   win_s: float = 0.025, weighting: str = "none",
                   floor_db: float = -100.0) -> np.ndarray:
    """Level of mono ``audio`` ``(T,)`` (or ``(1, T)``) per frame, in dB.

    Returns ``(ceil(T / hop),) float32`` with ``hop = round(hop_s * sample_rate)`` samples and
    windows of ``round(win_s * sample_rate)`` samples. ``weighting``: ``"none"`` (RMS dBFS) or
    ``"A"`` (A-weighted). Values are clipped below at ``floor_db`` (silence reads ``floor_db``).
    """
    if weighting not in ("none", "A"):
        raise AudioError(f"Unknown loudness weighting {weighting!r}; choose 'none' or 'A'.")
    x = as_signal(audio)
    hop = hop_samples_for(sample_rate, hop_s)
    win = hop_samples_for(sample_rate, win_s)
    frames = frame_count(len(x), hop)
    if frames == 0:
        return np.zeros(0, dtype=np.float32)
    view = _framed(x, hop, win, frames)
    power = np.empty(frames, dtype=np.float64)
    if weighting == "none":
        for start in range(0, frames, _BLOCK_FRAMES):
            block = view[start:start + _BLOCK_FRAMES]
            power[start:start + len(block)] = np.einsum("ij,ij->i", block, block) / win
    else:
        window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(win) / win)  # periodic Hann
        freqs = np.fft.rfftfreq(win, d=1.0 / sample_rate)
        gain = 10.0 ** (a_weighting_db(freqs) / 10.0)  # power gain
        # One-sided spectrum: bins other than DC and Nyquist stand for two.
        gain[1:(win + 1) // 2] *= 2.0
        # Parseval: sum|x w|^2 = sum_k |X_k|^2 / N; divide by sum(w^2) for a mean square.
        scale = 1.0 / (win * np.sum(window ** 2))
        for start in range(0, frames, _BLOCK_FRAMES):
            block = view[start:start + _BLOCK_FRAMES]
            spec = np.abs(np.fft.rfft(block * window, axis=1)) ** 2
            power[start:start + len(block)] = spec @ gain * scale
    with np.errstate(divide="ignore"):
        db = 10.0 * np.log10(power)
    return np.maximum(db, floor_db).astype(np.float32)
