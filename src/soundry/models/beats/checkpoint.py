"""Load and save BEATs checkpoints in the official layout.

An official file is ``torch.save({'cfg': dict, 'model': state_dict[, 'label_dict': {i: name}]})``.
Loading is strict by default: a missing or unexpected key, or a tensor of the wrong shape, raises
:class:`~soundry.errors.CheckpointError` naming the keys, because a partly loaded backbone runs
without complaint and gives useless features.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import torch

from soundry.errors import CheckpointError, ConfigError
from soundry.models.beats.config import BEATsConfig
from soundry.models.beats.model import BEATs



def _key_list(keys: list[str], limit: int = 10) -> str:
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    more = f" (and {len(keys) - limit} more)" if len(keys) > limit else ""
    return f"{len(keys)}: {shown}{more}"


def _read(path_or_dict: str | os.PathLike | dict, trusted: bool) -> dict:
    if isinstance(path_or_dict, dict):
        return path_or_dict
    path = Path(path_or_dict)
    if not path.is_file():
        raise CheckpointError(f"BEATs checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=not trusted)
    except Exception as exc:  # torch raises several types for unreadable or unsafe pickles
        hint = ("" if trusted else " If you trust this file, load it with trusted=True "
                "(it holds Python objects beyond tensors, dicts and numbers).")
        raise CheckpointError(f"cannot read BEATs checkpoint {path}: {exc}.{hint}") from exc


def _shared_bias(state: dict[str, torch.Tensor], num_layers: int) -> dict[str, torch.Tensor]:
    """Put layer 0's relative-bias table under every layer's key (the official model only reads
    layer 0's; the others are copies of the same shared parameter)."""
    first = state.get("encoder.layers.0.self_attn.relative_attention_bias.weight")
    if first is None:
        return state
    out = dict(state)
    for i in range(num_layers):
        key = f"encoder.layers.{i}.self_attn.relative_attention_bias.weight"
        if key in out and out[key].shape == first.shape and not torch.equal(out[key], first):
            warnings.warn(f"{key} differs from layer 0's table; BEATs shares layer 0's, using it",
                          stacklevel=3)
        if key in out:
            out[key] = first
    return out


def load_beats_checkpoint(path_or_dict: str | os.PathLike | dict, strict: bool = True,
                          trusted: bool = False) -> tuple[BEATs, BEATsConfig, dict | None]:
    """``(model in eval mode, cfg, label_dict or None)`` from an official BEATs checkpoint.

    ``strict=True`` raises CheckpointError listing missing/unexpected keys (first 10 and the
    count) and shape mismatches; ``strict=False`` loads the keys that fit and warns with the
    same lists. cfg keys this version does not know are kept in ``cfg.unknown`` and warned about.
    ``trusted=True`` allows files that need full unpickling (only for files you trust).
    """
    ckpt = _read(path_or_dict, trusted)
    where = "" if isinstance(path_or_dict, dict) else f" {path_or_dict}"
    if not isinstance(ckpt, dict) or "cfg" not in ckpt or "model" not in ckpt:
        found = sorted(ckpt)[:10] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"BEATs checkpoint{where} is not in the official layout "
                              f"{{'cfg', 'model'[, 'label_dict']}}; found {found}")
    extra = sorted(set(ckpt) - {"cfg", "model", "label_dict"})
    if extra:
        warnings.warn(f"BEATs checkpoint{where}: ignoring top-level entries {extra}", stacklevel=2)
    try:
        cfg = BEATsConfig.from_official(ckpt["cfg"])
        model = BEATs(**cfg.model_kwargs())
    except (ConfigError, ValueError) as exc:
        raise CheckpointError(f"BEATs checkpoint{where} has an unusable cfg: {exc}") from exc
    if cfg.unknown:
        warnings.warn(f"BEATs checkpoint{where}: cfg keys not used by soundry: "
                      f"{', '.join(sorted(cfg.unknown))}", stacklevel=2)
    model.hparams.unknown = dict(cfg.unknown)

    state = _shared_bias(dict(ckpt["model"]), cfg.encoder_layers)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    problems = []
    if missing:
        problems.append(f"missing keys {_key_list(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_key_list(unexpected)}")
    if wrong:
        problems.append(f"shape mismatches {_key_list(wrong)}")
    if problems:
        message = (f"BEATs checkpoint{where} does not match its cfg: " + "; ".join(problems)
                   + ". Is it a BEATs checkpoint (not a tokenizer or another model's file)?")
        if strict:
            raise CheckpointError(message)
        warnings.warn(message + " Loading the matching keys only (strict=False).", stacklevel=2)
    usable = {k: v for k, v in state.items() if k in expected and tuple(v.shape) == tuple(expected[k].shape)}
    model.load_state_dict(usable, strict=False)
    model.eval()
    label_dict = ckpt.get("label_dict")
    return model, cfg, label_dict


def beats_state_dict(model: BEATs) -> dict[str, torch.Tensor]:
    """Official-layout state dict: every key the official model has, the relative-bias table
    repeated under each layer, tensors detached on the CPU."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def save_beats_checkpoint(model: BEATs, path: str | os.PathLike,
                          label_dict: dict[Any, str] | None = None) -> Path:
    """Write ``{'cfg', 'model'[, 'label_dict']}`` loadable by the official code and by
    :func:`load_beats_checkpoint`; written to a temporary name and renamed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ckpt: dict[str, Any] = {"cfg": model.hparams.to_official(), "model": beats_state_dict(model)}
    if label_dict is not None:
        ckpt["label_dict"] = dict(label_dict)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(ckpt, tmp)
    os.replace(tmp, path)
    return path
