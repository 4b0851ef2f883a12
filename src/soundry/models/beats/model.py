"""BEATs: an audio transformer over 16x16 patches of a Kaldi log-mel filterbank.

``wave (B, T) 16 kHz -> fbank (B, frames, 128) -> Conv2d 16x16/16 -> (B, E, frames/16, 8)
-> tokens (B, N = 8 * frames/16, E) time-major -> LayerNorm -> Linear(E -> D) -> encoder``.

The padding mask is built from the patch layout: a clip of ``n`` samples has
``f = 1 + (n - 400) // 160`` frames and its first ``8 * (f // 16)`` tokens are valid; every other
token is padding. A clip's features therefore do not depend on its batch mates.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import torch
from torch import nn

from soundry.errors import DataError
from soundry.models.beats.config import BEATsConfig
from soundry.models.beats.encoder import TransformerEncoder
from soundry.models.beats.fbank import BEATS_NUM_MEL_BINS, BEATS_SAMPLE_RATE, beats_fbank, num_frames


class BEATs(nn.Module):
    """The BEATs backbone with the optional AudioSet predictor head of fine-tuned checkpoints.

    Keyword arguments are the official cfg keys (see :class:`BEATsConfig` for their meaning);
    ``BEATs(**beats_preset("base").model_kwargs())`` builds the released architecture.
    """

    sample_rate = BEATS_SAMPLE_RATE

    def __init__(self, *, input_patch_size: int = 16, embed_dim: int = 512, conv_bias: bool = False,
                 encoder_layers: int = 12, encoder_embed_dim: int = 768,
                 encoder_ffn_embed_dim: int = 3072, encoder_attention_heads: int = 12,
                 activation_fn: str = "gelu", layer_wise_gradient_decay_ratio: float = 1.0,
                 layer_norm_first: bool = False, deep_norm: bool = True, dropout: float = 0.1,
                 attention_dropout: float = 0.1, activation_dropout: float = 0.0,
                 encoder_layerdrop: float = 0.0, dropout_input: float = 0.0, conv_pos: int = 128,
                 conv_pos_groups: int = 16, relative_position_embedding: bool = True,
                 num_buckets: int = 320, max_distance: int = 800, gru_rel_pos: bool = True,
                 finetuned_model: bool = False, predictor_dropout: float = 0.1,
                 predictor_class: int = 527):
        super().__init__()
        if input_patch_size <= 0 or BEATS_NUM_MEL_BINS % input_patch_size:
            raise ValueError(f"input_patch_size {input_patch_size} must divide {BEATS_NUM_MEL_BINS} mel bins")
        # Keep the exact keyword arguments: they are the cfg dict a saved checkpoint must carry.
        args = locals()
        self.hparams = BEATsConfig(**{k: args[k] for k in BEATsConfig.__dataclass_fields__
                                      if k in args})
        self.patch = input_patch_size
        self.freq_patches = BEATS_NUM_MEL_BINS // input_patch_size
        self.patch_embedding = nn.Conv2d(1, embed_dim, input_patch_size, stride=input_patch_size,
                                         bias=conv_bias)
        self.layer_norm = nn.LayerNorm(embed_dim)
        self.post_extract_proj = (nn.Linear(embed_dim, encoder_embed_dim)
                                  if embed_dim != encoder_embed_dim else None)
        self.dropout_input = nn.Dropout(dropout_input)
        self.encoder = TransformerEncoder(
            encoder_embed_dim, encoder_ffn_embed_dim, encoder_layers, encoder_attention_heads,
            dropout, attention_dropout, activation_dropout, activation_fn, layer_norm_first,
            deep_norm, encoder_layerdrop, conv_pos, conv_pos_groups, relative_position_embedding,
            num_buckets, max_distance, gru_rel_pos, layer_wise_gradient_decay_ratio)
        if finetuned_model:
            self.predictor_dropout = nn.Dropout(predictor_dropout)
            self.predictor = nn.Linear(encoder_embed_dim, predictor_class)
        else:
            self.predictor = None
        self.use_sdpa = True
        self._init_weights(encoder_layers, deep_norm)

    @property
    def embed_dim(self) -> int:
        """Width ``D`` of the features."""
        return self.hparams.encoder_embed_dim

    def config_dict(self) -> dict:
        """The official ``cfg`` dict of this model (what ``save_beats_checkpoint`` writes)."""
        return asdict(self.hparams)

    def _init_weights(self, num_layers: int, deep_norm: bool) -> None:
        # BERT-style init for linear and embedding weights, then DeepNorm's down-scaled gains
        # (beta = (8N)^(-1/4)) on values, outputs and FFN, as the paper prescribes for training.
        for module in self.encoder.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
        if self.post_extract_proj is not None:
            nn.init.normal_(self.post_extract_proj.weight, std=0.02)
            nn.init.zeros_(self.post_extract_proj.bias)
        if deep_norm:
            beta = math.pow(8 * num_layers, -0.25)
            for layer in self.encoder.layers:
                attn = layer.self_attn
                for w, gain in ((attn.q_proj.weight, 1.0), (attn.k_proj.weight, 1.0),
                                (attn.v_proj.weight, beta), (attn.out_proj.weight, beta),
                                (layer.fc1.weight, beta), (layer.fc2.weight, beta)):
                    nn.init.xavier_normal_(w, gain=gain)

    # ------------------------------------------------------------------ layout
    def fbank(self, wave: torch.Tensor) -> torch.Tensor:
        """Normalised BEATs input ``(B, frames, 128)`` of 16 kHz audio ``(B, T)`` in [-1, 1]."""
        return beats_fbank(wave)

    def valid_tokens(self, lengths: torch.Tensor) -> torch.Tensor:
        """Valid token count ``(B,)`` for clip lengths ``(B,)`` in samples (whole patches only)."""
        return (num_frames(lengths.long()) // self.patch) * self.freq_patches

    def token_padding_mask(self, lengths: torch.Tensor, num_tokens: int) -> torch.Tensor:
        """``(B, num_tokens)`` bool, True at padding, for clip lengths ``(B,)`` in samples."""
        valid = self.valid_tokens(lengths).to(lengths.device)
        return torch.arange(num_tokens, device=lengths.device)[None, :] >= valid[:, None]

    def _check_lengths(self, wave: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        if lengths is None:
            lengths = torch.full((wave.shape[0],), wave.shape[1], dtype=torch.long, device=wave.device)
        lengths = torch.as_tensor(lengths, device=wave.device).long()
        if lengths.shape != (wave.shape[0],) or bool((lengths > wave.shape[1]).any()):
            raise ValueError(f"lengths {tuple(lengths.shape)} must be (B,) and <= T for wave {tuple(wave.shape)}")
        short = (self.valid_tokens(lengths) == 0).nonzero().flatten().tolist()
        if short:
            need = 400 + 160 * (self.patch - 1)
            raise DataError(
                f"clip(s) {short} are shorter than {need} samples ({need / self.sample_rate:.3f} s "
                f"at 16 kHz), the least BEATs can turn into one patch; pad them or leave them out")
        return lengths

    # ------------------------------------------------------------------ forward
    def extract_features(self, wave: torch.Tensor, lengths: torch.Tensor | None = None,
                         layer: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Features ``(B, N, D)`` and padding mask ``(B, N)`` (True = padding) for 16 kHz audio.

        ``wave`` ``(B, T)`` (or ``(T,)``) in [-1, 1]; ``lengths`` ``(B,)`` valid samples per clip
        (None: all ``T``); ``layer``: return that transformer layer's output (0-based, negative
        counts from the end) instead of the last one.
        """
        if wave.dim() == 1:
            wave = wave.unsqueeze(0)
        lengths = self._check_lengths(wave, lengths)
        if layer is not None:
            n = len(self.encoder.layers)
            if not -n <= layer < n:
                raise ValueError(f"layer {layer} is out of range for {n} layers")
            layer %= n
        # The fbank always runs in float32 (log of tiny energies); the network in its own dtype.
        dtype = self.patch_embedding.weight.dtype
        fbank = self.fbank(wave.float()).to(dtype).unsqueeze(1)  # (B, 1, frames, 128)
        x = self.patch_embedding(fbank)  # (B, E, frames // P, 128 // P)
        x = x.flatten(2).transpose(1, 2)  # time-major tokens (B, N, E)
        x = self.layer_norm(x)
        padding_mask = self.token_padding_mask(lengths, x.shape[1])
        if self.post_extract_proj is not None:
            x = self.post_extract_proj(x)
        x = self.dropout_input(x)
        mask = padding_mask if bool(padding_mask.any()) else None
        x = self.encoder(x, mask, layer=layer, use_sdpa=self.use_sdpa)
        return x, padding_mask

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None = None,
                layer: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Same as :meth:`extract_features`."""
        return self.extract_features(wave, lengths, layer)

    def predictor_logits(self, features: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
        """Clip logits ``(B, classes)``: per-token predictor logits averaged over valid tokens."""
        if self.predictor is None:
            raise ValueError("this BEATs model has no predictor head (not a fine-tuned checkpoint)")
        logits = self.predictor(self.predictor_dropout(features))
        keep = (~padding_mask).unsqueeze(-1).to(logits.dtype)
        return (logits * keep).sum(1) / keep.sum(1).clamp(min=1)

    def predict(self, wave: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class probabilities ``(B, classes)`` (sigmoid, multi-label) of a fine-tuned model."""
        features, padding_mask = self.extract_features(wave, lengths)
        return torch.sigmoid(self.predictor_logits(features, padding_mask))
