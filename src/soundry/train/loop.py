"""One process's training run: the step loop, bad steps, rollbacks, eval, checkpoints, resume.

Semantics worth knowing:
- ``RunState.step`` counts completed optimizer steps; events and checkpoint names use it.
- A bad step (non-finite loss, gradients or returned scalar) is skipped: gradients are
  dropped, no optimizer steps (one that already stepped earlier in the same ``train_step``,
  e.g. a GAN's discriminator, keeps its update) and the same step is retried with the next
  batches. ``max_bad_steps`` in a row roll back to the newest checkpoint (or the initial
  weights kept in memory) with the learning rate scaled by ``rollback_lr_factor``; the data
  stream keeps moving forward, so the batches that diverged are not replayed. A rollback
  needed after ``max_rollbacks`` of them raises TrainingError.
- Resume restores weights, optimizers, precision scaler, counters, the sampler position and
  every rank's RNG states, so later steps equal those of an uninterrupted run.
"""

from __future__ import annotations

import copy
import math
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch

from soundry.config import save_config
from soundry.errors import CheckpointError, ConfigError, DataError, TrainingError, TrainingStopped
from soundry.train import checkpoint as ckpt_io
from soundry.train.config import TrainConfig
from soundry.train.data import (EVAL_EPOCH, EvalBatchSampler, ResumableBatchSampler,
                                build_loader, dataset_length, sample_seed, seeded_rng)
from soundry.train.distributed import (full_weights, gather_objects, load_optimizer_state,
                                       optimizer_state, restore_weights, setup_parts)
from soundry.train.evaluation import non_finite, run_eval, to_floats
from soundry.train.logging import RunLogger
from soundry.train.protocol import NonFiniteLoss, StepContext
from soundry.train.runstate import RunState
from soundry.train.seeding import capture_rng, restore_rng, seed_everything
from soundry.train.stepping import OptimizerHub


