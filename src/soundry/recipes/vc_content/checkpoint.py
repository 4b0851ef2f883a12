"""The trained content encoder as a reusable artefact, and loading it back for ``vc``.

A ``vc-content`` export folder holds ``content.safetensors`` (ContentEncoder weights),
``content.json`` (its constructor keyword arguments and how it was trained) and, when it
learned phones, ``vocab.json`` (a ``PhonemeVocab``). ``load_content_encoder`` also accepts a
``vc-content`` run folder (its newest checkpoint) or one checkpoint folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from soundry.errors import CheckpointError
from soundry.models.vc import ContentEncoder, vc_preset

CONTENT_WEIGHTS, CONTENT_INFO, VOCAB = "content.safetensors", "content.json", "vocab.json"


class ContentStudent(nn.Module):
    """The encoder being trained, plus a linear map to the teacher's feature size (distillation)."""

    def __init__(self, kwargs: dict[str, Any], teacher_dim: int = 0):
        super().__init__()
        self.encoder = ContentEncoder(**kwargs)
        content_dim = self.encoder.out.out_features
        self.proj = nn.Linear(content_dim, teacher_dim) if teacher_dim else None


def encoder_kwargs(size: str, lookahead_frames: int = 0, n_units: int = 0) -> dict[str, Any]:
    """ContentEncoder keyword arguments of the named size (``n_units`` 0 keeps the preset's)."""
    kwargs = vc_preset(size)["content"]
    kwargs["lookahead_frames"] = int(lookahead_frames)
    if n_units:
        kwargs["n_units"] = int(n_units)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}


def save_content(encoder: ContentEncoder, kwargs: dict[str, Any], out_dir: Path, vocab=None,
                 **info: Any) -> list[Path]:
    """Write ``content.safetensors``, ``content.json`` (and ``vocab.json``) into ``out_dir``."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone().contiguous() for k, v in encoder.state_dict().items()}
    save_file(state, str(out / CONTENT_WEIGHTS))
    payload = {"format": "soundry.vc-content", "format_version": 1, "kwargs": kwargs,
               "vocab": VOCAB if vocab is not None else None, **info}
    tmp = out / (CONTENT_INFO + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / CONTENT_INFO)
    files = [out / CONTENT_WEIGHTS, out / CONTENT_INFO]
    if vocab is not None:
        files.append(vocab.save(out / VOCAB))
    return files


def _from_export(folder: Path) -> tuple[dict, dict[str, torch.Tensor], Any]:
    from safetensors.torch import load_file

    from soundry.features import PhonemeVocab

    info = json.loads((folder / CONTENT_INFO).read_text(encoding="utf-8"))
    vocab = PhonemeVocab.load(folder / VOCAB) if (folder / VOCAB).is_file() else None
    return info["kwargs"], load_file(str(folder / CONTENT_WEIGHTS)), vocab


def _from_checkpoint(folder: Path) -> tuple[dict, dict[str, torch.Tensor], Any]:
    from safetensors.torch import load_file

    from soundry.config import from_dict
    from soundry.features import PhonemeVocab
    from soundry.recipes.vc_content.config import Config
    from soundry.train import read_checkpoint_config

    cfg = from_dict(Config, read_checkpoint_config(folder))
    units = cfg.content.units
    kwargs = encoder_kwargs(cfg.model.size, cfg.model.lookahead_frames, len(units) + 2 if units else 0)
    weights = load_file(str(folder / "model-content.safetensors"))
    weights = {k[len("encoder."):]: v for k, v in weights.items() if k.startswith("encoder.")}
    vocab = PhonemeVocab(units, cfg.content.unit_settings) if units else None
    return kwargs, weights, vocab


def read_content(path: str | Path) -> tuple[dict, dict[str, torch.Tensor], Any]:
    """``(kwargs, weights, vocab or None)`` of a vc-content export, run or checkpoint folder."""
    from soundry.train import latest_checkpoint

    folder = Path(path).expanduser()
    if (folder / CONTENT_WEIGHTS).is_file() and (folder / CONTENT_INFO).is_file():
        return _from_export(folder)
    if (folder / "export" / CONTENT_WEIGHTS).is_file():
        return _from_export(folder / "export")
    if (folder / "model-content.safetensors").is_file():
        return _from_checkpoint(folder)
    found = latest_checkpoint(folder) if folder.is_dir() else None
    if found is not None and (found / "model-content.safetensors").is_file():
        return _from_checkpoint(found)
    raise CheckpointError(
        f"{folder} is not a content encoder: expected a `soundry export` folder of a vc-content run "
        f"({CONTENT_WEIGHTS} + {CONTENT_INFO}), a vc-content run folder or one of its checkpoints. "
        "Train one with `soundry train vc-content -d DATA -o RUN` first")


def load_content_encoder(path: str | Path) -> tuple[ContentEncoder, dict[str, Any], Any]:
    """A trained ``ContentEncoder`` (eval mode) with its kwargs and vocabulary (or None)."""
    kwargs, weights, vocab = read_content(path)
    encoder = ContentEncoder(**kwargs)
    encoder.load_state_dict(weights, strict=True)
    return encoder.eval(), kwargs, vocab
