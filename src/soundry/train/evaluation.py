"""Evaluation: ``eval_step`` over the validation loader, averaged over batches and ranks."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch


def to_floats(out: Any, where: str) -> dict[str, float]:
    """A step's returned scalars as python floats (one device sync for all tensors)."""
    if out is None:
        return {}
    if not isinstance(out, dict):
        raise TypeError(f"{where} must return a dict of scalars, got {type(out).__name__}")
    floats: dict[str, float] = {}
    tensors: dict[str, torch.Tensor] = {}
    for key, value in out.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise TypeError(f"{where} returned '{key}' with shape {tuple(value.shape)}; "
                                "return scalars (e.g. loss.detach())")
            tensors[key] = value.detach().reshape(()).float()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            floats[key] = float(value)
        else:
            raise TypeError(f"{where} returned '{key}' = {value!r}; return numbers or 0-d tensors")
    if tensors:
        values = torch.stack([t.to(next(iter(tensors.values())).device) for t in tensors.values()])
        floats.update(zip(tensors, values.cpu().tolist()))
    return {k: floats[k] for k in out}


def non_finite(scalars: dict[str, float]) -> list[str]:
    return [k for k, v in scalars.items() if not math.isfinite(v)]


def run_eval(fabric: Any, recipe: Any, parts: Any, loader: Iterable, frozen: set[str]) -> dict[str, float]:
    """Mean of each ``eval_step`` scalar over all batches of all ranks (all ranks call).

    Modules are in eval mode under ``torch.no_grad`` meanwhile; trainable ones go back to train
    mode afterwards (frozen ones stay in eval mode). Keys come back as returned (no prefix).

    Whole-set metrics: when ``parts`` has a list ``eval_outputs``, it is emptied before the loop,
    ``eval_step`` may append picklable per-batch outputs to it on every rank, and afterwards it
    holds every rank's outputs (rank order) on rank 0 for the recipe's ``evaluate`` hook.
    """
    modules = parts.modules
    collect = isinstance(getattr(parts, "eval_outputs", None), list)
    if collect:
        parts.eval_outputs.clear()
    for module in modules.values():
        module.eval()
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    try:
        with torch.no_grad():
            for batch in loader:
                out = to_floats(recipe.eval_step(parts, fabric.to_device(batch)), "eval_step")
                for key, value in out.items():
                    sums[key] = sums.get(key, 0.0) + value
                    counts[key] = counts.get(key, 0) + 1
    finally:
        for name, module in modules.items():
            if name not in frozen:
                module.train()
    keys = sorted(sums)
    if fabric.world_size > 1:
        from soundry.train.distributed import gather_objects

        if collect:
            ranks = gather_objects(fabric, list(parts.eval_outputs))
            parts.eval_outputs[:] = [o for r in ranks for o in r] if fabric.global_rank == 0 else []
        # A rank with no batches has no keys; every rank must reduce the same vector.
        keys = sorted(set().union(*gather_objects(fabric, keys)))
        # Ranks may hold different numbers of batches: reduce sums and counts, not means.
        packed = torch.tensor([sums.get(k, 0.0) for k in keys]
                              + [float(counts.get(k, 0)) for k in keys],
                              dtype=torch.float64, device=fabric.device)
        packed = fabric.all_reduce(packed, reduce_op="sum").cpu().tolist()
        sums = dict(zip(keys, packed[:len(keys)]))
        counts = dict(zip(keys, packed[len(keys):]))
    return {k: sums[k] / counts[k] for k in keys if counts[k]}
