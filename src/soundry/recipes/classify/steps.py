"""The maths of ``classify``: build the parts, one training step, one evaluation step, export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from soundry.config import merge, save_config
from soundry.data import split_by_recording
from soundry.errors import DataError
from soundry.export import check_onnx_parity, export_onnx, write_meta
from soundry.models.cnn import AudioCNN, cnn_preset
from soundry.recipes.classify.config import Config
from soundry.recipes.classify.dataset import ClipDataset, collate_clips


@dataclass
class Parts:
    """What ``build`` makes: the model, its optimizer, and the datasets."""

    cfg: Config
    modules: dict[str, torch.nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    train_set: Any = None
    val_set: Any = None
    collate: Any = collate_clips
    extras: dict[str, Any] = field(default_factory=dict)


def resolve_config(cfg: Config, data) -> Config:
    """Fill ``task.labels`` from the prepared data so the saved config can rebuild the model."""
    labels = list(data.labels)
    if len(labels) < 2:
        raise DataError(f"classify needs at least 2 labels (label folders), found {len(labels)}: "
                        "put each class's or speaker's files in DATA/<label>/")
    if cfg.task.labels and cfg.task.labels != labels:
        raise DataError(f"the data's labels {labels} differ from the configured task.labels "
                        f"{cfg.task.labels}; remove task.labels from the config or fix the data")
    return merge(cfg, {"task": {"labels": labels}})


def build_model(cfg: Config) -> AudioCNN:
    """The backbone + head for ``cfg`` (plain keyword arguments from the size preset)."""
    rate = cfg.data.sample_rates[0]
    return AudioCNN(len(cfg.task.labels), sample_rate=rate, dropout=cfg.model.dropout,
                    **cnn_preset(cfg.model.size))


def build(cfg: Config, data, fabric=None) -> Parts:
    """Model, AdamW optimizer and (when ``data`` is given) train/val datasets."""
    model = build_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, weight_decay=cfg.task.weight_decay)
    parts = Parts(cfg=cfg, modules={"model": model}, optimizers={"model": opt})
    if data is not None:
        rate = cfg.data.sample_rates[0]
        crop = int(round(cfg.task.crop_s * rate))
        train_segs, val_segs, _ = split_by_recording(data.segments, val_fraction=cfg.data.val_fraction,
                                                     seed=cfg.data.split_seed)
        parts.train_set = ClipDataset(data, train_segs, cfg.task.labels, rate, crop, train=True,
                                      gain_db=cfg.task.gain_db, noise_snr_db=cfg.task.noise_snr_db)
        parts.val_set = ClipDataset(data, val_segs, cfg.task.labels, rate, crop, train=False) if val_segs else None
    return parts


def train_step(parts: Parts, batch, ctx) -> dict[str, Any]:
    """Cross-entropy on a batch of crops; returns loss and batch accuracy."""
    wave, lengths, labels = batch
    logits, _ = parts.modules["model"](wave, lengths)
    loss = F.cross_entropy(logits, labels, label_smoothing=parts.cfg.task.label_smoothing)
    ctx.optimize(loss, "model")
    acc = (logits.argmax(-1) == labels).float().mean()
    return {"loss": loss.detach(), "accuracy": acc}


def eval_step(parts: Parts, batch) -> dict[str, Any]:
    """Loss and accuracy on a batch of held-out crops."""
    wave, lengths, labels = batch
    logits, _ = parts.modules["model"](wave, lengths)
    loss = F.cross_entropy(logits, labels)
    return {"loss": loss, "accuracy": (logits.argmax(-1) == labels).float().mean()}


class _Exported(torch.nn.Module):
    """``(wave (B, T), lengths (B,)) -> (probs (B, K), embedding (B, D))`` for ONNX."""

    def __init__(self, model: AudioCNN):
        super().__init__()
        self.model = model

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor):
        logits, emb = self.model(wave, lengths)
        return torch.softmax(logits, dim=-1), emb


def export(parts: Parts, out_dir: Path) -> list[Path]:
    """Write ``model.onnx``, ``model.safetensors``, ``config.yaml`` and ``meta.json`` into ``out_dir``."""
    from safetensors.torch import save_file

    cfg = parts.cfg
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = parts.modules["model"].eval()
    rate = cfg.data.sample_rates[0]
    crop = int(round(cfg.task.crop_s * rate))
    wrapper = _Exported(model).eval()
    example = (torch.zeros(2, crop), torch.tensor([crop, crop // 2]))
    onnx_path = export_onnx(wrapper, example, out / "model.onnx", ["wave", "lengths"], ["probs", "embedding"],
                            dynamic={"wave": {0: "batch", 1: "samples"}, "lengths": {0: "batch"}})
    rng = np.random.default_rng(0)
    probe = {"wave": (0.1 * rng.standard_normal((3, crop + 1234))).astype(np.float32),
             "lengths": np.array([crop + 1234, crop, crop // 3], dtype=np.int64)}
    max_diff = check_onnx_parity(wrapper, onnx_path, probe, atol=1e-4)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / "model.safetensors"))
    save_config(cfg, out / "config.yaml")
    meta = write_meta(out, "classify", {"onnx": "model.onnx", "weights": "model.safetensors",
                                       "config": "config.yaml"},
                      labels=list(cfg.task.labels), sample_rate=rate, window_s=cfg.task.crop_s,
                      backbone=cfg.model.backbone, size=cfg.model.size, multi_label=False,
                      embedding_dim=int(model.proj[0].out_features), onnx_max_abs_diff=max_diff,
                      inputs={"wave": "float32 (batch, samples) mono at sample_rate, zero-padded",
                              "lengths": "int64 (batch,) valid samples per row"},
                      outputs={"probs": "float32 (batch, labels) softmax", "embedding": "float32 (batch, dim)"})
    return [onnx_path, out / "model.safetensors", out / "config.yaml", meta]
