"""Trainer.fit on the toy recipes: files, events, resume in-process, accumulation, export."""

import pytest
import torch
import yaml

import train_toy
import train_toy_gan
from soundry.config import from_dict
from soundry.errors import CheckpointError
from soundry.progress import read_events
from soundry.train import Recipe, Trainer, load_parts_for_export, load_weights
from soundry.train.checkpoint import load_state
from train_toy import make_config, stage_events, step_losses


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_toys_satisfy_the_protocol():
    assert isinstance(train_toy, Recipe) and isinstance(train_toy_gan, Recipe)


def test_fit_writes_the_expected_files_and_events(tmp_path):
    cfg = make_config(eval_every=3, tensorboard=True)
    result = Trainer(train_toy, cfg, tmp_path).fit()
    assert result.steps == 6 and not result.stopped_early
    assert result.last_checkpoint == tmp_path / "checkpoints" / "step-00000006"
    files = [f for f in _files(tmp_path) if not f.startswith("tb/")]
    assert files == ["checkpoints/latest",
                     "checkpoints/step-00000003/config.yaml",
                     "checkpoints/step-00000003/model-net.safetensors",
                     "checkpoints/step-00000003/state.pt",
                     "checkpoints/step-00000006/config.yaml",
                     "checkpoints/step-00000006/model-net.safetensors",
                     "checkpoints/step-00000006/state.pt",
                     "config.yaml", "events.jsonl"]
    assert any(f.startswith("tb/events.out.tfevents") for f in _files(tmp_path))
    saved = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert from_dict(train_toy.Config, saved) == cfg
    events = read_events(tmp_path / "events.jsonl")
    assert all({"time", "stage", "step", "total_steps"} <= set(e) for e in events)
    assert [e["stage"] for e in events][:2] == ["train", "train"]
    assert events[0]["status"] == "started" and events[-1]["stage"] == "done"
    steps = stage_events(tmp_path, "train")[1:]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert {"lr", "loss", "steps_per_s", "eta_s", "bad_steps"} <= set(steps[0])
    assert [e["step"] for e in stage_events(tmp_path, "eval")] == [3, 6]
    assert "val/loss" in result.metrics and result.metrics["loss"] == steps[-1]["loss"]
    assert [e["step"] for e in stage_events(tmp_path, "checkpoint")] == [3, 6]


def test_refuses_to_overwrite_a_run_without_resume(tmp_path):
    Trainer(train_toy, make_config(steps=3), tmp_path).fit()
    with pytest.raises(CheckpointError, match="-r"):
        Trainer(train_toy, make_config(steps=3), tmp_path).fit()
    assert stage_events(tmp_path, "error")[-1]["error"] == "CheckpointError"


def test_resume_without_checkpoint_starts_fresh_and_says_so(tmp_path):
    Trainer(train_toy, make_config(steps=2), tmp_path).fit(resume=True)
    start = stage_events(tmp_path, "train")[0]
    assert start["status"] == "started" and "no checkpoint" in start["note"]


def test_resume_in_process_matches_an_uninterrupted_run(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    Trainer(train_toy, make_config(eval_every=2), straight).fit()
    Trainer(train_toy, make_config(eval_every=2, steps=3), split).fit()
    result = Trainer(train_toy, make_config(eval_every=2), split).fit(resume=True)
    assert result.steps == 6
    starts = [e for e in stage_events(split, "train") if "status" in e]
    assert [(e["status"], e["step"]) for e in starts] == [("started", 0), ("resumed", 3)]
    assert step_losses(split) == step_losses(straight)
    a = load_state(straight / "checkpoints" / "step-00000006")
    b = load_state(split / "checkpoints" / "step-00000006")
    assert a["run"] == b["run"]
    assert torch.equal(a["rng"][0]["torch"], b["rng"][0]["torch"])


def test_grad_accumulation_equals_one_big_batch(tmp_path):
    toy = {"linear": True, "optimizer": "sgd", "dropout": 0.0}
    big = Trainer(train_toy, make_config(batch_size=8, toy=toy, steps=4), tmp_path / "a").fit()
    acc = Trainer(train_toy, make_config(batch_size=4, grad_accum=2, toy=toy, steps=4),
                  tmp_path / "b").fit()
    wa, wb = torch.nn.Linear(4, 1, bias=False), torch.nn.Linear(4, 1, bias=False)
    load_weights(big.last_checkpoint, {"net": wa})
    load_weights(acc.last_checkpoint, {"net": wb})
    assert torch.allclose(wa.weight, wb.weight, atol=1e-6)
    la, lb = step_losses(tmp_path / "a"), step_losses(tmp_path / "b")
    assert la.keys() == lb.keys() and all(abs(la[k] - lb[k]) < 1e-5 for k in la)


def test_lr_schedule_reaches_the_optimizer(tmp_path):
    Trainer(train_toy, make_config(steps=4, warmup_steps=2, lr_decay=0.5), tmp_path).fit()
    lrs = [e["lr"] for e in stage_events(tmp_path, "train")[1:]]
    assert lrs == pytest.approx([0.005, 0.01, 0.01, 0.005])


def test_gan_steps_two_optimizers_and_keeps_the_frozen_module(tmp_path):
    cfg = train_toy_gan.Config(train=make_config(steps=4, batch_size=4, checkpoint_every=2).train)
    result = Trainer(train_toy_gan, cfg, tmp_path).fit()
    names = sorted(p.name for p in result.last_checkpoint.iterdir())
    assert names == ["config.yaml", "model-disc.safetensors", "model-feat.safetensors",
                     "model-gen.safetensors", "state.pt"]
    assert set(load_state(result.last_checkpoint)["optimizers"]) == {"gen", "disc"}
    _, first = load_parts_for_export(train_toy_gan, tmp_path, "step-00000002")
    _, last = load_parts_for_export(train_toy_gan, tmp_path)
    assert torch.equal(first.modules["feat"].weight, last.modules["feat"].weight)
    assert not torch.equal(first.modules["gen"][0].weight, last.modules["gen"][0].weight)
    assert not torch.equal(first.modules["disc"][0].weight, last.modules["disc"][0].weight)
    assert {"d_loss", "g_loss"} <= set(result.metrics)


def test_load_parts_for_export_is_strict(tmp_path):
    result = Trainer(train_toy, make_config(steps=2), tmp_path).fit()
    cfg, parts = load_parts_for_export(train_toy, tmp_path)
    assert cfg.train.steps == 2 and not parts.modules["net"].training
    reference = train_toy.make_net(cfg.toy)
    load_weights(result.last_checkpoint, {"net": reference})
    assert torch.equal(parts.modules["net"][0].weight, reference[0].weight)
    cfg_file = result.last_checkpoint / "config.yaml"
    saved = yaml.safe_load(cfg_file.read_text())
    saved["toy"]["hidden"] = 32
    cfg_file.write_text(yaml.safe_dump(saved))
    with pytest.raises(CheckpointError, match="size mismatch|shape"):
        load_parts_for_export(train_toy, tmp_path)
