"""Official-layout BEATs checkpoints: strict loading, key errors, legacy weight norm, round trips."""

import pytest
import torch

from soundry.errors import CheckpointError
from soundry.models.beats import (BEATs, beats_preset, load_beats_checkpoint,
                                  save_beats_checkpoint)


def _official_tiny(finetuned: bool = False) -> dict:
    """A tiny checkpoint written the way the official code saves one (plain dicts, legacy keys)."""
    torch.manual_seed(0)
    cfg = beats_preset("tiny", finetuned_model=finetuned, predictor_class=3).to_official()
    model = BEATs(**cfg)
    state = {k: v.clone() + 0.01 * torch.randn_like(v) for k, v in model.state_dict().items()}
    table = state["encoder.layers.0.self_attn.relative_attention_bias.weight"]
    for i in range(cfg["encoder_layers"]):  # one shared table, saved under every layer
        state[f"encoder.layers.{i}.self_attn.relative_attention_bias.weight"] = table
    ckpt = {"cfg": cfg, "model": state}
    if finetuned:
        ckpt["label_dict"] = {0: "Speech", 1: "Music", 2: "Dog"}
    return ckpt


def test_official_layout_loads_strictly_and_reproduces_outputs(tmp_path):
    ckpt = _official_tiny(finetuned=True)
    assert {"encoder.pos_conv.0.weight_g", "encoder.pos_conv.0.weight_v"} <= set(ckpt["model"])
    path = tmp_path / "official.pt"
    torch.save(ckpt, path)
    model, cfg, labels = load_beats_checkpoint(path)
    assert labels == {0: "Speech", 1: "Music", 2: "Dog"} and cfg.finetuned_model
    assert not model.training
    for key, value in ckpt["model"].items():
        assert torch.equal(model.state_dict()[key], value), key
    # The conv weight is recomputed from the legacy g / v pair: g * v / ||v|| over dims (0, 1).
    g, v = ckpt["model"]["encoder.pos_conv.0.weight_g"], ckpt["model"]["encoder.pos_conv.0.weight_v"]
    conv = model.encoder.pos_conv[0]
    assert torch.allclose(conv.weight, g * v / v.norm(dim=(0, 1), keepdim=True))

    out = tmp_path / "resaved.pt"
    save_beats_checkpoint(model, out, label_dict=labels)
    again, _, labels2 = load_beats_checkpoint(out)
    resaved = torch.load(out, weights_only=True)
    assert set(resaved) == {"cfg", "model", "label_dict"} and resaved["cfg"] == ckpt["cfg"]
    assert set(resaved["model"]) == set(ckpt["model"]) and labels2 == labels
    wave = torch.randn(2, 12000) * 0.1
    with torch.no_grad():
        assert torch.equal(model.predict(wave), again.predict(wave))
        assert torch.equal(model.extract_features(wave)[0], again.extract_features(wave)[0])


def test_missing_and_extra_keys_are_named(tmp_path):
    ckpt = _official_tiny()
    del ckpt["model"]["encoder.layers.1.fc2.bias"]
    ckpt["model"]["encoder.layers.1.fc3.weight"] = torch.zeros(2)
    with pytest.raises(CheckpointError) as err:
        load_beats_checkpoint(ckpt)
    message = str(err.value)
    assert "missing keys 1: encoder.layers.1.fc2.bias" in message
    assert "unexpected keys 1: encoder.layers.1.fc3.weight" in message
    with pytest.warns(UserWarning, match="fc3"):
        model, _, _ = load_beats_checkpoint(ckpt, strict=False)
    assert torch.equal(model.encoder.layers[0].fc1.weight, ckpt["model"]["encoder.layers.0.fc1.weight"])


def test_long_key_lists_are_cut_with_a_count_and_shapes_are_checked():
    ckpt = _official_tiny()
    ckpt["model"] = {k: v for k, v in ckpt["model"].items() if not k.startswith("encoder.layers.1.")}
    with pytest.raises(CheckpointError, match=r"missing keys 20: .*\(and 10 more\)"):
        load_beats_checkpoint(ckpt)
    ckpt = _official_tiny()
    ckpt["model"]["layer_norm.weight"] = torch.ones(7)
    with pytest.raises(CheckpointError, match=r"layer_norm.weight \(7,\) != \(32,\)"):
        load_beats_checkpoint(ckpt)


def test_wrong_files_give_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_beats_checkpoint(tmp_path / "nope.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="official layout"):
        load_beats_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_beats_checkpoint(tmp_path / "junk.pt")
    bad = _official_tiny()
    bad["cfg"]["activation_fn"] = "glu"
    with pytest.raises(CheckpointError, match="activation_fn"):
        load_beats_checkpoint(bad)


def test_unknown_cfg_keys_are_reported_and_kept(tmp_path):
    ckpt = _official_tiny()
    ckpt["cfg"]["use_flash_attn"] = False
    with pytest.warns(UserWarning, match="use_flash_attn"):
        model, cfg, _ = load_beats_checkpoint(ckpt)
    assert cfg.unknown == {"use_flash_attn": False}
    save_beats_checkpoint(model, tmp_path / "kept.pt")
    assert torch.load(tmp_path / "kept.pt", weights_only=True)["cfg"]["use_flash_attn"] is False
