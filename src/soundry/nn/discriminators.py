"""GAN discriminators for waveforms: multi-period (HiFi-GAN) and multi-resolution STFT.

Channel counts are small so they train on a CPU. Every discriminator returns
``(scores, features)``: ``scores`` a list with one ``(B, N)`` tensor per sub-discriminator and
``features`` a list (per sub-discriminator) of intermediate maps for feature matching.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from soundry.nn.spectral import ConvSTFT


class PeriodDiscriminator(nn.Module):
    """Folds ``(B, T)`` into ``(B, 1, T / p, p)`` and applies 2-D convs along time."""

    def __init__(self, period: int, channels: tuple[int, ...] = (16, 32, 64, 128)):
        super().__init__()
        self.period = period
        layers, c_in = [], 1
        for c in channels:
            layers.append(weight_norm(nn.Conv2d(c_in, c, (5, 1), (3, 1), padding=(2, 0))))
            c_in = c
        self.convs = nn.ModuleList(layers)
        self.out = weight_norm(nn.Conv2d(c_in, 1, (3, 1), padding=(1, 0)))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, t = wave.shape
        pad = (-t) % self.period
        x = nn.functional.pad(wave, (0, pad), mode="reflect" if pad < t else "constant")
        x = x.reshape(b, 1, -1, self.period)
        feats = []
        for conv in self.convs:
            x = nn.functional.leaky_relu(conv(x), 0.1)
            feats.append(x)
        x = self.out(x)
        feats.append(x)
        return x.flatten(1), feats


class ResolutionDiscriminator(nn.Module):
    """2-D convs over a log-magnitude spectrogram of one STFT resolution."""

    def __init__(self, n_fft: int, channels: int = 32, n_layers: int = 4):
        super().__init__()
        self.stft = ConvSTFT(n_fft, n_fft // 4)
        layers, c_in = [], 1
        for i in range(n_layers):
            stride = (2, 1) if i else (1, 1)
            layers.append(weight_norm(nn.Conv2d(c_in, channels, (3, 9), stride, padding=(1, 4))))
            c_in = channels
        self.convs = nn.ModuleList(layers)
        self.out = weight_norm(nn.Conv2d(c_in, 1, 3, padding=1))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = torch.log(self.stft(wave) + 1e-5).unsqueeze(1)          # (B, 1, F, frames)
        feats = []
        for conv in self.convs:
            x = nn.functional.leaky_relu(conv(x), 0.1)
            feats.append(x)
        x = self.out(x)
        feats.append(x)
        return x.flatten(1), feats


class MultiDiscriminator(nn.Module):
    """Multi-period (2, 3, 5, 7, 11) + multi-resolution STFT discriminators together.

    ``forward(wave (B, T)) -> (scores: list[(B, N)], features: list[list[Tensor]])``.
    """

    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11), n_ffts: tuple[int, ...] = (512, 1024, 2048),
                 period_channels: tuple[int, ...] = (16, 32, 64, 128), stft_channels: int = 32):
        super().__init__()
        self.discs = nn.ModuleList([PeriodDiscriminator(p, period_channels) for p in periods]
                                   + [ResolutionDiscriminator(n, stft_channels) for n in n_ffts])

    def forward(self, wave: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        scores, feats = [], []
        for d in self.discs:
            s, f = d(wave)
            scores.append(s)
            feats.append(f)
        return scores, feats
