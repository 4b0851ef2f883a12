"""Causal content encoder: 16 kHz waveform -> ``content_dim`` features per 10 ms frame.

A strided causal conv front end (total stride = hop = 160) turns samples into frames, a causal
ConvNeXt stack mixes context from the past, and a linear layer gives the content features. A
``head`` maps features to ``n_units`` logits for CTC phone training or soft-unit distillation.

Lookahead: with ``lookahead_frames = L`` the features of frame ``t`` are computed from samples up
to frame ``t + L``. In streaming this is done by *delaying*: the encoder's output at step ``t``
belongs to frame ``t - L`` and the converter delays pitch and energy by ``L`` frames to match, which
adds ``L * 10 ms`` of algorithmic latency. ``features()`` (whole files, for training) returns the
features aligned with their frames (the last ``L`` frames repeat the final output).
"""

from __future__ import annotations

import torch
from torch import nn

from soundry.nn.streaming import CausalConv1d, CausalConvNeXtBlock, State, StreamingStack, gelu, split_state


class ContentEncoder(nn.Module):
    """``(B, hop * T)`` samples -> ``(B, T, content_dim)`` features (streaming: see ``forward``)."""

    def __init__(self, content_dim: int = 128, n_units: int = 64, channels: int = 192,
                 n_blocks: int = 6, mult: int = 3, frontend: tuple[int, ...] = (32, 64, 128),
                 strides: tuple[int, ...] = (4, 4, 10), lookahead_frames: int = 0):
        super().__init__()
        if not 0 <= lookahead_frames <= 3:
            raise ValueError(f"lookahead_frames must be 0..3, got {lookahead_frames}")
        self.hop = 1
        for s in strides:
            self.hop *= s
        self.lookahead_frames = lookahead_frames
        layers, c_in = [], 1
        for c_out, s in zip(frontend, strides):
            layers.append(CausalConv1d(c_in, c_out, 2 * s, stride=s, channels_last=True))
            c_in = c_out
        self.frontend = nn.ModuleList(layers)
        self.proj = nn.Conv1d(c_in, channels, 1)
        self.blocks = StreamingStack([CausalConvNeXtBlock(channels, mult) for _ in range(n_blocks)])
        self.norm = nn.LayerNorm(channels)
        self.out = nn.Linear(channels, content_dim)
        self.head = nn.Linear(content_dim, n_units)
        self.parts = list(self.frontend) + [self.blocks]
        self.n_states = sum(m.n_states for m in self.parts)

    def init_state(self, batch: int) -> State:
        return [s for m in self.parts for s in m.init_state(batch)]

    def forward(self, wave: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """Streaming step ``(B, hop * T)`` -> ``((B, T, content_dim), new_state)``.

        With lookahead the output row ``t`` belongs to frame ``t - lookahead_frames``.
        """
        x = wave.unsqueeze(-1)                                                # channels-last throughout
        new: State = []
        parts = split_state(state, self.parts)
        for conv, st in zip(self.frontend, parts):
            x, st = conv(x, st)
            x = gelu(x)
            new.extend(st)
        x = nn.functional.linear(x, self.proj.weight.squeeze(-1), self.proj.bias)
        x, st = self.blocks(x, parts[-1])
        new.extend(st)
        return self.out(self.norm(x)), new

    def features(self, wave: torch.Tensor) -> torch.Tensor:
        """Whole signal ``(B, hop * T)`` -> frame-aligned features ``(B, T, content_dim)``."""
        n = wave.shape[-1] // self.hop * self.hop
        feats, _ = self(wave[..., :n], self.init_state(wave.shape[0]))
        look = self.lookahead_frames
        if look:
            feats = torch.cat([feats[:, look:], feats[:, -1:].expand(-1, look, -1)], dim=1)
        return feats

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, T, content_dim)`` -> ``(B, T, n_units)`` unit/phone logits."""
        return self.head(features)
