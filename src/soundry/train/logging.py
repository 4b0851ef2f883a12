"""Where a run reports: ``events.jsonl``, TensorBoard (``run/tb``) and a terminal progress bar.

Only rank 0 reports; other ranks get a ``RunLogger`` that does nothing. Every event carries
``time``, ``stage``, ``step`` (optimizer steps completed) and ``total_steps``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from soundry.progress import EventLog, ProgressBar


class RunLogger:
    """Events, TensorBoard scalars and progress for one run.

    ``events`` may be a caller's EventLog (the job server passes its own); otherwise
    ``run_dir/events.jsonl`` is appended to. ``purge_step`` drops TensorBoard points past a
    resumed checkpoint so curves do not double back.
    """

    def __init__(self, run_dir: Path, total_steps: int, start_step: int = 0,
                 events: EventLog | None = None, enabled: bool = True,
                 progress: bool = True, tensorboard: bool = True):
        self.total_steps = total_steps
        self.enabled = enabled
        self.events = events if events is not None else EventLog(
            Path(run_dir) / "events.jsonl", enabled=enabled)
        if not enabled:
            self.events = EventLog(Path(run_dir) / "events.jsonl", enabled=False)
        self.writer = None
        if enabled and tensorboard:
            from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tb"),
                                        purge_step=start_step or None)
        # None lets ProgressBar honour SOUNDRY_QUIET.
        self.bar = ProgressBar("train", total=total_steps, unit="step", start=start_step,
                               enabled=None if (enabled and progress) else False)
        self.bar.__enter__()

    def event(self, stage: str, step: int, **fields: Any) -> dict[str, Any]:
        """Write one event (no-op on ranks other than 0)."""
        return self.events.write(stage, step=step, total_steps=self.total_steps, **fields)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """TensorBoard points at ``step`` (names used as given, e.g. ``loss``, ``val/loss``)."""
        if self.writer is None:
            return
        for key, value in values.items():
            if isinstance(value, (int, float)):
                self.writer.add_scalar(key if "/" in key else f"train/{key}", value, step)

    def train_step(self, step: int, scalars: dict[str, float], lrs: dict[str, float],
                   **extra: Any) -> dict[str, Any]:
        """The per-``log_every`` event: scalars, rates, throughput and ETA."""
        meter = self.bar.meter
        fields: dict[str, Any] = {"lr": next(iter(lrs.values()), None)}
        if len(lrs) > 1:
            fields.update({f"lr/{name}": v for name, v in lrs.items()})
        fields.update(scalars)
        fields.update(steps_per_s=meter.rate, eta_s=meter.eta, **extra)
        self.scalars(step, {**scalars, **{f"lr/{k}": v for k, v in lrs.items()}})
        return self.event("train", step, **fields)

    def advance(self, step: int, info: dict[str, float]) -> None:
        """Move the bar to ``step`` and show a few scalars (the latest loss) beside it."""
        if "loss" in info:
            self.bar.set_info(loss=info["loss"])
        elif info:
            key = next(iter(info))
            self.bar.set_info(**{key: info[key]})
        self.bar.set(step)

    def close(self) -> None:
        self.bar.close()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
