"""The engine's own counters, saved in every checkpoint's ``state.pt``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from soundry.train.data import SamplerPosition


@dataclass
class RunState:
    """Where a run is. ``step``: optimizer steps completed. ``position``: the sampler position
    after the last consumed batch. ``lr_scale``: product of rollback factors so far.
    ``best_metric``/``best_step``: the monitored metric's best value and when;
    ``evals_since_best`` counts evaluations without improvement (for ``patience``)."""

    step: int = 0
    position: SamplerPosition = dataclasses.field(default_factory=SamplerPosition)
    bad_steps: int = 0
    consecutive_bad: int = 0
    lr_scale: float = 1.0
    rollbacks: int = 0
    best_metric: float | None = None
    best_step: int | None = None
    evals_since_best: int = 0
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["position"] = {"epoch": self.position.epoch, "index": self.position.index}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["position"] = SamplerPosition(**data.get("position", {}))
        return cls(**values)

    def improved(self, value: float, mode: str) -> bool:
        """Record an eval ``value`` of the monitored metric; True when it is a new best."""
        better = (self.best_metric is None
                  or (value < self.best_metric if mode == "min" else value > self.best_metric))
        if better:
            self.best_metric = value
            self.best_step = self.step
            self.evals_since_best = 0
        else:
            self.evals_since_best += 1
        return better
