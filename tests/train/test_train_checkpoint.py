"""Checkpoint folders: atomic writes, pointers, pruning, strict loading, configs."""

import pytest
import torch
from torch import nn

from soundry.errors import CheckpointError
from soundry.train import (best_checkpoint, latest_checkpoint, list_checkpoints, load_weights,
                           read_checkpoint_config, resolve_checkpoint)
from soundry.train.checkpoint import load_state, module_weights, save_checkpoint
from train_toy import make_config


def _save(run, step, module=None, keep_last=3, best=False):
    module = module or nn.Linear(2, 3)
    return save_checkpoint(run, step, {"net": module_weights(module)}, {"run": {"step": step}},
                           make_config(), keep_last=keep_last, best=best)


def test_layout_and_latest_pointer(tmp_path):
    path = _save(tmp_path, 12)
    assert path == tmp_path / "checkpoints" / "step-00000012"
    assert sorted(p.name for p in path.iterdir()) == ["config.yaml", "model-net.safetensors",
                                                      "state.pt"]
    assert (tmp_path / "checkpoints" / "latest").read_text().strip() == "step-00000012"
    assert latest_checkpoint(tmp_path) == path
    assert load_state(path) == {"run": {"step": 12}}
    assert read_checkpoint_config(path)["train"]["steps"] == 6


def test_leftover_tmp_folder_is_ignored_and_cleaned(tmp_path):
    _save(tmp_path, 3)
    torn = tmp_path / "checkpoints" / ".tmp-step-00000006"
    torn.mkdir()
    (torn / "model-net.safetensors").write_bytes(b"half")
    assert latest_checkpoint(tmp_path).name == "step-00000003"
    _save(tmp_path, 4)
    assert not torn.exists()


def test_highest_complete_folder_wins_over_a_stale_pointer(tmp_path):
    _save(tmp_path, 3)
    _save(tmp_path, 6)
    (tmp_path / "checkpoints" / "latest").write_text("step-00000003\n")  # crash before update
    assert latest_checkpoint(tmp_path).name == "step-00000006"


def test_keep_last_prunes_but_never_the_best(tmp_path):
    _save(tmp_path, 1, best=True)
    for step in range(2, 6):
        _save(tmp_path, step, keep_last=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000001", "step-00000004",
                                                            "step-00000005"]
    assert best_checkpoint(tmp_path).name == "step-00000001"
    assert resolve_checkpoint(tmp_path, "best").name == "step-00000001"


def test_same_step_rewritten_replaces_the_folder(tmp_path):
    _save(tmp_path, 2, nn.Linear(2, 3))
    other = nn.Linear(2, 3)
    _save(tmp_path, 2, other)
    target = nn.Linear(2, 3)
    load_weights(tmp_path / "checkpoints" / "step-00000002", {"net": target})
    assert torch.equal(target.weight, other.weight)


def test_tied_weights_are_saved_and_load_strictly(tmp_path):
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    path = _save(tmp_path, 1, tied)
    fresh = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    load_weights(path, {"net": fresh})
    assert torch.equal(fresh[1].weight, tied[0].weight)


def test_strict_load_lists_missing_and_unexpected_keys(tmp_path):
    path = _save(tmp_path, 1, nn.Sequential(nn.Linear(2, 3)))
    other = nn.Sequential(nn.Identity(), nn.Linear(2, 3))
    with pytest.raises(CheckpointError) as err:
        load_weights(path, {"net": other})
    assert "missing keys: 1.weight, 1.bias" in str(err.value)
    assert "unexpected keys: 0.bias, 0.weight" in str(err.value)
    with pytest.raises(CheckpointError, match="no file model-head.safetensors"):
        load_weights(path, {"net": nn.Sequential(nn.Linear(2, 3)), "head": nn.Linear(1, 1)})
    with pytest.raises(CheckpointError, match="size mismatch|shape"):
        load_weights(path, {"net": nn.Sequential(nn.Linear(2, 4))})
    load_weights(path, {"net": other}, strict=False)  # non-strict loads what matches


def test_resolve_errors_say_what_to_do(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        resolve_checkpoint(tmp_path, "latest")
    _save(tmp_path, 1)
    with pytest.raises(CheckpointError, match="train.monitor"):
        resolve_checkpoint(tmp_path, "best")
    with pytest.raises(CheckpointError, match="not a complete checkpoint"):
        resolve_checkpoint(tmp_path, tmp_path / "nowhere")
    assert resolve_checkpoint(tmp_path, "step-00000001").name == "step-00000001"
