"""The learning-rate schedule: linear warm-up, then exponential decay, times a rollback scale.

The rate is a pure function of the global optimizer step, so a resumed or rolled-back run
gets exactly the rate an uninterrupted run would have had, with no scheduler state to save.
Each optimizer keeps its own starting rate in ``param_group["initial_lr"]`` (the key
``torch.optim.lr_scheduler.LambdaLR`` uses), so several optimizers with different rates share
one schedule.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def lr_factor(step: int, warmup_steps: int = 0, decay: float = 1.0) -> float:
    """Multiplier of the initial rate at 0-based optimizer ``step``.

    Warm-up: ``(step + 1) / warmup_steps`` for ``step < warmup_steps`` (never 0, so the first
    step already moves). After it: ``decay ** (step - warmup_steps)``.
    """
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    return float(decay) ** (step - warmup_steps)


def lr_lambda(warmup_steps: int = 0, decay: float = 1.0) -> Callable[[int], float]:
    """``lr_factor`` bound to its settings: usable as ``LambdaLR(optimizer, lr_lambda(...))``."""

    def factor(step: int) -> float:
        return lr_factor(step, warmup_steps, decay)

    return factor


def remember_initial_lr(optimizer: torch.optim.Optimizer) -> None:
    """Store each group's configured rate as ``initial_lr`` (kept if already there, e.g. resumed)."""
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])


def apply_lr(optimizer: torch.optim.Optimizer, factor: float, scale: float = 1.0) -> float:
    """Set every group's rate to ``initial_lr * factor * scale``; returns the first group's rate."""
    first = None
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
        group["lr"] = group["initial_lr"] * factor * scale
        if first is None:
            first = group["lr"]
    return 0.0 if first is None else float(first)
