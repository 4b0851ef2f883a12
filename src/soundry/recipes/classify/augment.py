"""Augmentations the audio-classification field uses: random crop, gain, noise, SpecAugment-style
masking (on the waveform's spectrum, so every backbone gets it) and batch mixup.

Per-clip augmentations draw from numpy's global generator, which the engine seeds per sample;
mixup draws from torch's, which the engine seeds per step. Runs and resumes are reproducible.
"""

from __future__ import annotations

import numpy as np


def random_crop(wave: np.ndarray, crop: int) -> np.ndarray:
    """A random ``crop``-sample span of ``wave`` ``(T,)`` (the whole clip when shorter)."""
    if wave.shape[0] <= crop:
        return wave
    start = np.random.randint(0, wave.shape[0] - crop + 1)
    return wave[start:start + crop]


def random_gain(wave: np.ndarray, gain_db: float) -> np.ndarray:
    """``wave`` scaled by a gain uniform in ``+-gain_db`` dB."""
    return wave * np.float32(10 ** (np.random.uniform(-gain_db, gain_db) / 20))


def add_noise(wave: np.ndarray, snr_db: float) -> np.ndarray:
    """Gaussian noise at a random SNR uniform in ``[snr_db, snr_db + 20]`` dB."""
    snr = np.random.uniform(snr_db, snr_db + 20)
    power = float(np.mean(wave ** 2)) + 1e-12
    noise = np.random.randn(wave.shape[0]).astype(np.float32)
    return wave + noise * np.float32(np.sqrt(power / 10 ** (snr / 10)))


def spec_mask(wave: np.ndarray, sample_rate: int, time_masks: int, time_mask_s: float,
              freq_masks: int, freq_mask_hz: float) -> np.ndarray:
    """SpecAugment-style masking of ``wave`` ``(T,)``: ``time_masks`` spans of up to
    ``time_mask_s`` seconds set to zero, and ``freq_masks`` bands of up to ``freq_mask_hz`` Hz
    removed from its spectrum (zeroed rFFT bins). Masking the waveform rather than a backbone's
    features keeps it the same for the CNN and BEATs front ends."""
    out = np.array(wave, dtype=np.float32, copy=True)
    n = out.shape[0]
    if freq_masks > 0 and n > 1:
        spec = np.fft.rfft(out)
        hz_per_bin = sample_rate / n
        for _ in range(freq_masks):
            width = int(np.random.uniform(0, freq_mask_hz) / hz_per_bin)
            lo = np.random.randint(0, max(1, spec.shape[0] - width))
            spec[lo:lo + width] = 0
        out = np.fft.irfft(spec, n=n).astype(np.float32)
    for _ in range(time_masks):
        width = int(np.random.uniform(0, time_mask_s) * sample_rate)
        if 0 < width < n:
            start = np.random.randint(0, n - width + 1)
            out[start:start + width] = 0.0
    return out


def mixup(wave, lengths, targets, alpha: float):
    """Mix a batch with a shuffled copy of itself: ``lam ~ Beta(alpha, alpha)`` per batch.

    ``wave`` ``(B, T)``, ``lengths`` ``(B,)``, ``targets`` ``(B, K)`` (one- or multi-hot) ->
    the mixed batch; a mixed clip is as long as the longer of its two sources.
    """
    import torch

    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    lam = max(lam, 1.0 - lam)  # the first clip dominates, so its length and crop stay meaningful
    perm = torch.randperm(wave.shape[0], device=wave.device)
    wave = lam * wave + (1.0 - lam) * wave[perm]
    targets = lam * targets + (1.0 - lam) * targets[perm]
    return wave, torch.maximum(lengths, lengths[perm]), targets
