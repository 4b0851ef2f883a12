"""BEATs self-attention: bucketed relative positions with a query-gated bias (WavLM style).

The bias table ``relative_attention_bias`` ``(num_buckets, H)`` maps the bucket of each
relative position ``key - query`` (on the flattened patch sequence) to one value per head. Each
layer scales that shared bias per query by a gate computed from the query itself:

    g_a, g_b = sigmoid(sum over 4 of grep_linear(q_h).view(2, 4))        # q_h: (head_dim,)
    gate     = g_a * (g_b * grep_a_h - 1) + 2                             # in (1, 2 + ...)
    scores   = q_h . k_h / sqrt(head_dim) + gate * bias_h[q, k] (+ -inf at padded keys)

``q_h`` here is the raw projection (bias included, before the 1/sqrt(d) scaling). The official
code subtracts each row's maximum and rescales by 32 before the softmax, a numerical trick that
leaves the softmax unchanged; with an additive float mask the whole thing is exactly what
``torch.nn.functional.scaled_dot_product_attention`` computes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def relative_position_buckets(query_len: int, key_len: int, num_buckets: int, max_distance: int,
                              device: torch.device | None = None) -> torch.Tensor:
    """Bucket index ``(query_len, key_len)`` of each relative position ``key - query``.

    Half the buckets hold keys after the query, half keys before (or at) it. Within a half, the
    first ``n/2`` distances get a bucket each; larger ones share log-spaced buckets up to
    ``max_distance`` and beyond it the last bucket.
    """
    query = torch.arange(query_len, dtype=torch.long, device=device)[:, None]
    key = torch.arange(key_len, dtype=torch.long, device=device)[None, :]
    relative = key - query
    half = num_buckets // 2
    buckets = (relative > 0).long() * half
    distance = relative.abs()
    max_exact = half // 2
    is_small = distance < max_exact
    # clamp(min=1) only avoids log(0) on entries that is_small already routes elsewhere.
    log_ratio = torch.log(distance.clamp(min=1).float() / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (log_ratio * (half - max_exact)).long()
    large = large.clamp(max=half - 1)
    return buckets + torch.where(is_small, distance, large)


class GatedRelPosSelfAttention(nn.Module):
    """Multi-head self-attention with the optional gated relative position bias.

    Parameter names follow the official checkpoints: ``q_proj, k_proj, v_proj, out_proj``,
    ``grep_linear`` ``[8, head_dim]``, ``grep_a`` ``[1, H, 1, 1]`` and
    ``relative_attention_bias`` (an ``nn.Embedding(num_buckets, H)``, shared across layers by
    the encoder).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 has_relative_attention_bias: bool = False, num_buckets: int = 320,
                 max_distance: int = 800, gru_rel_pos: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by {num_heads} heads")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.num_buckets, self.max_distance = num_buckets, max_distance
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        self.relative_attention_bias = (nn.Embedding(num_buckets, num_heads)
                                        if has_relative_attention_bias else None)
        self.gru_rel_pos = gru_rel_pos
        if gru_rel_pos:
            self.grep_linear = nn.Linear(self.head_dim, 8)
            self.grep_a = nn.Parameter(torch.ones(1, num_heads, 1, 1))

    def position_bias(self, length: int) -> torch.Tensor:
        """Ungated bias ``(H, length, length)`` from this layer's table."""
        table = self.relative_attention_bias
        if table is None:
            raise RuntimeError("this attention layer has no relative_attention_bias table")
        buckets = relative_position_buckets(length, length, self.num_buckets, self.max_distance,
                                            device=table.weight.device)
        return table(buckets).permute(2, 0, 1)

    def _gate(self, q: torch.Tensor) -> torch.Tensor:
        """Per-query gate ``(B, H, L, 1)`` from raw per-head queries ``q`` ``(B, H, L, head_dim)``."""
        b, h, length, _ = q.shape
        logits = self.grep_linear(q).view(b, h, length, 2, 4).sum(-1)
        gate_a, gate_b = torch.sigmoid(logits).chunk(2, dim=-1)
        return gate_a * (gate_b * self.grep_a - 1.0) + 2.0

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor | None = None,
                pos_bias: torch.Tensor | None = None, use_sdpa: bool = True) -> torch.Tensor:
        """``x`` ``(B, L, D)``; ``padding_mask`` ``(B, L)`` True at padding; ``pos_bias``
        ``(H, L, L)`` ungated (None: none). Returns ``(B, L, D)``."""
        b, length, _ = x.shape
        q = self.q_proj(x).view(b, length, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, length, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, length, self.num_heads, self.head_dim).transpose(1, 2)
        mask = None
        if pos_bias is not None:
            mask = pos_bias.unsqueeze(0).to(q.dtype)
            if self.gru_rel_pos:
                mask = self._gate(q) * mask  # (B, H, L, L)
        if padding_mask is not None:
            pad = torch.zeros(b, 1, 1, length, dtype=q.dtype, device=q.device)
            pad = pad.masked_fill(padding_mask[:, None, None, :], float("-inf"))
            mask = pad if mask is None else mask + pad
        p = self.dropout if self.training else 0.0
        if use_sdpa:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:
            out = naive_attention(q, k, v, mask, p)
        out = out.transpose(1, 2).reshape(b, length, self.embed_dim)
        return self.out_proj(out)


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                    mask: torch.Tensor | None, dropout_p: float = 0.0) -> torch.Tensor:
    """Reference attention ``softmax(q k^T / sqrt(d) + mask) v`` on ``(B, H, L, d)`` tensors."""
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    probs = torch.softmax(scores, dim=-1)
    if dropout_p:
        probs = F.dropout(probs, dropout_p)
    return torch.matmul(probs, v)
