"""Non-finite steps, rollbacks, divergence errors, early stopping and the best checkpoint."""

import pytest

import train_toy
from soundry.errors import ConfigError, TrainingError
from soundry.train import Trainer, best_checkpoint, list_checkpoints
from train_toy import make_config, stage_events


def _fit(tmp_path, **train):
    return Trainer(train_toy, make_config(**train), tmp_path).fit()


def test_non_finite_losses_are_skipped_and_counted(tmp_path):
    result = _fit(tmp_path, toy={"nan_calls": [2, 4]})
    assert result.steps == 6
    bad = stage_events(tmp_path, "bad_step")
    assert [(e["step"], e["bad_steps"]) for e in bad] == [(2, 1), (3, 2)]
    assert "loss" in bad[0]["reason"]
    steps = stage_events(tmp_path, "train")[1:]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert steps[-1]["bad_steps"] == 2 and all(e["loss"] is not None for e in steps)
    assert not stage_events(tmp_path, "rollback")


def test_a_non_finite_returned_scalar_is_a_bad_step(tmp_path):
    _fit(tmp_path, steps=3, toy={"nan_scalar_calls": [1]})
    (bad,) = stage_events(tmp_path, "bad_step")
    assert bad["step"] == 1 and "extra" in bad["reason"]


def test_consecutive_bad_steps_roll_back_to_the_checkpoint_with_a_lower_lr(tmp_path):
    result = _fit(tmp_path, max_bad_steps=2, toy={"nan_calls": [4, 5]})
    (rollback,) = stage_events(tmp_path, "rollback")
    assert rollback["to"] == "step-00000003" and rollback["step"] == 3
    assert rollback["lr_scale"] == 0.5 and rollback["rollbacks"] == 1
    steps = stage_events(tmp_path, "train")[1:]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 4, 5, 6]  # step 4 redone after rollback
    assert [e["lr"] for e in steps[-3:]] == [0.005] * 3
    assert result.steps == 6


def test_rollback_before_any_checkpoint_restores_the_initial_weights(tmp_path):
    _fit(tmp_path, max_bad_steps=2, toy={"nan_calls": [2, 3]})
    (rollback,) = stage_events(tmp_path, "rollback")
    assert rollback["to"] == "initial" and rollback["step"] == 0
    first = [e for e in stage_events(tmp_path, "train")[1:] if e["step"] == 1]
    assert len(first) == 2 and first[1]["loss"] != first[0]["loss"]  # other data, lower lr


def test_too_many_rollbacks_raise_training_error(tmp_path):
    with pytest.raises(TrainingError, match="diverged at step 3.*train.lr"):
        _fit(tmp_path, max_bad_steps=2, max_rollbacks=1, toy={"nan_from_call": 3})
    assert len(stage_events(tmp_path, "rollback")) == 1
    (error,) = stage_events(tmp_path, "error")
    assert error["error"] == "TrainingError" and error["step"] == 3


def test_early_stopping_keeps_the_best_checkpoint(tmp_path):
    # val/score grows with every eval, so the first eval stays the best.
    result = _fit(tmp_path, steps=10, eval_every=1, checkpoint_every=100, keep_last=1,
                  monitor="val/score", patience=2, toy={"val_offset": 1.0})
    assert result.stopped_early and result.steps == 3
    assert result.best_checkpoint == best_checkpoint(tmp_path)
    assert result.best_checkpoint.name == "step-00000001"
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000001", "step-00000003"]
    (stop,) = stage_events(tmp_path, "early_stop")
    assert stop["step"] == 3 and stop["best_step"] == 1
    again = Trainer(train_toy, make_config(steps=10, eval_every=1, monitor="val/score",
                                           patience=2), tmp_path).fit(resume=True)
    assert again.stopped_early and again.steps == 3  # a stopped run stays stopped


def test_monitor_max_tracks_improvements(tmp_path):
    result = _fit(tmp_path, steps=3, eval_every=1, monitor="val/score", monitor_mode="max",
                  toy={"val_offset": 1.0})
    assert result.best_checkpoint.name == "step-00000003"
    assert [e["best"] for e in stage_events(tmp_path, "checkpoint")] == [True, True, True]


def test_unknown_monitor_names_the_metrics_available(tmp_path):
    with pytest.raises(ConfigError, match="val/los'.*val/loss"):
        _fit(tmp_path, steps=2, eval_every=1, monitor="val/los")
