"""Schedule, sampler, per-sample seeding and TrainConfig checks (no training)."""

import random

import numpy as np
import pytest
import torch

from soundry.errors import ConfigError, DataError
from soundry.train import TrainConfig, lr_factor, lr_lambda
from soundry.train.data import (EvalBatchSampler, ResumableBatchSampler, SamplerPosition,
                                SeededDataset, build_loader)
from soundry.train.schedule import apply_lr


class RandomItems(torch.utils.data.Dataset):
    """Each item mixes its index with draws from python, numpy and torch global RNGs."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return torch.tensor([float(i), random.random(), float(np.random.rand()), float(torch.rand(()))])


def _take(it, n):
    return [next(it) for _ in range(n)]


def test_lr_warmup_then_decay():
    assert [lr_factor(s, 4) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert lr_factor(4, 4, 0.5) == 1.0
    assert lr_factor(6, 4, 0.5) == 0.25
    assert lr_factor(3, 0, 0.9) == pytest.approx(0.729)
    sched = torch.optim.lr_scheduler.LambdaLR(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=2.0), lr_lambda(2, 0.5))
    assert sched.get_last_lr() == [1.0]


def test_apply_lr_keeps_each_optimizers_own_rate():
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 1.0},
                           {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1}], lr=1.0)
    apply_lr(opt, 0.5, scale=0.5)
    apply_lr(opt, 0.5, scale=0.5)  # idempotent: always from initial_lr
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.025]


def test_sampler_is_a_permutation_per_epoch_and_differs_across_epochs():
    sampler = ResumableBatchSampler(10, 3, seed=7)
    batches = _take(iter(sampler), 6)  # 3 full batches per epoch, last item of each dropped
    epochs = [[k for b in batches[i:i + 3] for k in b] for i in (0, 3)]
    for e, keys in enumerate(epochs):
        assert all(k[0] == e for k in keys)
        assert len({k[2] for k in keys}) == 9
    assert [k[2] for k in epochs[0]] != [k[2] for k in epochs[1]]
    assert _take(iter(ResumableBatchSampler(10, 3, seed=7)), 6) == batches
    assert _take(iter(ResumableBatchSampler(10, 3, seed=8)), 3) != batches[:3]


def test_sampler_resumes_at_the_exact_next_batch():
    full = _take(iter(ResumableBatchSampler(10, 3, seed=1)), 8)
    pos = ResumableBatchSampler(10, 3, seed=1).position_after(4)
    assert pos == SamplerPosition(1, 3)
    assert _take(iter(ResumableBatchSampler(10, 3, seed=1, start=pos)), 4) == full[4:]


def test_ranks_get_disjoint_shards():
    ranks = [_take(iter(ResumableBatchSampler(12, 2, seed=3, rank=r, world_size=3)), 2)
             for r in range(3)]
    indices = [k[2] for batches in ranks for b in batches for k in b]
    assert sorted(indices) == list(range(12))
    assert {k[1] % 3 for k in ranks[1][0]} == {1}


def test_too_small_dataset_is_a_data_error():
    with pytest.raises(DataError, match="fewer than one batch"):
        ResumableBatchSampler(5, 4, seed=0, world_size=2)


def test_eval_sampler_is_finite_and_limited():
    assert len(list(EvalBatchSampler(10, 4))) == 3
    assert len(EvalBatchSampler(10, 4, max_batches=2)) == 2
    keys = [k[2] for b in EvalBatchSampler(10, 4, rank=1, world_size=2) for k in b]
    assert keys == [1, 3, 5, 7, 9]


def test_seeded_items_repeat_and_leave_global_rng_alone():
    ds = SeededDataset(RandomItems(), seed=5)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a, b = ds[(0, 3, 2)], ds[(0, 3, 2)]
    assert torch.equal(a, b)
    assert not torch.equal(a, ds[(0, 4, 2)])  # another position -> another augmentation
    assert torch.equal(torch.get_rng_state(), before)


def test_loader_items_do_not_depend_on_workers():
    def batches(workers):
        sampler = ResumableBatchSampler(10, 2, seed=4)
        it = iter(build_loader(RandomItems(), sampler, seed=4, num_workers=workers))
        return torch.cat(_take(it, 6))

    assert torch.equal(batches(0), batches(2))


def test_train_config_validation_names_the_key():
    TrainConfig().validate()
    with pytest.raises(ConfigError, match="train.grad_accum"):
        TrainConfig(grad_accum=0).validate()
    with pytest.raises(ConfigError, match="train.lr_decay"):
        TrainConfig(lr_decay=1.5).validate()
    with pytest.raises(ConfigError, match="train.monitor"):
        TrainConfig(monitor="val/loss").validate()
    with pytest.raises(ConfigError, match="train.devices"):
        TrainConfig(devices="many").validate()
