"""``Trainer``: run a recipe with the engine; ``load_parts_for_export``: rebuild a trained run."""

from __future__ import annotations

import importlib
import os
import signal
import threading
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from soundry.config import from_dict
from soundry.errors import ConfigError, SoundryError, TrainingStopped
from soundry.progress import EventLog
from soundry.train import checkpoint as ckpt_io
from soundry.train.config import TrainConfig
from soundry.train.distributed import plan_fabric
from soundry.train.loop import TrainingRun
from soundry.train.seeding import seed_everything


@dataclass
class RunResult:
    """What ``Trainer.fit`` did. ``steps``: optimizer steps completed. ``metrics``: the last
    logged training scalars and the last eval metrics (``val/...``)."""

    run_dir: Path
    steps: int
    last_checkpoint: Path | None
    best_checkpoint: Path | None
    metrics: dict[str, float] = field(default_factory=dict)
    stopped_early: bool = False


class Trainer:
    """Trains ``recipe`` (a module satisfying ``soundry.train.Recipe``) with ``cfg`` into ``run_dir``.

    ``cfg.train`` must be a ``TrainConfig``; ``data`` is handed to ``recipe.build``; ``events``
    is an optional ``EventLog`` to write to instead of ``run_dir/events.jsonl``.
    """

    def __init__(self, recipe: Any, cfg: Any, run_dir: str | Path, data: Any = None,
                 events: EventLog | None = None):
        if not isinstance(getattr(cfg, "train", None), TrainConfig):
            raise ConfigError(f"recipe {getattr(recipe, 'name', recipe)}: its config needs a "
                              "'train' section of type TrainConfig")
        self.recipe = recipe
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.data = data
        self.events = events

    def fit(self, resume: bool = False) -> RunResult:
        """Train to ``cfg.train.steps`` (or an early stop). ``resume`` continues from the newest
        checkpoint (starting fresh, with a note in the events, when there is none).

        Raises CheckpointError when not resuming into a run folder that has checkpoints, and
        TrainingError when the loss stays non-finite after ``max_rollbacks`` rollbacks.
        """
        tc = self.cfg.train.validate()
        fabric, spawn = plan_fabric(tc)
        if spawn:
            name = getattr(self.recipe, "__name__", "__main__")
            if name == "__main__":
                raise ConfigError("strategy 'ddp' started from Python needs the recipe in an "
                                  "importable module (not __main__), or launch with torchrun")
            spec = _Spec(name, self.cfg, self.run_dir, self.data, self.events, resume)
            out = fabric.launch(_spawned_fit, spec)
            if isinstance(out, _Failure):
                raise out.error
            return out
        if os.environ.get("LT_CLI_USED") != "1":
            fabric.launch()
        return _fit(fabric, self.recipe, self.cfg, self.run_dir, self.data, self.events, resume)


@dataclass
class _Spec:
    """What a spawned DDP process needs (picklable: the recipe travels by module name)."""

    recipe_module: str
    cfg: Any
    run_dir: Path
    data: Any
    events: Any
    resume: bool


@dataclass
class _Failure:
    error: BaseException


def _spawned_fit(fabric: Any, spec: _Spec) -> RunResult | _Failure | None:
    recipe = importlib.import_module(spec.recipe_module)
    try:
        return _fit(fabric, recipe, spec.cfg, spec.run_dir, spec.data, spec.events, spec.resume)
    except SoundryError as exc:
        # Errors a user can cause keep their type across the process boundary.
        return _Failure(exc) if fabric.is_global_zero else None
    finally:
        # A gloo group left for interpreter shutdown can abort the process ("terminate called
        # without an active exception") while its threads are torn down.
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.barrier()
            torch.distributed.destroy_process_group()


@contextmanager
def _determinism(enabled: bool):
    """Deterministic kernels for the run (warn-only: a few ops have none), undone afterwards."""
    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled(), torch.backends.cudnn.benchmark)
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.benchmark = saved[2]


@contextmanager
def _graceful_stop(run: TrainingRun, enabled: bool):
    """The first SIGTERM or Ctrl-C asks the loop to checkpoint and stop after the current step;
    a second Ctrl-C interrupts at once. Only in a single process's main thread."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def request(signum, frame):  # noqa: ARG001 - signal handler signature
        if run.stop_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        run.stop_requested = signal.Signals(signum).name

    for sig in previous:
        signal.signal(sig, request)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _fit(fabric: Any, recipe: Any, cfg: Any, run_dir: Path, data: Any, events: Any,
         resume: bool) -> RunResult:
    run = TrainingRun(fabric, recipe, cfg, run_dir, data, events)
    tc: TrainConfig = cfg.train
    with _determinism(tc.deterministic), _graceful_stop(run, fabric.world_size == 1):
        try:
            status, found = run.prepare(resume)
            note = {}
            if resume and found is None:
                note["note"] = "resume requested but the run has no checkpoint: starting fresh"
                if fabric.is_global_zero and tc.progress:
                    print(f"{run_dir}: {note['note']}", file=sys.stderr, flush=True)
            run.log.event("train", run.rs.step, status=status,
                          checkpoint=found.name if found else None, recipe=recipe.name,
                          world_size=fabric.world_size, **note)
            run.train()
            best = ckpt_io.best_checkpoint(run_dir) if tc.monitor else None
            result = RunResult(Path(run_dir), run.rs.step, run.last_ckpt, best,
                               dict(run.metrics), run.rs.stopped_early)
            run.log.event("done", run.rs.step, last_checkpoint=result.last_checkpoint,
                          best_checkpoint=best, stopped_early=result.stopped_early,
                          bad_steps=run.rs.bad_steps, rollbacks=run.rs.rollbacks, **result.metrics)
            return result
        except BaseException as exc:
            if fabric.is_global_zero and not isinstance(exc, TrainingStopped):
                log = getattr(run, "log", None)
                message = str(exc) or type(exc).__name__
                if log is not None:
                    log.event("error", run.rs.step, error=type(exc).__name__, message=message)
                else:
                    sink = events if events is not None else EventLog(Path(run_dir) / "events.jsonl")
                    sink.write("error", step=run.rs.step, total_steps=tc.steps,
                               error=type(exc).__name__, message=message)
            raise
        finally:
            if getattr(run, "log", None) is not None:
                run.log.close()


def load_parts_for_export(recipe: Any, run_dir: str | Path, checkpoint: str | Path = "latest",
                          data: Any = None) -> tuple[Any, Any]:
    """Rebuild a trained run's parts on CPU: ``(cfg, parts)`` with weights loaded strictly.

    ``checkpoint``: ``"latest"``, ``"best"`` or a checkpoint folder. The config comes from the
    checkpoint (read into ``recipe.Config``); modules are in eval mode and not Fabric-wrapped.
    """
    from lightning_fabric import Fabric

    folder = ckpt_io.resolve_checkpoint(run_dir, checkpoint)
    cfg = from_dict(recipe.Config, ckpt_io.read_checkpoint_config(folder))
    seed_everything(cfg.train.seed)
    fabric = Fabric(accelerator="cpu", devices=1, precision="32-true")
    parts = recipe.build(cfg, data, fabric)
    ckpt_io.load_weights(folder, parts.modules, strict=True)
    for module in parts.modules.values():
        module.eval()
    return cfg, parts
