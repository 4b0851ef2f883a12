"""Deterministic, resumable data order and per-sample seeding.

Order: epoch ``e`` visits ``permutation(len(dataset))`` drawn from ``(seed, e)``. With
``world_size`` ranks, rank ``r`` takes global positions ``r, r + W, r + 2W, ...`` of that
permutation (``len // W`` of them, the same count on every rank), in batches of
``batch_size``; an incomplete last batch is dropped. The stream never ends: epochs follow one
another. A position is ``(epoch, index)`` with ``index`` the count of this rank's samples
already consumed in the epoch; it goes into checkpoints and resumes at the exact next sample.

Seeding: before ``dataset[i]`` runs, python ``random``, numpy's global RNG and torch's RNG are
seeded from ``(seed, epoch, global position)``, and restored afterwards. Random augmentations
are therefore the same whatever ``num_workers`` is, on every rank layout and after a resume,
and data loading never disturbs the training process's own random streams.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from soundry.errors import DataError

# Eval samples are seeded with an "epoch" training never reaches, so they get their own seeds.
EVAL_EPOCH = 2**31 - 1


def sample_seed(seed: int, epoch: int, position: int) -> int:
    """A 32-bit seed for one sample; SeedSequence mixing keeps neighbouring positions unrelated."""
    words = [seed % 2**63, epoch, position]
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint32)[0])


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The visiting order of ``n`` items in ``epoch``: (n,) int64."""
    return np.random.default_rng([seed % 2**63, epoch, 0x5EED]).permutation(n)


@contextmanager
def seeded_rng(seed: int):
    """Seed python/numpy/torch global RNGs for the block, then put their old states back."""
    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


class SeededDataset(torch.utils.data.Dataset):
    """Wraps a map-style dataset; items are fetched by key ``(epoch, position, index)``."""

    def __init__(self, inner: Any, seed: int):
        self.inner = inner
        self.seed = seed

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, key: tuple[int, int, int]) -> Any:
        epoch, position, index = key
        with seeded_rng(sample_seed(self.seed, epoch, position)):
            return self.inner[int(index)]


@dataclass
class SamplerPosition:
    """Where a rank is in the stream: ``index`` samples of epoch ``epoch`` already consumed."""

    epoch: int = 0
    index: int = 0


class ResumableBatchSampler:
    """Infinite batches of ``(epoch, position, index)`` keys for one rank (see module doc)."""

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1,
                 start: SamplerPosition | None = None):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.per_rank = n // world_size
        self.batches_per_epoch = self.per_rank // batch_size
        if self.batches_per_epoch < 1:
            raise DataError(f"the training set has {n} items, fewer than one batch of "
                            f"{batch_size} x {world_size} process(es); add data or lower "
                            "train.batch_size")
        self.start = start or SamplerPosition()

    def _counter(self, pos: SamplerPosition) -> int:
        return pos.epoch * self.batches_per_epoch + pos.index // self.batch_size

    def position_after(self, batches: int) -> SamplerPosition:
        """The position once ``batches`` batches past ``start`` have been consumed."""
        c = self._counter(self.start) + batches
        epoch, b = divmod(c, self.batches_per_epoch)
        return SamplerPosition(epoch, b * self.batch_size)

    def __iter__(self) -> Iterator[list[tuple[int, int, int]]]:
        c = self._counter(self.start)
        epoch, b = divmod(c, self.batches_per_epoch)
        while True:
            perm = epoch_permutation(self.n, self.seed, epoch)
            for k in range(b, self.batches_per_epoch):
                slots = range(k * self.batch_size, (k + 1) * self.batch_size)
                positions = [self.rank + j * self.world_size for j in slots]
                yield [(epoch, p, int(perm[p])) for p in positions]
            epoch, b = epoch + 1, 0


class EvalBatchSampler:
    """Finite, in-order batches of a rank's shard (``rank::world_size``) of an eval set."""

    def __init__(self, n: int, batch_size: int, rank: int = 0, world_size: int = 1,
                 max_batches: int = 0):
        self.indices = list(range(rank, n, world_size))
        self.batch_size = batch_size
        self.max_batches = max_batches

    def __iter__(self) -> Iterator[list[tuple[int, int, int]]]:
        bs = self.batch_size
        for count, start in enumerate(range(0, len(self.indices), bs)):
            if self.max_batches and count >= self.max_batches:
                return
            yield [(EVAL_EPOCH, i, i) for i in self.indices[start:start + bs]]

    def __len__(self) -> int:
        full = -(-len(self.indices) // self.batch_size)
        return min(full, self.max_batches) if self.max_batches else full


def build_loader(dataset: Any, batch_sampler: Any, seed: int, num_workers: int = 0,
                 collate: Callable | None = None, pin_memory: bool = False):
    """A DataLoader over ``SeededDataset(dataset, seed)`` driven by ``batch_sampler``.

    The loader gets its own generator so creating an iterator never draws from torch's global
    RNG (that would make a resumed run differ from an uninterrupted one).
    """
    kwargs: dict[str, Any] = {}
    if collate is not None:
        kwargs["collate_fn"] = collate
    return torch.utils.data.DataLoader(
        SeededDataset(dataset, seed), batch_sampler=batch_sampler, num_workers=num_workers,
        pin_memory=pin_memory, generator=torch.Generator().manual_seed(seed % 2**63), **kwargs)


def dataset_length(dataset: Any, what: str) -> int:
    """``len(dataset)`` with a DataError saying what is wrong when it has none or is empty."""
    try:
        n = len(dataset)
    except TypeError:
        raise DataError(f"parts.{what} must be a map-style dataset with __len__ and "
                        f"__getitem__, got {type(dataset).__name__}") from None
    if n == 0:
        raise DataError(f"parts.{what} is empty: prepare more data or check the split settings")
    return n
