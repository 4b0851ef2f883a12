"""The maths of ``classify``: resolve the config, build the parts, train and evaluate steps.

Parts hold two modules, ``backbone`` (wave -> embedding) and ``head`` (embedding -> logits).
``linear`` mode freezes the backbone (no trainable parameter: the engine keeps it in eval mode)
and steps an optimizer named ``head``; ``finetune`` and ``scratch`` step one optimizer named
``model`` whose parameter groups carry the layer-wise learning rates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from soundry.config import merge
from soundry.errors import ConfigError, DataError
from soundry.recipes.classify.augment import mixup
from soundry.recipes.classify.backbones import (ClassifierHead, beats_arch_of, beats_checkpoint_file,
                                                bundle_arch, default_arch, load_pretrained,
                                                make_backbone)
from soundry.recipes.classify.config import Config
from soundry.recipes.classify.dataset import ClipDataset, collate_clips
from soundry.recipes.classify.labels import LabelEncoder, split_segments
from soundry.train import RecipeParts


def encoder_of(cfg: Config) -> LabelEncoder:
    """The label encoder saved in ``cfg.task``."""
    return LabelEncoder(cfg.task.labels, cfg.task.multi_label, cfg.task.label_separator)


def resolve_arch(model_cfg) -> dict[str, Any]:
    """The backbone architecture ``model`` describes (reading a checkpoint's cfg if needed)."""
    if model_cfg.mode == "scratch":
        return default_arch(model_cfg)
    if not model_cfg.checkpoint:
        raise ConfigError(f"model.mode={model_cfg.mode} needs model.checkpoint: a registry name "
                          "(see `soundry download --list`), an official BEATs .pt file or a classify "
                          "bundle folder; or use model.mode=scratch")
    path = Path(model_cfg.checkpoint).expanduser()
    if path.is_dir():
        backbone, arch = bundle_arch(path)
        if backbone != model_cfg.backbone or not arch:
            raise ConfigError(f"bundle {path} has a '{backbone}' backbone; set model.backbone={backbone}")
        return arch
    if model_cfg.backbone != "beats":
        raise ConfigError("a CNN backbone starts only from a classify bundle folder; set "
                          "model.backbone=beats for BEATs checkpoints, or model.mode=scratch")
    return beats_arch_of(beats_checkpoint_file(model_cfg.checkpoint, model_cfg.checkpoint_cache))


def resolve_config(cfg: Config, data) -> Config:
    """Fill ``task.labels`` (one encoder for every split) and ``model.arch`` from the data and the
    checkpoint, so the saved config rebuilds the model; multi-label runs monitor ``val/mAP``."""
    enc = LabelEncoder.from_segment_labels(list(data.labels), cfg.task.multi_label,
                                           cfg.task.label_separator)
    labels = enc.labels
    if len(labels) < (1 if cfg.task.multi_label else 2):
        raise DataError(f"classify needs at least 2 labels (label folders), found {len(labels)}: "
                        "put each class's or speaker's files in DATA/<label>/")
    if cfg.task.labels and cfg.task.labels != labels:
        raise DataError(f"the data's labels {labels} differ from the configured task.labels "
                        f"{cfg.task.labels}; remove task.labels from the config or fix the data")
    updates: dict[str, Any] = {"task": {"labels": labels}}
    if not cfg.model.arch:
        updates["model"] = {"arch": resolve_arch(cfg.model)}
    if cfg.task.multi_label and cfg.train.monitor == "val/accuracy":
        updates["train"] = {"monitor": "val/mAP"}
    return merge(cfg, updates)


def param_groups(backbone: torch.nn.Module, head: torch.nn.Module, lr: float, weight_decay: float,
                 layer_decay: float = 1.0) -> list[dict[str, Any]]:
    """AdamW groups: backbone group ``g`` of ``G`` (input to output) at ``lr * layer_decay ** (G - g)``,
    the head at ``lr``; biases and norm gains (1-d tensors) without weight decay."""
    groups: list[dict[str, Any]] = []
    seen: set[int] = set()

    def add(params, scale: float) -> None:
        fresh = [p for p in params if p.requires_grad and id(p) not in seen]
        seen.update(id(p) for p in fresh)
        for chosen, wd in (([p for p in fresh if p.ndim >= 2], weight_decay),
                           ([p for p in fresh if p.ndim < 2], 0.0)):
            if chosen:
                groups.append({"params": chosen, "lr": lr * scale, "weight_decay": wd})

    layers = backbone.layer_groups()
    for g, params in enumerate(layers):
        add(params, layer_decay ** (len(layers) - g))
    add(backbone.parameters(), layer_decay)  # anything a backbone did not list: as its last group
    add(head.parameters(), 1.0)
    return groups


def build(cfg: Config, data, fabric=None) -> RecipeParts:
    """Backbone, head, optimizer and (when ``data`` is given) train/val datasets.

    With ``data`` (a training build) a ``linear``/``finetune`` backbone starts from
    ``model.checkpoint``; without it (rebuilding a run for export) weights come from the run.
    """
    rate = cfg.data.sample_rates[0]
    m = cfg.model
    if m.mode != "scratch" and m.layer_decay <= 0:
        raise ConfigError(f"model.layer_decay must be > 0, got {m.layer_decay}")
    backbone = make_backbone(m, rate, m.arch or resolve_arch(m))
    if data is not None and m.mode != "scratch":
        load_pretrained(backbone, m)
    head = ClassifierHead(backbone.dim, len(cfg.task.labels), m.dropout)
    if m.mode == "linear":
        backbone.requires_grad_(False)
        backbone.eval()
        opt = torch.optim.AdamW(head.parameters(), lr=cfg.train.lr, weight_decay=cfg.task.weight_decay)
        optimizers = {"head": opt}
    else:
        decay = m.layer_decay if m.mode == "finetune" else 1.0
        groups = param_groups(backbone, head, cfg.train.lr, cfg.task.weight_decay, decay)
        optimizers = {"model": torch.optim.AdamW(groups, lr=cfg.train.lr)}
    parts = RecipeParts(cfg=cfg, modules={"backbone": backbone, "head": head}, optimizers=optimizers,
                        collate=collate_clips)
    if data is not None:
        crop = int(round(cfg.task.crop_s * rate))
        enc = encoder_of(cfg)
        train_segs, val_segs = split_segments(data.segments, cfg.task, cfg.data.val_fraction,
                                              cfg.data.split_seed)
        if not train_segs:
            raise DataError("no training segments left after the split: check the split column "
                            "or task.val_fold")
        parts.train_set = ClipDataset(data, train_segs, enc, rate, crop, train=True, task=cfg.task)
        parts.val_set = ClipDataset(data, val_segs, enc, rate, crop, train=False) if val_segs else None
    return parts


def logits_of(parts: RecipeParts, wave: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logits (B, K), embedding (B, D))`` for a padded batch."""
    emb = parts.modules["backbone"](wave, lengths)
    return parts.modules["head"](emb), emb


def loss_of(logits: torch.Tensor, targets: torch.Tensor, multi_label: bool,
            smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy on (soft) targets ``(B, K)``, or binary cross-entropy for multi-label."""
    if multi_label:
        if smoothing:
            targets = targets * (1.0 - smoothing) + 0.5 * smoothing
        return F.binary_cross_entropy_with_logits(logits, targets)
    return F.cross_entropy(logits, targets, label_smoothing=smoothing)


def _accuracy(logits: torch.Tensor, targets: torch.Tensor, multi_label: bool, threshold: float):
    if multi_label:  # exact match of the predicted label set
        pred = torch.sigmoid(logits) >= threshold
        return (pred == (targets > 0.5)).all(dim=1).float().mean()
    return (logits.argmax(-1) == targets.argmax(-1)).float().mean()


def train_step(parts: RecipeParts, batch, ctx) -> dict[str, Any]:
    """One step on a batch of augmented crops (mixup when ``task.mixup`` > 0)."""
    wave, lengths, targets = batch
    task = parts.cfg.task
    if task.mixup > 0:
        wave, lengths, targets = mixup(wave, lengths, targets, task.mixup)
    logits, _ = logits_of(parts, wave, lengths)
    loss = loss_of(logits, targets, task.multi_label, task.label_smoothing)
    ctx.optimize(loss, next(iter(parts.optimizers)))
    return {"loss": loss.detach(), "accuracy": _accuracy(logits.detach(), targets, task.multi_label,
                                                        task.threshold)}


def probs_of(logits: torch.Tensor, multi_label: bool) -> torch.Tensor:
    return torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=-1)


