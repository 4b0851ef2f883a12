"""Input augmentation for speaker-independent content features (numpy + scipy, per sample).

The content encoder must describe *what* is said, not *who* says it, so its training input is
disguised: the pitch and formants are moved together by resampling (the Beatrice/Soft-VC trick;
it also changes the duration by the same factor, which callers compensate by resampling their
frame targets in time), a random EQ and low-pass change the timbre and channel, and noise at a
random SNR hides the recording conditions. Randomness comes from numpy's global generator,
which the training engine seeds per sample, so augmentation is reproducible across resumes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class AugmentConfig:
    """Random input disguises. Semitones, dB and Hz; probabilities are per sample in [0, 1]."""

    shift_semitones: float = 3.0      # pitch+formant shift by resampling, uniform in +-this
    shift_prob: float = 0.8
    noise_prob: float = 0.5
    noise_snr_db: tuple[float, float] = (15.0, 45.0)
    eq_prob: float = 0.5
    eq_gain_db: float = 6.0            # up to 3 peaking bands of +-this
    lowpass_prob: float = 0.2
    lowpass_hz: tuple[float, float] = (2500.0, 6000.0)


def shift_by_resampling(wave: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Raise pitch and formants of ``wave (T,)`` by ``semitones`` -> ``(round(T / 2**(s/12)),)``.

    Playing the signal ``2**(s/12)`` times faster moves every frequency by that factor and
    shortens it by the same factor.
    """
    from soundry.audio import resample

    if abs(semitones) < 1e-3:
        return wave
    factor = 2.0 ** (semitones / 12.0)
    out = resample(wave[None].astype(np.float32), int(round(sample_rate * factor)), sample_rate, quality="LQ")
    return out[0].astype(np.float32)


def peaking_sos(freq_hz: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """One RBJ peaking-EQ biquad as a ``(1, 6)`` second-order section."""
    a = 10 ** (gain_db / 40.0)
    w0 = 2 * math.pi * freq_hz / sample_rate
    alpha = math.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * math.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * math.cos(w0), 1 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None]


def add_noise(wave: np.ndarray, snr_db: float) -> np.ndarray:
    """``wave (T,)`` plus white noise at ``snr_db`` relative to the signal's mean power."""
    power = float(np.mean(wave.astype(np.float64) ** 2)) + 1e-12
    noise = np.random.standard_normal(wave.shape[0]).astype(np.float32)
    return wave + noise * np.float32(math.sqrt(power / 10 ** (snr_db / 10)))


def augment_input(wave: np.ndarray, sample_rate: int, cfg: AugmentConfig) -> tuple[np.ndarray, float]:
    """Disguise ``wave (T,)`` at ``sample_rate`` -> ``(augmented (T',), speed factor T / T')``."""
    from scipy.signal import butter, sosfilt

    x = wave.astype(np.float32)
    factor = 1.0
    if cfg.shift_semitones > 0 and np.random.rand() < cfg.shift_prob:
        semis = float(np.random.uniform(-cfg.shift_semitones, cfg.shift_semitones))
        y = shift_by_resampling(x, sample_rate, semis)
        if y.shape[0] >= sample_rate // 100:
            factor, x = x.shape[0] / y.shape[0], y
    if np.random.rand() < cfg.eq_prob:
        sos = np.concatenate([peaking_sos(float(np.exp(np.random.uniform(np.log(150), np.log(5000)))),
                                          float(np.random.uniform(-cfg.eq_gain_db, cfg.eq_gain_db)),
                                          float(np.random.uniform(0.7, 2.0)), sample_rate)
                              for _ in range(np.random.randint(1, 4))])
        x = sosfilt(sos, x).astype(np.float32)
    if np.random.rand() < cfg.lowpass_prob:
        cutoff = min(float(np.random.uniform(*cfg.lowpass_hz)), 0.45 * sample_rate)
        x = sosfilt(butter(4, cutoff, fs=sample_rate, output="sos"), x).astype(np.float32)
    if np.random.rand() < cfg.noise_prob:
        x = add_noise(x, float(np.random.uniform(*cfg.noise_snr_db)))
    return x, factor


def stretch_frames(frames, length: int):
    """Linearly resample a frame sequence ``(T, D)`` (torch) in time to ``(length, D)``."""
    import torch

    if frames.shape[0] == length:
        return frames
    if frames.shape[0] < 2 or length < 1:
        return frames[:1].expand(max(length, 0), -1)
    x = frames.t().unsqueeze(0)
    return torch.nn.functional.interpolate(x, size=length, mode="linear", align_corners=True)[0].t()
