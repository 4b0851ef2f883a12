"""Configuration of the ``classify`` recipe (dataclasses are the single source of truth)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from soundry.data import DataConfig
from soundry.train import TrainConfig


@dataclass
class ModelConfig:
    """Which backbone and how big (sizes are named presets of the backbone's model module)."""

    backbone: Literal["cnn"] = "cnn"
    size: str = "small"
    dropout: float = 0.2


@dataclass
class TaskConfig:
    """What is learned from the prepared segments and how they are augmented."""

    labels: list[str] = field(default_factory=list)   # filled from the data at train time
    crop_s: float = 2.0            # training crop; evaluation and prediction use windows of this size
    gain_db: float = 6.0           # random gain in +-gain_db
    noise_snr_db: float = 0.0      # 0 disables; else Gaussian noise at a random SNR in [snr, snr+20]
    label_smoothing: float = 0.0
    weight_decay: float = 1e-4


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