def eval_step(parts: RecipeParts, batch) -> dict[str, Any]:
    """Loss and accuracy of a batch of held-out crops; keeps the probabilities for ``evaluate``."""
    wave, lengths, targets = batch
    task = parts.cfg.task
    logits, _ = logits_of(parts, wave, lengths)
    parts.eval_outputs.append(
        (probs_of(logits, task.multi_label).float().cpu().numpy(), targets.float().cpu().numpy()))
    return {"loss": loss_of(logits, targets, task.multi_label),
            "accuracy": _accuracy(logits, targets, task.multi_label, task.threshold)}


def _loss_from_probs(probs: np.ndarray, targets: np.ndarray, multi_label: bool) -> float:
    """Mean per-clip cross-entropy (or binary cross-entropy) of probabilities ``(N, K)``."""
    p = np.clip(probs.astype(np.float64), 1e-7, 1 - 1e-7)
    if multi_label:
        return float(-(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean())
    return float(-(targets * np.log(p)).sum(axis=1).mean())


def evaluate(parts: RecipeParts, run_dir: Path, step: int, log) -> None:
    """Metrics over the whole validation set (macro-F1, per-class P/R, mAP, confusion matrix);
    ``RUN/metrics.json`` and ``RUN/confusion.png`` describe the best evaluation so far by
    ``train.monitor``. With several processes the engine has gathered every rank's share."""
    import json

    from soundry.recipes.classify.metrics import (classification_metrics, write_confusion_png,
                                                  write_metrics_json)

    outs = list(parts.eval_outputs)
    parts.eval_outputs.clear()
    if not outs:
        return
    cfg = parts.cfg
    probs = np.concatenate([p for p, _ in outs])
    targets = np.concatenate([t for _, t in outs])
    m = classification_metrics(probs, targets, cfg.task.labels, cfg.task.multi_label, cfg.task.threshold)
    m["loss"] = _loss_from_probs(probs, targets, cfg.task.multi_label)
    # Whole-set values replace the engine's means of batch means, so that train.monitor, the
    # best checkpoint and metrics.json all agree.
    log(loss=m["loss"], accuracy=m["accuracy"], macro_f1=m["macro_f1"], mAP=m["mAP"])
    key = cfg.train.monitor.removeprefix("val/")
    value = m.get(key)
    path = Path(run_dir) / "metrics.json"
    better = True
    if isinstance(value, float) and path.is_file():
        try:
            prev = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            prev = {}
        old = prev.get(key)
        if isinstance(old, (int, float)) and int(prev.get("step", -1)) < step:
            better = value < old if cfg.train.monitor_mode == "min" else value > old
    if better:
        write_metrics_json({"step": step, "split": "val", "monitor": cfg.train.monitor, **m}, path)
        write_confusion_png(m["confusion"], cfg.task.labels, Path(run_dir) / "confusion.png")
