"""Losses for waveform generators (GAN vocoders, voice conversion): spectral, loudness, adversarial.

All take batched waveforms ``(B, T)`` at one sample rate and return a scalar tensor; each is 0
for identical inputs. Spectra use ``soundry.nn.spectral`` (conv STFT, exports and runs anywhere).
"""

from __future__ import annotations

import torch
from torch import nn

from soundry.nn.spectral import ConvSTFT, LogMel


class MultiResolutionMelLoss(nn.Module):
    """Mean L1 distance of log-mel spectrograms over several FFT sizes (hop = n_fft / 4)."""

    def __init__(self, sample_rate: int = 24000, n_ffts: tuple[int, ...] = (512, 1024, 2048),
                 n_mels: tuple[int, ...] = (40, 80, 128)):
        super().__init__()
        self.mels = nn.ModuleList(LogMel(sample_rate, n, n // 4, m) for n, m in zip(n_ffts, n_mels))

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return sum((mel(fake) - mel(real)).abs().mean() for mel in self.mels) / len(self.mels)


class MultiResolutionSTFTLoss(nn.Module):
    """Spectral convergence + log-magnitude L1, averaged over FFT sizes (Parallel WaveGAN style)."""

    def __init__(self, n_ffts: tuple[int, ...] = (512, 1024, 2048)):
        super().__init__()
        self.stfts = nn.ModuleList(ConvSTFT(n, n // 4) for n in n_ffts)

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        total = fake.new_zeros(())
        for stft in self.stfts:
            f, r = stft(fake), stft(real)
            sc = torch.linalg.vector_norm(r - f, dim=(1, 2)) / (torch.linalg.vector_norm(r, dim=(1, 2)) + 1e-7)
            total = total + sc.mean() + (torch.log(f + 1e-5) - torch.log(r + 1e-5)).abs().mean()
        return total / len(self.stfts)


def frame_loudness_db(wave: torch.Tensor, hop: int) -> torch.Tensor:
    """Mean-square level per hop of ``(B, T)`` in dB -> ``(B, T // hop)``."""
    n = wave.shape[-1] // hop * hop
    frames = wave[..., :n].reshape(wave.shape[0], -1, hop)
    return 10 * torch.log10((frames * frames).mean(-1) + 1e-8)


def loudness_loss(fake: torch.Tensor, real: torch.Tensor, hop: int = 240) -> torch.Tensor:
    """L1 between frame levels in dB (``hop`` samples per frame), divided by 10 to be O(1)."""
    return (frame_loudness_db(fake, hop) - frame_loudness_db(real, hop)).abs().mean() / 10.0


def generator_adversarial_loss(fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN generator loss: mean over discriminators of ``(1 - D(fake))^2``."""
    return sum(((1 - s) ** 2).mean() for s in fake_scores) / len(fake_scores)


def discriminator_loss(real_scores: list[torch.Tensor], fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN discriminator loss: mean of ``(1 - D(real))^2 + D(fake)^2``."""
    return sum(((1 - r) ** 2).mean() + (f ** 2).mean()
               for r, f in zip(real_scores, fake_scores)) / len(real_scores)


def feature_matching_loss(real_features: list[list[torch.Tensor]],
                          fake_features: list[list[torch.Tensor]]) -> torch.Tensor:
    """Mean L1 between discriminator feature maps of real (detached) and fake audio."""
    terms = [(r.detach() - f).abs().mean() for rs, fs in zip(real_features, fake_features)
             for r, f in zip(rs, fs)]
    return sum(terms) / len(terms)
