"""Configuration of the ``vc-content`` recipe: a causal content (phone) encoder for ``vc``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from soundry.data import DataConfig
from soundry.recipes.vc_content.augment import AugmentConfig
from soundry.train import TrainConfig


@dataclass
class ContentModelConfig:
    """Encoder size: the ``content`` part of ``soundry.models.vc.vc_preset(size)``."""

    size: str = "small"
    lookahead_frames: int = 0      # 0..3 frames of 10 ms; each adds 10 ms of latency at run time


@dataclass
class ContentTaskConfig:
    """What the encoder learns. With ``teacher`` set it regresses that SSL model's 100 Hz
    features (soft units, ``distill_weight``); with transcripts it learns phones with CTC
    (``ctc_weight``); with both it does both. ``units`` and ``unit_settings`` are filled from
    the transcripts at train time (the CTC vocabulary, kept for later runs)."""

    teacher: str = ""                  # local Hugging Face folder or hub id (HuBERT, ContentVec, WavLM)
    teacher_layer: int | None = None   # None = last layer; 9 is the usual choice for HuBERT base
    teacher_dim: int = 0               # filled at train time from the teacher
    distill_weight: float = 1.0
    ctc_weight: float = 1.0
    phonemizer: str = "auto"           # auto | espeak | graphemes
    language: str = "en-us"
    units: list[str] = field(default_factory=list)
    unit_settings: dict[str, Any] = field(default_factory=dict)
    max_s: float = 8.0                 # longer utterances are cut (and lose their transcript)


def _data() -> DataConfig:
    # whole recordings as segments: a transcript belongs to the whole file
    return DataConfig(sample_rates=[16000], slice=False, val_fraction=0.1)


def _train() -> TrainConfig:
    return TrainConfig(steps=3000, batch_size=8, lr=1e-3, warmup_steps=200, lr_decay=0.9995,
                       log_every=10, eval_every=250, checkpoint_every=250, keep_last=2, clip_norm=5.0)


@dataclass
class Config:
    """Full ``vc-content`` configuration: ``data``, ``model``, ``content``, ``augment``, ``train``."""

    data: DataConfig = field(default_factory=_data)
    model: ContentModelConfig = field(default_factory=ContentModelConfig)
    content: ContentTaskConfig = field(default_factory=ContentTaskConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=_train)
