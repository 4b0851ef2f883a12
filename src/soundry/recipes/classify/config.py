"""Configuration of the ``classify`` recipe (dataclasses are the single source of truth)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from soundry.data import DataConfig
from soundry.train import TrainConfig


@dataclass
class ModelConfig:
    """Which backbone, how it starts and what is trained.

    ``mode``: ``scratch`` trains a randomly initialised backbone of ``size`` (CNN sizes tiny/
    small/base, BEATs presets tiny/base) with the head; ``linear`` freezes a pretrained backbone
    (``checkpoint``) and trains the head only; ``finetune`` trains everything, the backbone with
    layer-wise LR decay (layer ``i`` of ``L`` gets ``lr * layer_decay ** (L + 1 - i)``).
    ``checkpoint``: a registry name (``soundry download --list``; fetched on first use), an
    official BEATs ``.pt`` file, or a ``classify`` bundle folder whose backbone is re-used.
    """

    backbone: Literal["cnn", "beats"] = "cnn"
    size: str = "small"
    mode: Literal["scratch", "linear", "finetune"] = "scratch"
    checkpoint: str = ""
    checkpoint_cache: str = ""         # hub cache folder ("" = $SOUNDRY_CACHE or ~/.cache/soundry)
    layer_decay: float = 0.75
    pooling: Literal["mean", "max", "first", "last"] = "mean"   # BEATs token pooling
    layer: int | None = None           # BEATs layer to pool (0-based, negative from the end; None = last)
    dropout: float = 0.2
    # The backbone's architecture, filled at train time (e.g. a BEATs checkpoint's cfg) so that
    # a trained run or bundle rebuilds without the original checkpoint file.
    arch: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskConfig:
    """What is learned from the prepared segments, how they are split and augmented."""

    labels: list[str] = field(default_factory=list)   # filled from the data at train time
    multi_label: bool = False      # labels like "dog;rain": sigmoid + BCE, monitored by mAP
    label_separator: str = ";"
    threshold: float = 0.5         # multi-label decision threshold (F1, precision, recall)
    crop_s: float = 2.0            # training crop; evaluation and prediction use windows of this size
    gain_db: float = 6.0           # random gain in +-gain_db
    noise_snr_db: float = 0.0      # 0 disables; else Gaussian noise at a random SNR in [snr, snr+20]
    mixup: float = 0.0             # Beta(a, a) mixup of waves and targets; 0 disables
    time_masks: int = 0            # SpecAugment-style: zeroed time spans per crop ...
    time_mask_s: float = 0.1       # ... each up to this long
    freq_masks: int = 0            # ... and removed frequency bands per crop ...
    freq_mask_hz: float = 500.0    # ... each up to this wide
    label_smoothing: float = 0.0
    weight_decay: float = 1e-4
    # Splits: segments with a user `split` column keep it. Otherwise, with `val_fold` set the
    # segments whose `fold_column` value equals it validate (official ESC-50/UrbanSound8K
    # protocols); with `folds` > 1 instead, stratified folds are drawn with the split
    # seed; else a stratified random `data.val_fraction` of the recordings validates.
    fold_column: str = "fold"
    val_fold: str = ""
    folds: int = 0


def _data() -> DataConfig:
    return DataConfig(sample_rates=[16000], val_fraction=0.15)


def _train() -> TrainConfig:
    return TrainConfig(steps=600, batch_size=16, lr=1e-3, warmup_steps=50, lr_decay=0.999,
                       log_every=10, eval_every=100, checkpoint_every=100, keep_last=2,
                       monitor="val/accuracy", monitor_mode="max")


@dataclass
class Config:
    """Full ``classify`` configuration: ``data``, ``model``, ``task`` and ``train`` sections."""

    data: DataConfig = field(default_factory=_data)
    model: ModelConfig = field(default_factory=ModelConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    train: TrainConfig = field(default_factory=_train)
