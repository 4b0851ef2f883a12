"""A small numpy YIN pitch estimate, for suggesting a pitch shift (``auto_pitch``) at run time.

The runtime may not import ``soundry.features`` (pyworld) or torch, and it only needs a speaker's
average pitch, not a frame-exact contour, so this is plain YIN (de Cheveigné & Kawahara 2002):
difference function by FFT, cumulative-mean normalisation, the first dip under a threshold,
parabolic refinement. Frames quieter than ``silence_db`` are unvoiced.
"""

from __future__ import annotations

import math

import numpy as np


def estimate_f0(wave: np.ndarray, sample_rate: int, hop_s: float = 0.01, window_s: float = 0.04,
                fmin: float = 60.0, fmax: float = 1000.0, threshold: float = 0.15,
                silence_db: float = -50.0) -> np.ndarray:
    """f0 of ``wave (T,)`` at ``sample_rate`` Hz every ``hop_s`` seconds -> ``(frames,)`` Hz, 0 = unvoiced.

    Frame ``i`` covers samples ``[i * hop, i * hop + window)``; ``ceil(T / hop)`` frames (the
    end is zero-padded). ``fmin``/``fmax`` bound the search (Hz).
    """
    x = np.asarray(wave, dtype=np.float64).reshape(-1)
    hop = max(1, int(round(hop_s * sample_rate)))
    tau_max = min(int(sample_rate / fmin), int(window_s * sample_rate) - 1)
    tau_min = max(2, int(sample_rate / fmax))
    width = int(window_s * sample_rate) - tau_max  # integration window of the difference function
    n_frames = math.ceil(len(x) / hop)
    if n_frames == 0 or width < 8 or tau_max <= tau_min + 1:
        return np.zeros(n_frames, np.float32)
    span = width + tau_max
    x = np.pad(x, (0, (n_frames - 1) * hop + span - len(x) if (n_frames - 1) * hop + span > len(x) else 0))
    frames = np.lib.stride_tricks.sliding_window_view(x, span)[::hop][:n_frames]
    nfft = 1 << int(math.ceil(math.log2(2 * span)))
    head = np.fft.rfft(frames[:, :width], nfft)
    full = np.fft.rfft(frames, nfft)
    # cross-correlation of the first `width` samples with the frame at each lag
    acf = np.fft.irfft(np.conj(head) * full, nfft)[:, :tau_max + 1]
    sq = np.concatenate([np.zeros((n_frames, 1)), np.cumsum(frames ** 2, axis=1)], axis=1)
    energy0 = sq[:, width:width + 1]
    energy_tau = sq[:, width:width + tau_max + 1] - sq[:, :tau_max + 1]
    diff = np.maximum(energy0 + energy_tau - 2 * acf, 0.0)
    cum = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cum, 1e-12)

    f0 = np.zeros(n_frames, np.float32)
    level_db = 10 * np.log10(energy0[:, 0] / width + 1e-12)
    for i in np.flatnonzero(level_db > silence_db):
        c = cmnd[i]
        below = np.flatnonzero(c[tau_min:tau_max] < threshold)
        if below.size == 0:
            continue
        tau = tau_min + int(below[0])
        while tau + 1 < tau_max and c[tau + 1] < c[tau]:
            tau += 1
        a, b, d = c[tau - 1], c[tau], c[tau + 1]
        denom = a - 2 * b + d
        shift = 0.5 * (a - d) / denom if abs(denom) > 1e-12 else 0.0
        f0[i] = sample_rate / (tau + float(np.clip(shift, -1, 1)))
    return f0


def hz_to_midi(hz: float) -> float:
    """MIDI note number of a frequency in Hz (69 = A4 = 440 Hz)."""
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def average_pitch(wave: np.ndarray, sample_rate: int, min_voiced: int = 5) -> float | None:
    """Average pitch of ``wave (T,)`` as a MIDI note: ``hz_to_midi(mean voiced f0)``, as
    ``average_pitch`` in ``voices.toml``; None with fewer than ``min_voiced`` voiced 10 ms frames."""
    f0 = estimate_f0(wave, sample_rate)
    voiced = f0[f0 > 0]
    if voiced.size < min_voiced:
        return None
    return hz_to_midi(float(np.mean(voiced)))
