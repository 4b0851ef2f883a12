"""AudioCNN: log-mel -> stacked conv blocks -> padding-aware pooling -> embedding -> logits."""

from __future__ import annotations

import torch
from torch import nn

from soundry.nn.spectral import LogMel


class ConvBlock(nn.Module):
    """Two 3x3 conv + BN + ReLU layers, then 2x2 average pooling (halves mel and time).

    ``mask`` ``(B, 1, 1, frames)`` zeroes frames past each clip's end after every layer, so the
    next convolution sees the same zeros a clip alone in its batch would get from padding.
    """

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                                   nn.ReLU(inplace=True))
        self.pool = nn.AvgPool2d(2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.conv1(x)
        if mask is not None:
            x = x * mask
        x = self.conv2(x)
        if mask is not None:
            x = x * mask
        return self.pool(x)


class AudioCNN(nn.Module):
    """Waveform classifier.

    ``forward(wave (B, T), lengths (B,) samples or None) -> (logits (B, n_classes), embedding (B, D))``.
    Pooling over time only counts frames inside each clip's length, so a clip's embedding does not
    depend on how much padding its batch mates forced on it.
    """

    def __init__(self, n_classes: int, sample_rate: int = 16000, n_mels: int = 64,
                 channels: tuple[int, ...] = (32, 64, 128, 256), embed_dim: int = 256,
                 dropout: float = 0.2, hop: int = 160, n_fft: int = 512):
        super().__init__()
        self.sample_rate, self.hop = sample_rate, hop
        self.frontend = LogMel(sample_rate, n_fft=n_fft, hop=hop, n_mels=n_mels)
        self.norm = nn.BatchNorm2d(1)
        blocks, cin = [], 1
        for c in channels:
            blocks.append(ConvBlock(cin, c))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.time_stride = 2 ** len(channels)
        self.proj = nn.Sequential(nn.Linear(2 * cin, embed_dim), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(embed_dim, n_classes)

    def embed(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T)`` samples -> ``(B, embed_dim)`` clip embedding.

        Features past each clip's end are zeroed after every block, which is exactly what the
        convolutions' own zero padding shows a clip that is alone in its batch.
        """
        x = self.norm(self.frontend(wave).unsqueeze(1))          # (B, 1, mels, frames)
        valid = None
        if lengths is not None:
            valid = torch.clamp(lengths // self.hop, min=1)
            x = x * self._mask(valid, x.shape[-1], x)
        for block in self.blocks:
            x = block(x, None if valid is None else self._mask(valid, x.shape[-1], x))
            if valid is not None:
                valid = torch.clamp(valid // 2, min=1)
                x = x * self._mask(valid, x.shape[-1], x)
        x = x.mean(dim=2)                                        # (B, C, frames')
        if valid is None:
            valid = torch.full((x.shape[0],), x.shape[-1], device=x.device)
        m = self._mask(valid, x.shape[-1], x).squeeze(1).squeeze(1).unsqueeze(1)   # (B, 1, frames')
        mean = (x * m).sum(-1) / m.sum(-1)
        mx = x.masked_fill(m == 0, float("-inf")).amax(-1)
        return self.proj(torch.cat([mean, mx], dim=1))

    @staticmethod
    def _mask(valid: torch.Tensor, frames: int, like: torch.Tensor) -> torch.Tensor:
        """``(B, 1, 1, frames)`` mask of ones on each clip's valid frames."""
        m = torch.arange(frames, device=like.device)[None, :] < valid[:, None]
        return m.to(like.dtype)[:, None, None, :]

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None):
        emb = self.embed(wave, lengths)
        return self.head(self.dropout(emb)), emb