class TrainingRun:
    """Everything one rank needs to train ``recipe`` with ``cfg`` into ``run_dir``."""

    def __init__(self, fabric: Any, recipe: Any, cfg: Any, run_dir: Path, data: Any = None,
                 events: Any = None):
        self.fabric, self.recipe, self.cfg, self.data = fabric, recipe, cfg, data
        self.run_dir = Path(run_dir)
        self.tc: TrainConfig = cfg.train
        self.events = events
        self.rank0 = fabric.is_global_zero
        self.rs = RunState()
        self.metrics: dict[str, float] = {}
        self.window: dict[str, list[float]] = {}
        self.last_ckpt: Path | None = None
        self.last_ckpt_step = -1
        self.last_eval_step = -1
        self.stop_requested: str | None = None

    def _stop(self) -> None:
        """Checkpoint the finished steps, then end the run with TrainingStopped."""
        if self.last_ckpt_step != self.rs.step:
            self._save()
        self.log.event("stopped", self.rs.step, signal=self.stop_requested, checkpoint=self.last_ckpt)
        raise TrainingStopped(f"training stopped by {self.stop_requested} at step {self.rs.step}; "
                              f"checkpoint saved in {self.last_ckpt}: resume with -r")

    # ------------------------------------------------------------------ set-up
    def prepare(self, resume: bool) -> tuple[str, Path | None]:
        """Build, wrap, load; returns (status, checkpoint resumed from)."""
        tc, fabric = self.tc, self.fabric
        found = ckpt_io.latest_checkpoint(self.run_dir)
        if found is not None and not resume:
            raise CheckpointError(
                f"run folder {self.run_dir} already has checkpoints (newest: {found.name}); "
                "pass -r/--resume to continue it, or choose another run folder")
        if self.rank0:
            save_config(self.cfg, self.run_dir / "config.yaml")
        seed_everything(tc.seed)
        self.parts = self.recipe.build(self.cfg, self.data, fabric)
        for attr in ("modules", "optimizers", "train_set"):
            if not hasattr(self.parts, attr):
                raise TypeError(f"recipe {self.recipe.name}: build() returned parts without "
                                f"'{attr}'")
        self.frozen = setup_parts(fabric, self.parts)
        self.hub = OptimizerHub(fabric, self.parts.modules, self.parts.optimizers,
                                grad_accum=tc.grad_accum, clip_norm=tc.clip_norm,
                                warmup_steps=tc.warmup_steps, lr_decay=tc.lr_decay,
                                lr_schedules=getattr(self.parts, "lr_schedules", None))
        rng = None
        if resume and found is not None:
            rng = self._load(found, restore_counters=True)
            self.last_ckpt, self.last_ckpt_step = found, self.rs.step
            self.last_eval_step = self.rs.step  # the checkpoint was written after its eval
        else:
            self._initial = self._snapshot()
        self._make_loaders()
        # RNG last: nothing after this point may draw from the global streams before step 1.
        if rng is not None:
            restore_rng(rng[min(fabric.global_rank, len(rng) - 1)])
        else:
            seed_everything(tc.seed + fabric.global_rank)
        self.log = RunLogger(self.run_dir, tc.steps, self.rs.step, events=self.events,
                             enabled=self.rank0, progress=tc.progress, tensorboard=tc.tensorboard)
        if resume and found is not None:
            return "resumed", found
        return "started", None

    def _make_loaders(self) -> None:
        tc, fabric, parts = self.tc, self.fabric, self.parts
        if parts.train_set is None:
            raise DataError(f"recipe {self.recipe.name} built no training set: check the "
                            "prepared data folder")
        n = dataset_length(parts.train_set, "train_set")
        self.sampler = ResumableBatchSampler(n, tc.batch_size, tc.seed, fabric.global_rank,
                                             fabric.world_size, start=self.rs.position)
        collate = getattr(parts, "collate", None)
        pin = fabric.device.type == "cuda"
        loader = build_loader(parts.train_set, self.sampler, tc.seed, tc.num_workers, collate, pin)
        self.batches = iter(loader)
        self.consumed = 0
        self.val_loader = None
        val = getattr(parts, "val_set", None)
        if val is not None and tc.eval_every:
            nv = dataset_length(val, "val_set")
            vs = EvalBatchSampler(nv, tc.batch_size, fabric.global_rank, fabric.world_size,
                                  tc.eval_batches)
            self.val_loader = build_loader(val, vs, tc.seed, tc.num_workers, collate, pin)

    # ------------------------------------------------------------------ state
    def _snapshot(self) -> dict[str, Any]:
        """Initial weights/optimizer states on CPU, the rollback target before any checkpoint."""
        return {"weights": {n: full_weights(self.fabric, m) for n, m in self.parts.modules.items()},
                "optimizers": {n: copy.deepcopy(o.state_dict())
                               for n, o in self.parts.optimizers.items()}}

    def _state(self) -> dict[str, Any]:
        """``state.pt`` contents (all ranks call: RNG states and sharded optimizers gather)."""
        mods = self.parts.modules
        return {
            "format": 1,
            "run": self.rs.to_dict(),
            "optimizers": {n: optimizer_state(self.fabric, mods.get(n), o)
                           for n, o in self.parts.optimizers.items()},
            "precision": self.fabric.strategy.precision.state_dict(),
            "rng": gather_objects(self.fabric, capture_rng()),
            "world_size": self.fabric.world_size,
        }

    def _load(self, folder: Path, restore_counters: bool) -> list[dict[str, Any]]:
        """Load weights + optimizer/precision state from ``folder``; returns its RNG states."""
        restore_weights(self.fabric, folder, self.parts.modules)
        state = ckpt_io.load_state(folder)
        missing = set(self.parts.optimizers) - set(state["optimizers"])
        if missing:
            raise CheckpointError(f"checkpoint {folder} has no state for optimizer(s) "
                                  f"{sorted(missing)}: it was written by another recipe version")
        for name, opt in self.parts.optimizers.items():
            load_optimizer_state(self.fabric, self.parts.modules.get(name), opt,
                                 state["optimizers"][name])
        if state.get("precision"):
            self.fabric.strategy.precision.load_state_dict(state["precision"])
        saved = RunState.from_dict(state["run"])
        if restore_counters:
            self.rs = saved
        else:
            self.rs.step = saved.step
        return state["rng"]

    def _save(self, best: bool = False) -> None:
        weights = {n: full_weights(self.fabric, m) for n, m in self.parts.modules.items()}
        state = self._state()
        if self.rank0:
            self.last_ckpt = ckpt_io.save_checkpoint(self.run_dir, self.rs.step, weights, state,
                                                     self.cfg, self.tc.keep_last, best=best)
            self.log.event("checkpoint", self.rs.step, path=self.last_ckpt, best=best)
        else:
            self.last_ckpt = self.run_dir / ckpt_io.CHECKPOINTS / ckpt_io.checkpoint_name(self.rs.step)
        self.last_ckpt_step = self.rs.step
        self.fabric.barrier()

    # ------------------------------------------------------------------ one step
    def _no_sync(self, accumulating: bool) -> ExitStack:
        stack = ExitStack()
        if accumulating and self.fabric.world_size > 1:
            for name, module in self.parts.modules.items():
                if name not in self.frozen:
                    stack.enter_context(self.fabric.no_backward_sync(module))
        return stack

    def _train_step(self) -> str | None:
        """Run ``grad_accum`` micro-batches of the current step; returns why it was bad, or None."""
        tc, rs = self.tc, self.rs
        self.hub.zero_all()
        self.lrs = self.hub.set_lr(rs.step, rs.lr_scale)
        sums: dict[str, float] = {}
        for micro in range(tc.grad_accum):
            batch = self.fabric.to_device(next(self.batches))
            self.consumed += 1
            rs.position = self.sampler.position_after(self.consumed)
            ctx = StepContext(rs.step, tc.steps, self.fabric, micro, tc.grad_accum, self.hub)
            try:
                with self._no_sync(ctx.accumulating):
                    out = to_floats(self.recipe.train_step(self.parts, batch, ctx), "train_step")
            except NonFiniteLoss as exc:
                return str(exc)
            for key, value in out.items():
                sums[key] = sums.get(key, 0.0) + value
        self.scalars = {k: v / tc.grad_accum for k, v in sums.items()}
        local_bad = non_finite(self.scalars)
        if self.fabric.world_size > 1:
            # One all-reduce gives the logged mean over ranks and spreads a NaN from any rank
            # (train_step must return the same keys on every rank).
            keys = sorted(self.scalars)
            vec = torch.tensor([self.scalars[k] for k in keys], dtype=torch.float64,
                               device=self.fabric.device)
            vec = self.fabric.all_reduce(vec, reduce_op="sum").cpu().tolist()
            reduced = dict(zip(keys, vec))
            self.scalars = {k: reduced[k] / self.fabric.world_size for k in self.scalars}
        bad = non_finite(self.scalars)
        if bad:
            return f"non-finite {', '.join(local_bad or bad)}"
        return None

    def _bad_step(self, reason: str) -> None:
        rs, tc = self.rs, self.tc
        self.hub.zero_all()
        rs.bad_steps += 1
        rs.consecutive_bad += 1
        self.log.event("bad_step", rs.step, reason=reason, bad_steps=rs.bad_steps,
                       consecutive=rs.consecutive_bad)
        if rs.consecutive_bad >= tc.max_bad_steps:
            self._rollback(reason)

    def _rollback(self, reason: str) -> None:
        rs, tc = self.rs, self.tc
        if rs.rollbacks >= tc.max_rollbacks:
            raise TrainingError(
                f"training diverged at step {rs.step}: {tc.max_bad_steps} steps in a row were "
                f"non-finite (last: {reason}) after {rs.rollbacks} rollback(s) with a lower "
                "learning rate. Lower train.lr, set train.clip_norm, or check the data")
        target = ckpt_io.latest_checkpoint(self.run_dir)
        if target is not None:
            self._load(target, restore_counters=False)
        else:
            for name, module in self.parts.modules.items():
                module.load_state_dict(self._initial["weights"][name])
            for name, opt in self.parts.optimizers.items():
                opt.load_state_dict(copy.deepcopy(self._initial["optimizers"][name]))
            rs.step = 0
        rs.lr_scale *= tc.rollback_lr_factor
        rs.rollbacks += 1
        rs.consecutive_bad = 0
        self.window.clear()
        self.log.event("rollback", rs.step, reason=reason, to=target.name if target else "initial",
                       lr_scale=rs.lr_scale, rollbacks=rs.rollbacks)

    # ------------------------------------------------------------------ eval
    def _evaluate(self) -> bool:
        """Evaluate, log, track the monitor; True when this is a new best."""
        step, tc = self.rs.step, self.tc
        metrics: dict[str, float] = {}
        # Fixed seeds for eval, and the training streams restored afterwards.
        with seeded_rng(sample_seed(tc.seed, EVAL_EPOCH, step)):
            raw = run_eval(self.fabric, self.recipe, self.parts, self.val_loader, self.frozen)
            metrics.update({f"val/{k}": v for k, v in raw.items()})
            hook = getattr(self.recipe, "evaluate", None)
            if hook is not None and self.rank0:
                def log(**scalars: float) -> None:
                    metrics.update({(k if "/" in k else f"val/{k}"): float(v)
                                    for k, v in scalars.items()})
                hook(self.parts, self.run_dir, step, log)
        if self.fabric.world_size > 1:
            metrics = self.fabric.broadcast(metrics, src=0)
        self.last_eval_step = step
        self.metrics.update(metrics)
        self.log.event("eval", step, **metrics)
        self.log.scalars(step, metrics)
        if not tc.monitor:
            return False
        if tc.monitor not in metrics:
            raise ConfigError(f"train.monitor is '{tc.monitor}' but evaluation produced "
                              f"{', '.join(sorted(metrics)) or 'no metrics'}")
        improved = self.rs.improved(metrics[tc.monitor], tc.monitor_mode)
        if not improved and tc.patience and self.rs.evals_since_best >= tc.patience:
            self.rs.stopped_early = True
            self.log.event("early_stop", step, monitor=tc.monitor, best=self.rs.best_metric,
                           best_step=self.rs.best_step, patience=tc.patience)
        return improved

    # ------------------------------------------------------------------ the loop
    def _log_step(self) -> None:
        step, tc = self.rs.step, self.tc
        for key, value in self.scalars.items():
            self.window.setdefault(key, []).append(value)
        self.log.advance(step, self.scalars)
        if step % tc.log_every == 0 or step == tc.steps:
            means = {k: math.fsum(v) / len(v) for k, v in self.window.items()}
            self.metrics.update(means)
            self.log.train_step(step, means, self.lrs, bad_steps=self.rs.bad_steps)
            self.window.clear()

    def train(self) -> None:
        """Steps until ``train.steps`` or early stop; a final eval and checkpoint at the end."""
        tc, rs = self.tc, self.rs
        for module_name, module in self.parts.modules.items():
            if module_name not in self.frozen:
                module.train()
        while rs.step < tc.steps and not rs.stopped_early:
            if self.stop_requested:
                self._stop()
            reason = self._train_step()
            if reason is not None:
                self._bad_step(reason)
                continue
            rs.step += 1
            rs.consecutive_bad = 0
            self._log_step()
            improved = False
            if self.val_loader is not None and rs.step % tc.eval_every == 0:
                improved = self._evaluate()
            if rs.step % tc.checkpoint_every == 0 or improved or rs.stopped_early:
                self._save(best=improved)
        if self.val_loader is not None and self.last_eval_step != rs.step and not rs.stopped_early:
            if self._evaluate():
                self._save(best=True)
        if self.last_ckpt_step != rs.step:
            self._save()
