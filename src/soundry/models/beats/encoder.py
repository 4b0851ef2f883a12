"""The BEATs transformer encoder: convolutional positions, post-LN/DeepNorm (or pre-LN) layers.

Module and parameter names reproduce the official state-dict keys (``encoder.pos_conv.0.weight_g``,
``encoder.layers.N.self_attn.q_proj.weight``, ...), so official checkpoints load without renaming.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from soundry.models.beats.attention import GatedRelPosSelfAttention


class WeightNormConv1d(nn.Module):
    """Grouped Conv1d whose weight is ``g * v / ||v||`` with the norm over all dims but dim 2.

    Stores the legacy ``weight_g`` ``[1, 1, K]`` and ``weight_v`` ``[C, C/groups, K]`` parameters
    by name, which is the layout of ``torch.nn.utils.weight_norm(conv, dim=2)`` that the official
    checkpoints were saved with; no renaming or parametrisation hooks are involved.
    """

    def __init__(self, channels: int, kernel_size: int, groups: int):
        super().__init__()
        if channels % groups:
            raise ValueError(f"{channels} channels are not divisible by {groups} groups")
        self.padding, self.groups = kernel_size // 2, groups
        v = torch.randn(channels, channels // groups, kernel_size)
        v.mul_(math.sqrt(4.0 / (kernel_size * channels)))
        self.weight_v = nn.Parameter(v)
        self.weight_g = nn.Parameter(v.norm(dim=(0, 1), keepdim=True))
        self.bias = nn.Parameter(torch.zeros(channels))

    @property
    def weight(self) -> torch.Tensor:
        return self.weight_g * self.weight_v / self.weight_v.norm(dim=(0, 1), keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, L)`` -> ``(B, C, L + 1 - K % 2)`` (the caller trims the extra step)."""
        return F.conv1d(x, self.weight, self.bias, padding=self.padding, groups=self.groups)


class TrimLast(nn.Module):
    """Drops the last time step an even kernel with symmetric padding adds (no parameters)."""

    def __init__(self, kernel_size: int):
        super().__init__()
        self.remove = 1 if kernel_size % 2 == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., : x.shape[-1] - self.remove]


def activation(name: str):
    """The FFN activation of the official cfg ``activation_fn``."""
    if name == "gelu":
        return lambda x: F.gelu(x.float()).type_as(x)
    if name in ("gelu_fast", "gelu_accurate"):
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    if name == "tanh":
        return torch.tanh
    if name == "linear":
        return lambda x: x
    raise ValueError(f"activation_fn '{name}' is not supported (gelu, gelu_accurate, relu, tanh, linear)")


class _GradMultiply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


class EncoderLayer(nn.Module):
    """One transformer layer. Post-LN with DeepNorm residual scaling ``alpha = (2N)^(1/4)``
    (``layer_norm_first=False``), or pre-LN (``layer_norm_first=True``, no DeepNorm)."""

    def __init__(self, embed_dim: int, ffn_dim: int, num_heads: int, dropout: float,
                 attention_dropout: float, activation_dropout: float, activation_fn: str,
                 layer_norm_first: bool, deep_norm: bool, num_layers: int,
                 has_relative_attention_bias: bool, num_buckets: int, max_distance: int,
                 gru_rel_pos: bool):
        super().__init__()
        self.self_attn = GatedRelPosSelfAttention(
            embed_dim, num_heads, attention_dropout, has_relative_attention_bias,
            num_buckets, max_distance, gru_rel_pos)
        self.self_attn_layer_norm = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, embed_dim)
        self.final_layer_norm = nn.LayerNorm(embed_dim)
        self.act = activation(activation_fn)
        self.dropout = nn.Dropout(dropout)
        self.activation_dropout = nn.Dropout(activation_dropout)
        self.layer_norm_first = layer_norm_first
        self.residual_scale = math.pow(2 * num_layers, 0.25) if deep_norm else 1.0

    def _ffn(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.fc2(self.activation_dropout(self.act(self.fc1(x)))))

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor | None,
                pos_bias: torch.Tensor | None, use_sdpa: bool = True) -> torch.Tensor:
        """``x`` ``(B, L, D)`` -> ``(B, L, D)``."""
        if self.layer_norm_first:
            h = self.self_attn(self.self_attn_layer_norm(x), padding_mask, pos_bias, use_sdpa)
            x = x + self.dropout(h)
            return x + self._ffn(self.final_layer_norm(x))
        h = self.self_attn(x, padding_mask, pos_bias, use_sdpa)
        x = self.self_attn_layer_norm(x * self.residual_scale + self.dropout(h))
        return self.final_layer_norm(x * self.residual_scale + self._ffn(x))


