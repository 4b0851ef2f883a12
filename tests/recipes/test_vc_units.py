"""vc recipe pieces: augmentation, presets, voices.toml, errors, distillation from a tiny HuBERT."""

import shutil
import tomllib

import numpy as np
import pytest
import torch

from soundry import api
from soundry.config import load_config, preset_names
from soundry.errors import DataError
from soundry.recipes import get_recipe
from soundry.recipes.vc.bundle import voices_toml
from soundry.recipes.vc_content.augment import AugmentConfig, augment_input, shift_by_resampling, stretch_frames


def test_shift_by_resampling_changes_length_by_the_factor():
    wave = np.sin(2 * np.pi * 200 * np.arange(16000) / 16000).astype(np.float32)
    up = shift_by_resampling(wave, 16000, 12.0)
    assert abs(len(up) - 8000) <= 2
    spec = np.abs(np.fft.rfft(up[1000:7000]))
    assert abs(np.argmax(spec) * 16000 / 6000 - 400) < 5      # one octave up


def test_augment_input_is_seeded_and_finite():
    wave = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    cfg = AugmentConfig(shift_prob=1.0, noise_prob=1.0, eq_prob=1.0, lowpass_prob=1.0)
    np.random.seed(3)
    a, fa = augment_input(wave, 16000, cfg)
    np.random.seed(3)
    b, fb = augment_input(wave, 16000, cfg)
    assert fa == fb and np.array_equal(a, b) and np.all(np.isfinite(a))
    assert abs(len(a) * fa - len(wave)) < 2


def test_stretch_frames_keeps_ends():
    x = torch.arange(10, dtype=torch.float32)[:, None].repeat(1, 3)
    y = stretch_frames(x, 19)
    assert y.shape == (19, 3) and y[0, 0] == 0 and y[-1, 0] == 9 and torch.allclose(y[2], torch.full((3,), 1.0))


@pytest.mark.parametrize("recipe", ["vc", "vc-content"])
def test_every_preset_loads(recipe):
    module = get_recipe(recipe)
    assert set(preset_names(recipe)) >= {"tiny", "demo", "small"}
    for name in preset_names(recipe):
        cfg = load_config(module.Config, recipe, [name])
        cfg.train.validate()


def test_voices_toml_is_valid_toml():
    cfg = load_config(get_recipe("vc").Config, "vc", [{"task": {"voices": ['cl"ara', "bruno"],
                                                              "average_pitch": [57.25, 45.0]}}])
    parsed = tomllib.loads(voices_toml(cfg, {"bruno": "portraits/bruno.png"}))
    assert parsed["model"]["name"] == "soundry-vc"
    assert parsed["voice"]["0"] == {"name": 'cl"ara', "description": "", "average_pitch": 57.25}
    assert parsed["voice"]["1"]["portrait"]["path"] == "portraits/bruno.png"


def test_vc_without_transcripts_or_content_says_what_to_do(tiny_corpus, tmp_path):
    data = tmp_path / "data"
    for wav in sorted(tiny_corpus.glob("*/*.wav")):
        (data / wav.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(wav, data / wav.parent.name / wav.name)
    with pytest.raises(DataError, match="vc-content"):
        api.train("vc", data, tmp_path / "run", config=["tiny"], progress=False)


def test_content_distillation_from_a_tiny_hubert(tiny_corpus, tmp_path):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    teacher = tmp_path / "tiny-hubert"
    transformers.HubertModel(transformers.HubertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(8, 8), conv_stride=(5, 64), conv_kernel=(10, 80), conv_bias=False,
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)).save_pretrained(teacher)
    run = tmp_path / "run"
    result = api.train("vc-content", tiny_corpus, run, config=["tiny"], progress=False,
                       overrides=["train.steps=2", "train.eval_every=2", f"content.teacher={teacher}",
                                  "content.ctc_weight=0"])
    assert np.isfinite(result.metrics["distill"]) and "ctc" not in result.metrics
    assert 0 <= result.metrics["val/distill"] <= 2
    bundle = api.export(run)
    assert not (bundle / "vocab.json").exists() and (bundle / "content.safetensors").is_file()
