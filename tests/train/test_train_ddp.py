"""Two DDP processes on CPU (gloo), started by the engine itself."""

import pytest
import torch

import train_toy
from soundry.errors import ConfigError
from soundry.train import Trainer, load_weights
from train_toy import make_config, stage_events, step_losses


def test_two_process_ddp_resumes_and_equals_one_process_with_the_whole_batch(tmp_path):
    toy = {"dropout": 0.0}

    def ddp_config(steps):
        return make_config(strategy="ddp", devices=2, batch_size=4, steps=steps, eval_every=2,
                           checkpoint_every=2, toy=toy)

    Trainer(train_toy, ddp_config(2), tmp_path / "ddp").fit()
    ddp = Trainer(train_toy, ddp_config(4), tmp_path / "ddp").fit(resume=True)
    single = Trainer(train_toy, make_config(batch_size=8, steps=4, eval_every=2, toy=toy),
                     tmp_path / "one").fit()
    assert ddp.steps == 4 and ddp.last_checkpoint.name == "step-00000004"
    starts = [e for e in stage_events(tmp_path / "ddp", "train") if "status" in e]
    assert [(e["status"], e["world_size"]) for e in starts] == [("started", 2), ("resumed", 2)]
    # Rank r takes permutation positions r, r+2, ...: together the ranks see the one-process
    # batch with the same per-sample augmentations, and DDP averages their gradients.
    a, b = train_toy.make_net(train_toy.ToyConfig()), train_toy.make_net(train_toy.ToyConfig())
    load_weights(ddp.last_checkpoint, {"net": a})
    load_weights(single.last_checkpoint, {"net": b})
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-5)
    la, lb = step_losses(tmp_path / "ddp"), step_losses(tmp_path / "one")
    assert all(abs(la[k] - lb[k]) < 1e-5 for k in lb)
    assert abs(ddp.metrics["val/loss"] - single.metrics["val/loss"]) < 1e-5
    # evaluate() on rank 0 sees every rank's eval_outputs: the whole validation set, once
    assert ddp.metrics["val/seen"] == single.metrics["val/seen"] == 16
    assert abs(ddp.metrics["val/target_sum"] - single.metrics["val/target_sum"]) < 1e-4


def test_fsdp_on_cpu_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="FSDP"):
        Trainer(train_toy, make_config(strategy="fsdp", devices=2), tmp_path).fit()
