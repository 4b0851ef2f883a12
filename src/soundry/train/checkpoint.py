"""Checkpoints: ``run/checkpoints/step-XXXXXXXX/`` with weights apart from training state.

A checkpoint folder holds ``model-<name>.safetensors`` per module (weights only),
``state.pt`` (optimizers, step, sampler position, RNG states, counters; loadable with
``weights_only=True``) and ``config.yaml`` (the full recipe config). It is written under
``checkpoints/.tmp-step-XXXXXXXX/`` and renamed into place, so a crash at any moment leaves
either the complete folder or a ``.tmp-*`` one that is ignored and cleaned up later.
``checkpoints/latest`` and ``checkpoints/best`` are small text files naming a folder, each
replaced atomically. Pruning keeps the newest ``keep_last`` folders and never the best one.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch
import yaml

from soundry.config import save_config
from soundry.errors import CheckpointError

CHECKPOINTS = "checkpoints"
_STEP_DIR = re.compile(r"^step-(\d{8,})$")
_SHOW_KEYS = 10


def checkpoint_name(step: int) -> str:
    """``1000`` -> ``'step-00001000'`` (steps completed when it was written)."""
    return f"step-{step:08d}"


def checkpoint_step(path: str | Path) -> int:
    """The step count encoded in a checkpoint folder's name."""
    m = _STEP_DIR.match(Path(path).name)
    if not m:
        raise CheckpointError(f"{path} is not a checkpoint folder (expected a name like "
                              "step-00001000)")
    return int(m.group(1))


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoint folders of a run, oldest first (``.tmp-*`` leftovers ignored)."""
    root = Path(run_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir()
             if p.is_dir() and _STEP_DIR.match(p.name) and (p / "state.pt").is_file()]
    return sorted(found, key=checkpoint_step)


def _read_pointer(path: Path) -> str | None:
    try:
        name = path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, IsADirectoryError):
        return None
    return name or None


def _write_pointer(path: Path, name: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, path)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint folder of ``run_dir``, or None.

    The highest step wins even over ``checkpoints/latest``: a crash between renaming a new
    checkpoint into place and updating the pointer must not send resume back a checkpoint.
    """
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def best_checkpoint(run_dir: str | Path) -> Path | None:
    """The folder ``checkpoints/best`` names, if it exists and is complete."""
    root = Path(run_dir) / CHECKPOINTS
    name = _read_pointer(root / "best")
    if name and _STEP_DIR.match(name) and (root / name / "state.pt").is_file():
        return root / name
    return None


def resolve_checkpoint(run_dir: str | Path, which: str | Path = "latest") -> Path:
    """``"latest"``, ``"best"`` or a checkpoint folder path -> that folder (CheckpointError if none)."""
    if str(which) == "latest":
        found = latest_checkpoint(run_dir)
        if found is None:
            raise CheckpointError(f"no checkpoint in {Path(run_dir) / CHECKPOINTS}: train the run "
                                  "first (or check the run folder)")
        return found
    if str(which) == "best":
        found = best_checkpoint(run_dir)
        if found is None:
            raise CheckpointError(f"run {run_dir} has no best checkpoint: set train.monitor "
                                  "(e.g. val/loss) to keep one, or use 'latest'")
        return found
    path = Path(which)
    if not path.is_absolute() and not path.exists():
        path = Path(run_dir) / CHECKPOINTS / path
    if not (path / "state.pt").is_file():
        raise CheckpointError(f"{path} is not a complete checkpoint folder (no state.pt); "
                              "use 'latest', 'best' or a checkpoints/step-XXXXXXXX folder")
    return path


