"""``TrainConfig``: the ``train`` section of every recipe config (the engine's settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from soundry.errors import ConfigError


@dataclass
class TrainConfig:
    """How the engine runs a recipe. Counts are optimizer steps unless named otherwise.

    ``lr`` is a default a recipe may give its optimizers; the engine's schedule multiplies every
    optimizer's own initial rate by ``lr_factor(step)`` (linear warm-up over ``warmup_steps``,
    then ``lr_decay ** (step - warmup_steps)``) and by a scale that rollbacks lower.
    ``precision`` is any Lightning Fabric precision string ("32-true", "16-mixed",
    "bf16-mixed", "bf16-true", ...). ``devices`` is a count or "auto". ``keep_last=0`` keeps
    every checkpoint. ``monitor`` names an eval metric (e.g. "val/loss"); with it set, every
    improvement writes a checkpoint that ``checkpoints/best`` names and pruning spares, and
    ``patience`` evals without improvement stop training early (0: never).
    ``max_bad_steps`` consecutive non-finite steps roll back to the newest checkpoint with the
    rate scaled by ``rollback_lr_factor``; a rollback needed after ``max_rollbacks`` fails.
    """

    steps: int = 1000
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 1e-4
    warmup_steps: int = 0
    lr_decay: float = 1.0
    precision: str = "32-true"
    accelerator: str = "auto"
    devices: int | str = 1
    strategy: Literal["auto", "ddp", "fsdp"] = "auto"
    num_nodes: int = 1
    num_workers: int = 0
    seed: int = 0
    deterministic: bool = True
    log_every: int = 10
    eval_every: int = 0
    eval_batches: int = 0
    checkpoint_every: int = 500
    keep_last: int = 3
    max_bad_steps: int = 5
    rollback_lr_factor: float = 0.5
    max_rollbacks: int = 3
    clip_norm: float | None = None
    monitor: str = ""
    monitor_mode: Literal["min", "max"] = "min"
    patience: int = 0
    progress: bool = True
    tensorboard: bool = True

    def validate(self, prefix: str = "train") -> TrainConfig:
        """Check value ranges; raises ConfigError naming the key. Returns ``self``."""
        positive = ("steps", "batch_size", "grad_accum", "num_nodes", "log_every",
                    "checkpoint_every", "max_bad_steps")
        for key in positive:
            if getattr(self, key) < 1:
                raise ConfigError(f"config key '{prefix}.{key}' must be at least 1, "
                                  f"got {getattr(self, key)}")
        for key in ("warmup_steps", "num_workers", "seed", "eval_every", "eval_batches",
                    "keep_last", "max_rollbacks", "patience"):
            if getattr(self, key) < 0:
                raise ConfigError(f"config key '{prefix}.{key}' must not be negative, "
                                  f"got {getattr(self, key)}")
        if not 0.0 < self.lr_decay <= 1.0:
            raise ConfigError(f"config key '{prefix}.lr_decay' must be in (0, 1], got {self.lr_decay}")
        if not 0.0 < self.rollback_lr_factor <= 1.0:
            raise ConfigError(f"config key '{prefix}.rollback_lr_factor' must be in (0, 1], "
                              f"got {self.rollback_lr_factor}")
        if self.clip_norm is not None and self.clip_norm <= 0:
            raise ConfigError(f"config key '{prefix}.clip_norm' must be positive or null, "
                              f"got {self.clip_norm}")
        if isinstance(self.devices, str) and self.devices != "auto":
            raise ConfigError(f"config key '{prefix}.devices' must be a number or 'auto', "
                              f"got {self.devices!r}")
        if self.patience and not self.monitor:
            raise ConfigError(f"config key '{prefix}.patience' needs '{prefix}.monitor' "
                              "(an eval metric such as 'val/loss') to know what to watch")
        if self.monitor and not self.eval_every:
            raise ConfigError(f"config key '{prefix}.monitor' needs '{prefix}.eval_every' > 0: "
                              "without evaluation there is nothing to monitor")
        return self
