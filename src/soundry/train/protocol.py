"""What a recipe gives the engine (``Recipe``, ``Parts``) and what the engine gives a recipe's
``train_step`` (``StepContext``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

    from soundry.train.stepping import OptimizerHub


class NonFiniteLoss(Exception):
    """Internal: a loss or gradient was NaN/inf; the engine skips the step (never reaches users)."""

    def __init__(self, what: str, name: str):
        super().__init__(f"non-finite {what} for optimizer '{name}'")
        self.what = what
        self.name = name


@runtime_checkable
class Parts(Protocol):
    """What ``build`` returns (a recipe's own dataclass; only these attributes are read).

    ``modules`` and ``optimizers`` are dicts by name. The engine replaces their entries in place
    with Fabric-wrapped objects, so ``train_step`` must reach them through these dicts. An
    optimizer named like a module is set up together with it (``fabric.setup(module, opt)``);
    a module without an optimizer of its name is set up alone (a module with no trainable
    parameters is only moved to the device and kept in eval mode: a frozen part); an
    optimizer named like no module is set up alone. ``train_set``/``val_set`` are map-style
    datasets (``__len__``, ``__getitem__(int)``); ``val_set`` may be None. Optional:
    ``collate`` (a DataLoader ``collate_fn``) and ``lr_schedules`` (optimizer name ->
    ``f(step) -> factor`` replacing the config's warm-up/decay for that optimizer) and
    ``eval_outputs`` (a list ``eval_step`` appends to; gathered from all ranks for ``evaluate``,
    see ``soundry.train.evaluation.run_eval``).
    """

    modules: dict[str, Any]
    optimizers: dict[str, Any]
    train_set: Any
    val_set: Any


@dataclass
class RecipeParts:
    """The ``Parts`` every shipped recipe returns: its resolved config, modules, optimizers,
    datasets, the ``collate`` function, ``eval_outputs`` (per-batch evaluation outputs, gathered
    from every rank for ``evaluate``) and ``extras`` for whatever its steps share (loss modules,
    vocabularies, the split)."""

    cfg: Any
    modules: dict[str, Any]
    optimizers: dict[str, Any]
    train_set: Any = None
    val_set: Any = None
    collate: Any = None
    eval_outputs: list[Any] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Recipe(Protocol):
    """A recipe module: the maths of one model family. ``isinstance(module, Recipe)`` checks it.

    ``Config`` is a dataclass with at least ``data`` and ``train: TrainConfig`` sections.
    ``train_step`` returns scalars (floats or 0-d tensors) to log; it calls
    ``ctx.optimize(loss, name)`` once per optimizer it steps and never ``backward`` itself.
    ``eval_step`` runs under ``torch.no_grad`` with modules in eval mode. A recipe may also
    define ``evaluate(parts, run_dir, step, log)`` (called on rank 0 after each evaluation;
    ``log(**scalars)`` adds metrics) — it is optional, so not part of this Protocol.
    """

    name: str
    Config: type

    def build(self, cfg: Any, data: Any, fabric: Any) -> Any: ...

    def train_step(self, parts: Any, batch: Any, ctx: StepContext) -> dict[str, Any]: ...

    def eval_step(self, parts: Any, batch: Any) -> dict[str, Any]: ...

    def export(self, parts: Any, out_dir: Path) -> list[Path]: ...


class StepContext:
    """Handed to ``train_step`` for each micro-batch.

    ``step`` is the global optimizer step (0-based) being computed; ``total_steps`` the
    configured count; ``micro_step`` the micro-batch index in ``range(grad_accum)``;
    ``accumulating`` is True on every micro-batch but the last (``optimize`` then only
    accumulates gradients).
    """

    def __init__(self, step: int, total_steps: int, fabric: Any, micro_step: int,
                 grad_accum: int, hub: OptimizerHub):
        self.step = step
        self.total_steps = total_steps
        self.fabric = fabric
        self.micro_step = micro_step
        self.grad_accum = grad_accum
        self.accumulating = micro_step < grad_accum - 1
        self._hub = hub

    def optimize(self, loss: torch.Tensor, name: str,
                 clip_norm: float | None = None) -> torch.Tensor | None:
        """Backward ``loss`` (0-d) for optimizer ``name``; on the last micro-batch also step it.

        The loss is divided by ``grad_accum``. A non-finite loss (or, on the stepping
        micro-batch, non-finite gradients) makes the engine skip the whole step. ``clip_norm``
        overrides ``train.clip_norm`` for this optimizer. Returns the gradient norm before
        clipping when the optimizer stepped, else None.
        """
        return self._hub.optimize(loss, name, self.accumulating, clip_norm)

    @property
    def lr(self) -> dict[str, float]:
        """Current rate (first parameter group) of each optimizer, by name."""
        return self._hub.current_lrs()
