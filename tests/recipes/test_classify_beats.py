"""classify with BEATs: linear really freezes, finetune decays per layer, checkpoints load strictly,
registry names resolve through the cache, export matches ONNX and re-embeds from the bundle."""

import json

import pytest
import torch
from safetensors.torch import load_file

from soundry import api
from soundry.config import load_config
from soundry.errors import CheckpointError, ConfigError
from soundry.hub import checkpoint_path
from soundry.models.beats import BEATs, beats_preset, save_beats_checkpoint
from soundry.recipes import classify
from soundry.recipes.classify.steps import resolve_arch


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    return save_beats_checkpoint(BEATs(**beats_preset("tiny").model_kwargs()),
                                 tmp_path_factory.mktemp("ckpt") / "tiny.pt")


def _cfg(*overrides):
    cfg = load_config(classify.Config, "classify", ["tiny"], ["model.backbone=beats", *overrides])
    from soundry.config import merge
    return merge(cfg, {"task": {"labels": ["a", "b", "c"]}})


def test_linear_mode_trains_the_head_only(tiny_ckpt):
    parts = classify.build(_cfg("model.mode=linear", f"model.checkpoint={tiny_ckpt}"), None)
    assert not any(p.requires_grad for p in parts.modules["backbone"].parameters())
    assert set(parts.optimizers) == {"head"}
    params = {id(p) for g in parts.optimizers["head"].param_groups for p in g["params"]}
    assert params == {id(p) for p in parts.modules["head"].parameters()}


def test_finetune_groups_decay_by_layer(tiny_ckpt):
    parts = classify.build(_cfg("model.mode=finetune", f"model.checkpoint={tiny_ckpt}",
                                "model.layer_decay=0.5", "train.lr=1.0"), None)
    groups = parts.optimizers["model"].param_groups
    lrs = sorted({g["lr"] for g in groups})
    assert lrs == [0.125, 0.25, 0.5, 1.0]  # embedding, layer 1, layer 2 (2 layers), head
    n_opt = sum(p.numel() for g in groups for p in g["params"])
    n_all = sum(p.numel() for m in parts.modules.values() for p in m.parameters())
    assert n_opt == n_all
    assert all(g["weight_decay"] == 0.0 for g in groups if g["params"][0].ndim < 2)


def test_modes_change_what_they_say(tiny_corpus, tiny_ckpt, tmp_path):
    base = ["model.backbone=beats", f"model.checkpoint={tiny_ckpt}", "train.steps=2",
            "train.eval_every=0", "train.monitor=", "model.dropout=0.0"]
    ref = torch.load(tiny_ckpt, weights_only=True)["model"]
    key = "encoder.layers.0.fc1.weight"
    for mode, changes in (("linear", False), ("finetune", True)):
        run = tmp_path / mode
        api.train("classify", tiny_corpus, run, config=["tiny"], overrides=base + [f"model.mode={mode}"],
                  progress=False)
        saved = load_file(str(run / "checkpoints" / "step-00000002" / "model-backbone.safetensors"))
        assert torch.equal(saved["beats." + key], ref[key]) is not changes, mode


def test_layout_errors_name_the_bad_keys(tmp_path, tiny_ckpt):
    ckpt = torch.load(tiny_ckpt, weights_only=True)
    ckpt["model"].pop("encoder.layers.1.fc2.bias")
    ckpt["model"]["encoder.extra.weight"] = torch.zeros(1)
    bad = tmp_path / "bad.pt"
    torch.save(ckpt, bad)
    from soundry.recipes.classify.backbones import load_pretrained, make_backbone
    cfg = _cfg("model.mode=linear", f"model.checkpoint={bad}")
    backbone = make_backbone(cfg.model, 16000, resolve_arch(cfg.model))
    with pytest.raises(CheckpointError, match=r"encoder\.layers\.1\.fc2\.bias.*encoder\.extra\.weight"):
        load_pretrained(backbone, cfg.model)


def test_registry_name_resolves_through_the_cache(tmp_path, tiny_ckpt):
    cache = tmp_path / "cache"
    cfg = _cfg("model.mode=linear", "model.checkpoint=beats-iter3", f"model.checkpoint_cache={cache}")
    with pytest.raises(CheckpointError, match="offline"):
        resolve_arch(cfg.model)
    target = checkpoint_path("beats-iter3", cache)
    target.parent.mkdir(parents=True)
    target.write_bytes(tiny_ckpt.read_bytes())
    assert resolve_arch(cfg.model)["encoder_embed_dim"] == 64
    # the lock file now pins those bytes: a changed file is refused, never silently used
    target.write_bytes(tiny_ckpt.read_bytes() + b"x")
    with pytest.raises(CheckpointError):
        resolve_arch(cfg.model)
    with pytest.raises(ConfigError, match="needs model.checkpoint"):
        resolve_arch(_cfg("model.mode=linear").model)


def test_beats_export_matches_onnx_and_reembeds(tiny_corpus, tiny_ckpt, tmp_path):
    run = tmp_path / "run"
    api.train("classify", tiny_corpus, run, config=["tiny"],
              overrides=["model.backbone=beats", "model.mode=linear", f"model.checkpoint={tiny_ckpt}",
                         "train.steps=2", "model.pooling=max"], progress=False)
    assert (run / "metrics.json").is_file() and (run / "confusion.png").is_file()
    bundle = api.export(run)
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["backbone"] == "beats" and meta["mode"] == "linear" and meta["pooling"] == "max"
    assert meta["onnx_max_abs_diff"] < 1e-4
    wav = sorted(tiny_corpus.glob("*/*.wav"))[0]
    pred = api.predict(bundle, [wav])[0]
    assert abs(sum(pred.probs) - 1) < 1e-5
    emb = api.embed(bundle, [wav], progress=False)
    assert emb.stack().shape == (1, meta["embedding_dim"])
