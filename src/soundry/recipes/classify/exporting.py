"""Export a trained classifier as a self-describing bundle, and load a bundle back into torch.

Bundle: ``model.onnx`` (``wave (B, T) float32, lengths (B,) int64 -> probs (B, K), embedding
(B, D)``), ``model.safetensors`` (``backbone.*`` and ``head.*`` weights), ``config.yaml`` (the
full recipe config, labels and backbone architecture included) and ``meta.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from soundry.config import from_dict, read_config_file, save_config
from soundry.errors import CheckpointError
from soundry.export import check_onnx_parity, export_onnx, write_meta
from soundry.recipes.classify.backbones import ClassifierHead, make_backbone
from soundry.recipes.classify.config import Config
from soundry.recipes.classify.embed import conditioning_of


class ExportedClassifier(torch.nn.Module):
    """``(wave (B, T), lengths (B,)) -> (probs (B, K), embedding (B, D))``: softmax, or sigmoid
    for multi-label models."""

    def __init__(self, backbone: torch.nn.Module, head: torch.nn.Module, multi_label: bool = False):
        super().__init__()
        self.backbone, self.head, self.multi_label = backbone, head, multi_label

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor):
        emb = self.backbone(wave, lengths)
        logits = self.head(emb)
        probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
        return probs, emb


_TMP_OUTPUT = "clip_embedding_output"


def _rename_output(path: Path, old: str, new: str) -> None:
    """Rename graph output ``old`` to ``new``, first renaming any inner value already called
    ``new`` (the exporter names BEATs' relative-position ``embedding`` op that way)."""
    import os

    import onnx

    model = onnx.load(str(path))
    inner = new + "_inner"
    for node in model.graph.node:
        node.input[:] = [inner if x == new else (new if x == old else x) for x in node.input]
        node.output[:] = [inner if x == new else (new if x == old else x) for x in node.output]
    for info in model.graph.value_info:
        info.name = inner if info.name == new else info.name
    for out in model.graph.output:
        out.name = new if out.name == old else out.name
    tmp = path.with_name(path.name + ".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)


def _state(wrapper: ExportedClassifier) -> dict[str, torch.Tensor]:
    # Clones: BEATs shares one relative-bias table between layers, and safetensors refuses
    # tensors that share memory.
    out = {}
    for prefix, module in (("backbone.", wrapper.backbone), ("head.", wrapper.head)):
        out.update({prefix + k: v.detach().cpu().clone().contiguous()
                    for k, v in module.state_dict().items()})
    return out


def export(parts, out_dir: Path) -> list[Path]:
    """Write ``model.onnx``, ``model.safetensors``, ``config.yaml`` and ``meta.json`` into ``out_dir``;
    the ONNX model is checked against torch (max abs difference recorded, must be < 1e-4)."""
    from safetensors.torch import save_file

    cfg = parts.cfg
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    backbone, head = parts.modules["backbone"].eval(), parts.modules["head"].eval()
    wrapper = ExportedClassifier(backbone, head, cfg.task.multi_label).eval()
    rate = cfg.data.sample_rates[0]
    crop = int(round(cfg.task.crop_s * rate))
    shortest = max(crop // 3, 4000)  # BEATs needs >= 2800 samples for one patch
    checks = getattr(backbone, "check_lengths", None)
    if checks is not None:
        backbone.check_lengths = False  # data-dependent checks cannot be traced
    try:
        example = (torch.zeros(2, crop), torch.tensor([crop, max(crop // 2, shortest)]))
        onnx_path = export_onnx(wrapper, example, out / "model.onnx", ["wave", "lengths"],
                                ["probs", _TMP_OUTPUT],
                                dynamic={"wave": {0: "batch", 1: "samples"}, "lengths": {0: "batch"}})
        _rename_output(onnx_path, _TMP_OUTPUT, "embedding")
        rng = np.random.default_rng(0)
        probe = {"wave": (0.1 * rng.standard_normal((3, crop + 1234))).astype(np.float32),
                 "lengths": np.array([crop + 1234, crop, shortest], dtype=np.int64)}
        max_diff = check_onnx_parity(wrapper, onnx_path, probe, atol=1e-4)
    finally:
        if checks is not None:
            backbone.check_lengths = checks
    save_file(_state(wrapper), str(out / "model.safetensors"))
    save_config(cfg, out / "config.yaml")
    m = cfg.model
    meta = write_meta(
        out, "classify", {"onnx": "model.onnx", "weights": "model.safetensors", "config": "config.yaml"},
        labels=list(cfg.task.labels), sample_rate=rate, window_s=cfg.task.crop_s,
        backbone=m.backbone, size=m.size, mode=m.mode, checkpoint=m.checkpoint or None,
        pooling=m.pooling if m.backbone == "beats" else "mean+max", layer=m.layer,
        multi_label=cfg.task.multi_label, threshold=cfg.task.threshold,
        min_samples=400 + 160 * 15 if m.backbone == "beats" else 1,
        embedding_dim=int(backbone.dim), onnx_max_abs_diff=max_diff,
        conditioning=conditioning_of(cfg.data),
        inputs={"wave": "float32 (batch, samples) mono at sample_rate, zero-padded",
                "lengths": "int64 (batch,) valid samples per row"},
        outputs={"probs": f"float32 (batch, labels) {'sigmoid' if cfg.task.multi_label else 'softmax'}",
                 "embedding": "float32 (batch, dim)"})
    return [onnx_path, out / "model.safetensors", out / "config.yaml", meta]


def load_bundle_model(bundle: str | Path) -> tuple[Config, ExportedClassifier]:
    """``(cfg, model in eval mode)`` rebuilt in torch from a classify bundle's config and weights
    (strict: every key must fit)."""
    from safetensors.torch import load_file

    root = Path(bundle)
    for name in ("config.yaml", "model.safetensors"):
        if not (root / name).is_file():
            raise CheckpointError(f"{root} is not a classify bundle with torch weights (no {name}); "
                                  "export the run again with `soundry export RUN`")
    cfg = from_dict(Config, read_config_file(root / "config.yaml"))
    if not cfg.model.arch:
        raise CheckpointError(f"{root}/config.yaml has no model.arch: it was exported by an older "
                              "soundry; export the run again")
    backbone = make_backbone(cfg.model, cfg.data.sample_rates[0], cfg.model.arch)
    head = ClassifierHead(backbone.dim, len(cfg.task.labels), cfg.model.dropout)
    model = ExportedClassifier(backbone, head, cfg.task.multi_label)
    state = load_file(str(root / "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{root}/model.safetensors does not fit its config: missing "
                              f"{sorted(missing)[:10]}, unexpected {sorted(unexpected)[:10]}")
    return cfg, model.eval()
