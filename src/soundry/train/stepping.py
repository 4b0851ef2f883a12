"""The optimizers of one run: backward, accumulation, clipping, finiteness checks, LR schedule.

``StepContext.optimize`` lands here. Decisions that change control flow (is this loss finite?)
are agreed across ranks first, so every process skips or steps together and DDP never stalls
waiting for a rank that skipped its backward.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from soundry.train.protocol import NonFiniteLoss
from soundry.train.schedule import apply_lr, lr_factor, remember_initial_lr


class OptimizerHub:
    """Steps the recipe's (Fabric-wrapped) optimizers for the engine.

    ``modules``/``optimizers`` are the Fabric-wrapped dicts; ``lr_schedules`` maps optimizer
    names to ``f(step) -> factor`` overriding the warm-up/decay schedule for that optimizer.
    """

    def __init__(self, fabric: Any, modules: dict[str, Any], optimizers: dict[str, Any],
                 grad_accum: int = 1, clip_norm: float | None = None, warmup_steps: int = 0,
                 lr_decay: float = 1.0,
                 lr_schedules: dict[str, Callable[[int], float]] | None = None):
        self.fabric = fabric
        self.modules = modules
        self.optimizers = optimizers
        self.grad_accum = grad_accum
        self.clip_norm = clip_norm
        self.warmup_steps = warmup_steps
        self.lr_decay = lr_decay
        self.lr_schedules = dict(lr_schedules or {})
        unknown = set(self.lr_schedules) - set(optimizers)
        if unknown:
            raise ValueError(f"parts.lr_schedules names unknown optimizers: {sorted(unknown)}")
        # fp16 mixed precision has a GradScaler that skips inf/NaN gradient steps on its own
        # and lowers its scale; the engine must let it step so that the scale can adapt.
        precision = getattr(fabric.strategy, "precision", None)
        self.has_scaler = getattr(precision, "scaler", None) is not None
        for opt in optimizers.values():
            remember_initial_lr(opt)

    # ------------------------------------------------------------ agreement across ranks
    def all_ranks_ok(self, ok: bool) -> bool:
        """True when ``ok`` holds on every rank (one tiny all-reduce when distributed)."""
        if self.fabric.world_size == 1:
            return ok
        flag = torch.tensor(0.0 if ok else 1.0, device=self.fabric.device)
        flag = self.fabric.all_reduce(flag, reduce_op="sum")
        return float(flag) == 0.0

    # ------------------------------------------------------------ per step
    def set_lr(self, step: int, scale: float) -> dict[str, float]:
        """Apply the schedule for 0-based ``step`` times ``scale`` to every optimizer."""
        out = {}
        for name, opt in self.optimizers.items():
            sched = self.lr_schedules.get(name)
            factor = sched(step) if sched else lr_factor(step, self.warmup_steps, self.lr_decay)
            out[name] = apply_lr(opt, factor, scale)
        return out

    def current_lrs(self) -> dict[str, float]:
        return {name: float(opt.param_groups[0]["lr"]) for name, opt in self.optimizers.items()
                if opt.param_groups}

    def zero_all(self) -> None:
        """Drop every gradient (all optimizers and all modules, frozen or not)."""
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        for module in self.modules.values():
            module.zero_grad(set_to_none=True)

    def optimize(self, loss: torch.Tensor, name: str, accumulating: bool,
                 clip_norm: float | None = None) -> torch.Tensor | None:
        """See ``StepContext.optimize``."""
        if name not in self.optimizers:
            known = ", ".join(sorted(self.optimizers)) or "none"
            raise KeyError(f"ctx.optimize: no optimizer named '{name}' (parts.optimizers: {known})")
        if not self.all_ranks_ok(bool(torch.isfinite(loss.detach()).all())):
            raise NonFiniteLoss("loss", name)
        self.fabric.backward(loss / self.grad_accum)
        if accumulating:
            return None
        opt = self.optimizers[name]
        clip = self.clip_norm if clip_norm is None else clip_norm
        norm = None
        if clip:
            module = self.modules.get(name) or next(iter(self.modules.values()))
            norm = self.fabric.clip_gradients(module, opt, max_norm=clip, error_if_nonfinite=False)
        elif not self.has_scaler:
            norm = _grad_norm(opt)
        if not self.has_scaler and norm is not None:
            if not self.all_ranks_ok(math.isfinite(float(norm))):
                raise NonFiniteLoss("gradients", name)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return norm


def _grad_norm(optimizer: Any) -> torch.Tensor:
    """L2 norm of all gradients the optimizer holds (0 when none)."""
    grads = [p.grad for group in optimizer.param_groups for p in group["params"]
             if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(grads)
