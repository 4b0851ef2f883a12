"""Padding-aware pooling of token features into one embedding per clip."""

from __future__ import annotations

import torch

POOL_MODES = ("mean", "max", "first", "last", "none")


def pool(features: torch.Tensor, padding_mask: torch.Tensor | None = None,
         mode: str = "mean") -> torch.Tensor:
    """Pool ``features`` ``(B, N, D)`` over valid tokens (``padding_mask`` ``(B, N)``, True = pad).

    ``mean`` / ``max``: over each clip's valid tokens only; ``first`` / ``last``: its first / last
    valid token; ``none``: the features unchanged (padded tokens zeroed). Returns ``(B, D)``
    (``(B, N, D)`` for ``none``). A clip with no valid token gives zeros, never NaN.
    """
    if features.dim() != 3:
        raise ValueError(f"pool expects features (B, N, D), got {tuple(features.shape)}")
    b, n, _ = features.shape
    if padding_mask is None:
        padding_mask = torch.zeros(b, n, dtype=torch.bool, device=features.device)
    if padding_mask.shape != (b, n):
        raise ValueError(f"padding_mask {tuple(padding_mask.shape)} does not match features {(b, n)}")
    valid = ~padding_mask.bool()
    count = valid.sum(dim=1)  # (B,)
    keep = valid.unsqueeze(-1)
    if mode == "mean":
        total = features.masked_fill(~keep, 0.0).sum(dim=1)
        return total / count.clamp(min=1).unsqueeze(-1).to(features.dtype)
    if mode == "max":
        out = features.masked_fill(~keep, float("-inf")).amax(dim=1)
        return out.masked_fill((count == 0).unsqueeze(-1), 0.0)
    if mode in ("first", "last"):
        index = torch.arange(n, device=features.device).expand(b, n)
        if mode == "first":
            pos = index.masked_fill(~valid, n).amin(dim=1).clamp(max=n - 1)
        else:
            pos = index.masked_fill(~valid, -1).amax(dim=1).clamp(min=0)
        out = features[torch.arange(b, device=features.device), pos]
        return out.masked_fill((count == 0).unsqueeze(-1), 0.0)
    if mode == "none":
        return features.masked_fill(~keep, 0.0)
    raise ValueError(f"unknown pooling mode '{mode}' (choose one of {', '.join(POOL_MODES)})")
