"""Spectral front ends written as plain convolutions, so they export to ONNX unchanged.

``torch.stft`` maps poorly onto ONNX runtimes and streaming hosts; a strided Conv1d with fixed
windowed-DFT kernels gives the same magnitudes, runs on every backend and exports as one Conv.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Slaney-style triangular mel filters, shape ``(n_mels, n_fft // 2 + 1)``, area-normalised."""
    fmax = fmax or sample_rate / 2

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)

    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mel_points = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((n_mels, bins.size), dtype=np.float64)
    for i in range(n_mels):
        lo, mid, hi = mel_points[i], mel_points[i + 1], mel_points[i + 2]
        up = (bins - lo) / max(mid - lo, 1e-9)
        down = (hi - bins) / max(hi - mid, 1e-9)
        fb[i] = np.maximum(0.0, np.minimum(up, down))
        fb[i] *= 2.0 / max(hi - lo, 1e-9)
    return fb.astype(np.float32)


class ConvSTFT(nn.Module):
    """Magnitude STFT as a Conv1d: ``(B, T)`` samples -> ``(B, n_fft//2+1, frames)``.

    Frames are causal-aligned: frame ``k`` covers samples ``[k*hop - (n_fft - hop), k*hop + hop)``
    after left padding by ``n_fft - hop``, so ``frames = T // hop``.
    """

    def __init__(self, n_fft: int = 512, hop: int = 160, win: int | None = None):
        super().__init__()
        win = win or n_fft
        self.n_fft, self.hop = n_fft, hop
        window = np.zeros(n_fft)
        off = (n_fft - win) // 2
        window[off:off + win] = np.hanning(win + 2)[1:-1]
        k = np.arange(n_fft // 2 + 1)[:, None]
        t = np.arange(n_fft)[None, :]
        ang = 2 * math.pi * k * t / n_fft
        real = (np.cos(ang) * window).astype(np.float32)
        imag = (-np.sin(ang) * window).astype(np.float32)
        kernel = np.concatenate([real, imag])[:, None, :]
        self.register_buffer("kernel", torch.from_numpy(kernel), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = nn.functional.pad(wave.unsqueeze(1), (self.n_fft - self.hop, 0))
        spec = nn.functional.conv1d(x, self.kernel, stride=self.hop)
        real, imag = spec.chunk(2, dim=1)
        return torch.sqrt(real * real + imag * imag + 1e-10)


class LogMel(nn.Module):
    """Waveform ``(B, T)`` at ``sample_rate`` -> log-mel ``(B, n_mels, T // hop)`` (natural log)."""

    def __init__(self, sample_rate: int = 16000, n_fft: int = 512, hop: int = 160,
                 n_mels: int = 64, fmin: float = 20.0, fmax: float | None = None):
        super().__init__()
        self.stft = ConvSTFT(n_fft, hop)
        fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)
        self.register_buffer("fb", torch.from_numpy(fb), persistent=False)
        self.hop = hop

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        mag = self.stft(wave)
        mel = torch.matmul(self.fb, mag * mag)
        return torch.log(mel + 1e-6)
