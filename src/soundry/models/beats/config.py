"""BEATs configuration: the official ``cfg`` keys as a dataclass, plus named sizes.

Defaults are those of the official ``BEATsConfig`` class, because a checkpoint's ``cfg`` dict only
overrides them: a key missing from a checkpoint means the class default, not our preset. The
released models differ from these defaults (see ``beats_preset("base")``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from soundry.errors import ConfigError


@dataclass
class BEATsConfig:
    """Architecture and regularisation of a BEATs model (official ``cfg`` key names)."""

    input_patch_size: int = -1            # patch side on the (frames, 128 mel) fbank
    embed_dim: int = 512                  # patch embedding width E
    conv_bias: bool = False               # bias in the patch embedding conv
    encoder_layers: int = 12
    encoder_embed_dim: int = 768          # transformer width D
    encoder_ffn_embed_dim: int = 3072
    encoder_attention_heads: int = 12
    activation_fn: str = "gelu"
    layer_wise_gradient_decay_ratio: float = 1.0
    layer_norm_first: bool = False        # pre-LN layers (else post-LN)
    deep_norm: bool = False               # DeepNorm residual scaling (post-LN only)
    dropout: float = 0.1
    attention_dropout: float = 0.1
    activation_dropout: float = 0.0
    encoder_layerdrop: float = 0.0
    dropout_input: float = 0.0
    conv_pos: int = 128                   # kernel of the convolutional positional embedding
    conv_pos_groups: int = 16
    relative_position_embedding: bool = False
    num_buckets: int = 320
    max_distance: int = 1280
    gru_rel_pos: bool = False             # query-gated relative position bias
    finetuned_model: bool = False         # has the AudioSet predictor head
    predictor_dropout: float = 0.1
    predictor_class: int = 527
    # cfg keys this version does not know, kept so that nothing is dropped silently and a
    # re-saved checkpoint still carries them. Never passed to the model.
    unknown: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_official(cls, cfg: dict[str, Any], strict: bool = False) -> BEATsConfig:
        """Config from a checkpoint's ``cfg`` dict. Unknown keys land in ``unknown`` (or raise
        ConfigError with ``strict=True``); values of the wrong type raise ConfigError."""
        if not isinstance(cfg, dict):
            raise ConfigError(f"BEATs checkpoint 'cfg' must be a dict, got {type(cfg).__name__}")
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "unknown"}
        values, unknown = {}, {}
        for key, value in cfg.items():
            if key not in known:
                unknown[key] = value
                continue
            values[key] = _check_type(key, value, known[key].type)
        if unknown and strict:
            raise ConfigError(f"unknown BEATs cfg keys: {', '.join(sorted(unknown))}")
        return cls(**values, unknown=unknown)

    def to_official(self) -> dict[str, Any]:
        """The ``cfg`` dict an official checkpoint holds (unknown keys included, as read)."""
        out = {k: v for k, v in dataclasses.asdict(self).items() if k != "unknown"}
        out.update(self.unknown)
        return out

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`soundry.models.beats.BEATs`."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "unknown"}


_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


def _check_type(key: str, value: Any, annotation: Any) -> Any:
    tp = _TYPES.get(annotation if isinstance(annotation, str) else getattr(annotation, "__name__", ""))
    if tp is None:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"BEATs cfg key '{key}': expected int, got {value!r}")
    if tp is bool and isinstance(value, int) and value in (0, 1):
        return bool(value)  # fairseq-era configs sometimes store flags as 0/1
    if not isinstance(value, tp):
        raise ConfigError(f"BEATs cfg key '{key}': expected {tp.__name__}, got {value!r}")
    return value


# Released iter3 / iter3+ models: the class defaults with these changes (FACTS.md).
_BASE = dict(input_patch_size=16, deep_norm=True, relative_position_embedding=True,
             gru_rel_pos=True, max_distance=800)

BEATS_PRESETS: dict[str, dict[str, Any]] = {
    # Tests and smoke runs: same structure (all features on), a few hundred thousand parameters.
    "tiny": dict(_BASE, embed_dim=32, encoder_layers=2, encoder_embed_dim=64,
                 encoder_ffn_embed_dim=128, encoder_attention_heads=4, conv_pos=16,
                 conv_pos_groups=4, num_buckets=32, max_distance=128),
    "base": dict(_BASE),
}


def beats_preset(name: str, **overrides: Any) -> BEATsConfig:
    """Config of a named size (``tiny``, ``base``) with optional field overrides.

    ``base`` is the architecture of the released iter3/iter3+ checkpoints (90.3 M parameters);
    add ``finetuned_model=True`` for the AudioSet fine-tuned ones.
    """
    if name not in BEATS_PRESETS:
        raise ConfigError(f"unknown BEATs size '{name}' (choose one of {', '.join(BEATS_PRESETS)})")
    values = dict(BEATS_PRESETS[name], **overrides)
    return BEATsConfig.from_official(values, strict=True)
