"""A GAN-shaped toy recipe: modules gen/disc/feat (feat frozen), optimizers gen/disc.

The generator maps noise (from the training process's torch RNG) to 2-d points; the
discriminator tells them from the data through a frozen random feature layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from soundry.train import TrainConfig

name = "toy_gan"


@dataclass
class GanConfig:
    n_items: int = 32
    latent: int = 3


@dataclass
class Config:
    gan: GanConfig = field(default_factory=GanConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class Points(torch.utils.data.Dataset):
    def __init__(self, n: int):
        self.points = torch.stack([torch.linspace(-1, 1, n), torch.linspace(-1, 1, n) ** 2], 1)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.points[i] + 0.01 * torch.randn(2)


@dataclass
class Parts:
    modules: dict
    optimizers: dict
    train_set: object
    val_set: object
    cfg: Config


def build(cfg: Config, data, fabric) -> Parts:
    gen = nn.Sequential(nn.Linear(cfg.gan.latent, 8), nn.Tanh(), nn.Linear(8, 2))
    disc = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    feat = nn.Linear(2, 4)
    feat.requires_grad_(False)
    opts = {"gen": torch.optim.Adam(gen.parameters(), lr=cfg.train.lr),
            "disc": torch.optim.Adam(disc.parameters(), lr=cfg.train.lr * 2)}
    return Parts({"gen": gen, "disc": disc, "feat": feat}, opts, Points(cfg.gan.n_items),
                 Points(8), cfg)


def _score(parts: Parts, points: torch.Tensor) -> torch.Tensor:
    return parts.modules["disc"](parts.modules["feat"](points))


def train_step(parts: Parts, real: torch.Tensor, ctx) -> dict:
    gen, disc = parts.modules["gen"], parts.modules["disc"]
    fake = gen(torch.randn(real.shape[0], parts.cfg.gan.latent, device=real.device))
    bce = nn.functional.binary_cross_entropy_with_logits
    real_score, fake_score = _score(parts, real), _score(parts, fake.detach())
    d_loss = bce(real_score, torch.ones_like(real_score)) + bce(fake_score, torch.zeros_like(fake_score))
    ctx.optimize(d_loss, "disc")
    disc.requires_grad_(False)  # the generator's loss must not leave gradients on disc
    g_score = _score(parts, fake)
    g_loss = bce(g_score, torch.ones_like(g_score))
    disc.requires_grad_(True)
    ctx.optimize(g_loss, "gen")
    return {"loss": (d_loss + g_loss).detach(), "d_loss": d_loss.detach(), "g_loss": g_loss.detach()}


def eval_step(parts: Parts, real: torch.Tensor) -> dict:
    return {"real_score": _score(parts, real).mean()}


def export(parts: Parts, out_dir: Path) -> list[Path]:
    return []