class TransformerEncoder(nn.Module):
    """Conv positional embedding + ``num_layers`` layers; one relative-bias table shared by all."""

    def __init__(self, embed_dim: int, ffn_dim: int, num_layers: int, num_heads: int,
                 dropout: float, attention_dropout: float, activation_dropout: float,
                 activation_fn: str, layer_norm_first: bool, deep_norm: bool, layerdrop: float,
                 conv_pos: int, conv_pos_groups: int, relative_position_embedding: bool,
                 num_buckets: int, max_distance: int, gru_rel_pos: bool,
                 layer_wise_gradient_decay_ratio: float = 1.0):
        super().__init__()
        if deep_norm and layer_norm_first:
            raise ValueError("deep_norm needs layer_norm_first=False (post-LN layers)")
        self.pos_conv = nn.Sequential(WeightNormConv1d(embed_dim, conv_pos, conv_pos_groups),
                                      TrimLast(conv_pos), nn.GELU())
        self.layers = nn.ModuleList(
            EncoderLayer(embed_dim, ffn_dim, num_heads, dropout, attention_dropout,
                         activation_dropout, activation_fn, layer_norm_first, deep_norm,
                         num_layers, relative_position_embedding, num_buckets, max_distance,
                         gru_rel_pos)
            for _ in range(num_layers))
        if relative_position_embedding:
            # One table; every layer's module points at it, so the state dict lists it under each
            # layer's key (as the official checkpoints do) while the parameter is counted once.
            shared = self.layers[0].self_attn.relative_attention_bias
            for layer in self.layers[1:]:
                layer.self_attn.relative_attention_bias = shared
        self.relative_position_embedding = relative_position_embedding
        self.layer_norm = nn.LayerNorm(embed_dim)
        self.layer_norm_first = layer_norm_first
        self.dropout = nn.Dropout(dropout)
        self.layerdrop = layerdrop
        self.grad_decay = layer_wise_gradient_decay_ratio

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor | None = None,
                layer: int | None = None, use_sdpa: bool = True) -> torch.Tensor:
        """``x`` ``(B, L, D)`` -> ``(B, L, D)``: the last layer's output, or layer ``layer``'s
        (0-based; no final LayerNorm then, as in the official ``tgt_layer``)."""
        if padding_mask is not None:
            # Padded tokens must be exact zeros for the positional conv, which is what the conv's
            # own zero padding gives a clip that is alone in its batch.
            x = x.masked_fill(padding_mask.unsqueeze(-1), 0.0)
        x = x + self.pos_conv(x.transpose(1, 2)).transpose(1, 2)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        x = self.dropout(x)
        pos_bias = None
        if self.relative_position_embedding:
            pos_bias = self.layers[0].self_attn.position_bias(x.shape[1])
        for i, block in enumerate(self.layers):
            if self.grad_decay != 1.0:
                x = _GradMultiply.apply(x, self.grad_decay)
            if not self.training or self.layerdrop <= 0 or torch.rand(()).item() > self.layerdrop:
                x = block(x, padding_mask, pos_bias, use_sdpa)
            if layer is not None and i == layer:
                return x
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return x