def module_weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A module's state dict as detached, contiguous CPU copies.

    Copies matter: safetensors refuses tensors that share memory (tied weights), and
    non-contiguous views; each key gets its own buffer so every key loads back strictly.
    """
    out = {}
    for key, value in module.state_dict().items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"state dict key '{key}' holds a {type(value).__name__}, not a tensor; "
                            "safetensors checkpoints can only hold tensors")
        out[key] = value.detach().to("cpu", copy=True).contiguous()
    return out


def save_checkpoint(run_dir: str | Path, step: int, weights: dict[str, dict[str, torch.Tensor]],
                    state: dict[str, Any], config: Any, keep_last: int = 3,
                    best: bool = False) -> Path:
    """Write ``checkpoints/step-<step>/`` atomically, point ``latest`` (and ``best``) at it,
    then prune to ``keep_last`` (0 keeps all). ``weights``: module name -> CPU state dict."""
    from safetensors.torch import save_file

    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    name = checkpoint_name(step)
    tmp = root / f".tmp-{name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for module_name, tensors in weights.items():
        save_file(tensors, str(tmp / f"model-{module_name}.safetensors"),
                  metadata={"module": module_name, "step": str(step)})
    save_config(config, tmp / "config.yaml")
    torch.save(state, tmp / "state.pt")  # written last: its presence marks a complete folder
    final = root / name
    if final.exists():
        # Same step written again (e.g. after a crash and resume): swap, then delete the old.
        old = root / f".tmp-old-{name}"
        if old.exists():
            shutil.rmtree(old)
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old)
    else:
        os.rename(tmp, final)
    _write_pointer(root / "latest", name)
    if best:
        _write_pointer(root / "best", name)
    prune_checkpoints(run_dir, keep_last)
    return final


def prune_checkpoints(run_dir: str | Path, keep_last: int) -> list[Path]:
    """Delete all but the newest ``keep_last`` checkpoints (never the best); returns deleted."""
    root = Path(run_dir) / CHECKPOINTS
    for leftover in root.glob(".tmp-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    if keep_last <= 0:
        return []
    found = list_checkpoints(run_dir)
    best = best_checkpoint(run_dir)
    doomed = [p for p in found[:-keep_last] if best is None or p.name != best.name]
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def _show(keys: list[str]) -> str:
    head = ", ".join(keys[:_SHOW_KEYS])
    return head + (f", ... ({len(keys)} in all)" if len(keys) > _SHOW_KEYS else "")


def load_weights(ckpt_dir: str | Path, modules: dict[str, torch.nn.Module],
                 strict: bool = True) -> None:
    """Load ``model-<name>.safetensors`` into each module of ``modules``.

    With ``strict``, a missing file, a missing or unexpected key, or a file for a module not
    given raises one CheckpointError listing every problem; shape mismatches always raise.
    """
    from safetensors.torch import load_file

    ckpt = Path(ckpt_dir)
    problems = []
    if strict:
        given = {p.name[len("model-"):-len(".safetensors")] for p in ckpt.glob("model-*.safetensors")}
        extra = sorted(given - set(modules))
        if extra:
            problems.append(f"weights for modules the model does not have: {', '.join(extra)}")
    for name, module in modules.items():
        path = ckpt / f"model-{name}.safetensors"
        if not path.is_file():
            if strict:
                problems.append(f"module '{name}': no file {path.name}")
            continue
        tensors = load_file(str(path), device="cpu")
        try:
            result = module.load_state_dict(tensors, strict=False)
        except RuntimeError as exc:
            problems.append(f"module '{name}': {str(exc).strip().splitlines()[-1].strip()}")
            continue
        if strict and result.missing_keys:
            problems.append(f"module '{name}' missing keys: {_show(list(result.missing_keys))}")
        if strict and result.unexpected_keys:
            problems.append(f"module '{name}' unexpected keys: {_show(list(result.unexpected_keys))}")
    if problems:
        raise CheckpointError(f"checkpoint {ckpt} does not match the model: " + "; ".join(problems)
                              + ". Was it trained with another model config or preset?")


def load_state(ckpt_dir: str | Path) -> dict[str, Any]:
    """The training state saved in ``state.pt`` (tensors on CPU)."""
    path = Path(ckpt_dir) / "state.pt"
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: {ckpt_dir} is not a complete checkpoint")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torn or foreign file: say which and what to do
        raise CheckpointError(f"cannot read {path} ({type(exc).__name__}: {exc}); "
                              "resume from an older checkpoint folder") from None


def read_checkpoint_config(ckpt_dir: str | Path) -> dict[str, Any]:
    """The recipe config saved with a checkpoint, as a plain dict."""
    path = Path(ckpt_dir) / "config.yaml"
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: {ckpt_dir} is not a complete checkpoint")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} does not hold a config mapping")
    return data
