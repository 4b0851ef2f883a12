"""Retrieval blending (RVC ``index_rate`` / Beatrice kNN): pull content towards a speaker's codebook.

Each frame's content ``c`` becomes ``(1 - rate) * c + rate * mean(top-k nearest codes)`` where the
codes are a per-speaker k-means codebook of that speaker's training content features. Done in the
graph with one matmul and a TopK, so it costs ``K * D`` multiply-adds per frame.
"""

from __future__ import annotations

import torch
from torch import nn


def build_codebook(features: torch.Tensor, k: int = 512, iters: int = 20, seed: int = 0) -> torch.Tensor:
    """k-means (k-means++ init, Lloyd iterations) of ``features (N, D)`` -> ``(k, D)`` centroids.

    With fewer than ``k`` vectors, the codebook repeats them (every code is still a real feature).
    """
    x = features.detach().to(torch.float32).reshape(-1, features.shape[-1])
    n = x.shape[0]
    if n == 0:
        raise ValueError("build_codebook needs at least one feature vector")
    gen = torch.Generator().manual_seed(seed)
    if n <= k:
        return x[torch.arange(k) % n].clone()
    centres = x[torch.randint(n, (1,), generator=gen)]
    dist = torch.cdist(x, centres).squeeze(1) ** 2
    for _ in range(1, k):
        pick = torch.multinomial(dist.clamp_min(0) + 1e-12, 1, generator=gen)
        centres = torch.cat([centres, x[pick]])
        dist = torch.minimum(dist, ((x - x[pick]) ** 2).sum(-1))
    for _ in range(iters):
        assign = torch.cdist(x, centres).argmin(dim=1)
        sums = torch.zeros_like(centres).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).unsqueeze(1).to(x.dtype)
        # an empty cluster keeps its old centre rather than collapsing to zero
        centres = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
    return centres


class Retrieval(nn.Module):
    """Per-speaker codebooks ``(n_speakers, K, D)``; blends content ``(B, T, D)`` towards them."""

    def __init__(self, n_speakers: int, content_dim: int, codebook_size: int = 512, top_k: int = 4):
        super().__init__()
        self.top_k = top_k
        self.register_buffer("codebooks", torch.zeros(n_speakers, codebook_size, content_dim))

    def set_codebooks(self, codebooks: torch.Tensor) -> None:
        """Replace all codebooks: ``(n_speakers, K, D)`` (K may differ from the current size)."""
        if codebooks.dim() != 3 or codebooks.shape[0] != self.codebooks.shape[0] \
                or codebooks.shape[2] != self.codebooks.shape[2]:
            raise ValueError(f"codebooks must be (n_speakers={self.codebooks.shape[0]}, K, "
                             f"D={self.codebooks.shape[2]}), got {tuple(codebooks.shape)}")
        if codebooks.shape[1] < self.top_k:
            raise ValueError(f"codebooks need at least top_k={self.top_k} codes, got {codebooks.shape[1]}")
        self.codebooks = codebooks.detach().to(self.codebooks.dtype).clone()

    def forward(self, content: torch.Tensor, speaker: torch.Tensor, rate: torch.Tensor) -> torch.Tensor:
        """``content (B, T, D)``, ``speaker (B,)`` int64, ``rate (B,)`` in [0, 1] -> ``(B, T, D)``."""
        book = self.codebooks.index_select(0, speaker)                          # (B, K, D)
        # squared L2 distance without the ||c||^2 term (constant per frame, irrelevant to the ranking);
        # the codes' norms come from the buffer alone, so an exported graph holds them as a constant
        norms = (self.codebooks * self.codebooks).sum(-1).index_select(0, speaker)   # (B, K)
        score = norms.unsqueeze(1) - 2 * torch.matmul(content, book.transpose(1, 2))
        _, idx = torch.topk(score, self.top_k, dim=-1, largest=False)           # (B, T, k)
        b, t, _ = idx.shape
        picked = torch.gather(book, 1, idx.reshape(b, t * self.top_k, 1).expand(-1, -1, book.shape[-1]))
        mean = picked.reshape(b, t, self.top_k, -1).mean(2)
        rate = rate.reshape(-1, 1, 1)
        return content + rate * (mean - content)
