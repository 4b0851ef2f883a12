"""A toy recipe for engine tests: MLP (or linear) regression on fixed random data.

The dataset augments with ``np.random`` and ``random`` inside ``__getitem__`` (so the engine's
per-sample seeding matters), the MLP has dropout (so the training process's torch RNG matters),
and non-finite losses or scalars can be injected at chosen ``train_step`` calls.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from soundry.train import TrainConfig

name = "toy"


@dataclass
class ToyConfig:
    n_items: int = 64
    n_val: int = 16
    dim: int = 4
    hidden: int = 16
    linear: bool = False        # a bias-free linear model (for exact accumulation checks)
    dropout: float = 0.1
    noise: float = 0.05         # augmentation: gaussian jitter drawn with np.random
    optimizer: str = "adam"
    nan_calls: list[int] = field(default_factory=list)     # train_step calls (0-based) giving NaN
    nan_from_call: int = -1                                 # every call from here on gives NaN
    nan_scalar_calls: list[int] = field(default_factory=list)  # a NaN extra scalar only
    val_offset: float = 0.0     # added to eval loss per eval (for early-stopping tests)
    sleep_s: float = 0.0        # per train_step (lets a test kill a run mid-way)


@dataclass
class Config:
    toy: ToyConfig = field(default_factory=ToyConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class RegressionSet(torch.utils.data.Dataset):
    """(x (dim,), y (1,)) pairs from a fixed linear map; ``__getitem__`` jitters x randomly."""

    def __init__(self, n: int, dim: int, noise: float, seed: int):
        rng = np.random.default_rng(seed)
        self.x = rng.normal(size=(n, dim)).astype(np.float32)
        w = np.arange(1, dim + 1, dtype=np.float32) / dim
        self.y = (self.x @ w)[:, None].astype(np.float32)
        self.noise = noise

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        jitter = np.random.normal(0.0, self.noise, size=self.x[i].shape).astype(np.float32)
        scale = np.float32(1.0 + 0.01 * random.random())
        return torch.from_numpy(self.x[i] * scale + jitter), torch.from_numpy(self.y[i])


@dataclass
class Parts:
    modules: dict
    optimizers: dict
    train_set: object
    val_set: object
    cfg: Config
    calls: list = field(default_factory=lambda: [0])
    evals: list = field(default_factory=lambda: [0])
    eval_outputs: list = field(default_factory=list)


def make_net(tc: ToyConfig) -> nn.Module:
    if tc.linear:
        return nn.Linear(tc.dim, 1, bias=False)
    return nn.Sequential(nn.Linear(tc.dim, tc.hidden), nn.Tanh(), nn.Dropout(tc.dropout),
                         nn.Linear(tc.hidden, 1))


def build(cfg: Config, data, fabric) -> Parts:
    tc = cfg.toy
    net = make_net(tc)
    if tc.optimizer == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=cfg.train.lr)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=cfg.train.lr)
    val = RegressionSet(tc.n_val, tc.dim, 0.0, seed=2) if tc.n_val else None
    return Parts({"net": net}, {"net": opt}, RegressionSet(tc.n_items, tc.dim, tc.noise, seed=1),
                 val, cfg)


def train_step(parts: Parts, batch, ctx) -> dict:
    tc = parts.cfg.toy
    call = parts.calls[0]
    parts.calls[0] += 1
    if tc.sleep_s:
        time.sleep(tc.sleep_s)
    x, y = batch
    loss = nn.functional.mse_loss(parts.modules["net"](x), y)
    if call in tc.nan_calls or 0 <= tc.nan_from_call <= call:
        loss = loss + float("nan")
    ctx.optimize(loss, "net")
    out = {"loss": loss.detach()}
    if call in tc.nan_scalar_calls:
        out["extra"] = float("inf")
    return out


def eval_step(parts: Parts, batch) -> dict:
    x, y = batch
    parts.eval_outputs.append(y[:, 0].tolist())
    return {"loss": nn.functional.mse_loss(parts.modules["net"](x), y)}


def evaluate(parts: Parts, run_dir: Path, step: int, log) -> None:
    """Optional hook: reports a score that the early-stopping tests steer with ``val_offset``."""
    parts.evals[0] += 1
    targets = [t for batch in parts.eval_outputs for t in batch]   # every rank's, gathered
    log(score=parts.cfg.toy.val_offset * parts.evals[0], seen=len(targets), target_sum=sum(targets))


def export(parts: Parts, out_dir: Path) -> list[Path]:
    out = Path(out_dir) / "net.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(parts.modules["net"].state_dict(), out)
    return [out]


def make_config(**train) -> Config:
    """A tiny, quiet config: train overrides as keywords, toy overrides as ``toy={...}``."""
    toy = train.pop("toy", {})
    base = dict(steps=6, batch_size=8, lr=1e-2, log_every=1, checkpoint_every=3, progress=False,
                tensorboard=False, accelerator="cpu")
    base.update(train)
    return Config(toy=ToyConfig(**toy), train=TrainConfig(**base))


def stage_events(run_dir: Path, stage: str) -> list[dict]:
    """Events of one stage from ``run_dir/events.jsonl``."""
    from soundry.progress import read_events

    return [e for e in read_events(Path(run_dir) / "events.jsonl") if e["stage"] == stage]


def step_losses(run_dir: Path) -> dict[int, float]:
    """Per-step logged loss; a step logged again after a resume keeps its latest value."""
    return {e["step"]: e["loss"] for e in stage_events(run_dir, "train") if "loss" in e}
