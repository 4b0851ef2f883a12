"""SSL teacher features: tiny random HuBERT / WavLM saved in the Hugging Face layout, no network."""

import json

import numpy as np
import pytest

from soundry.errors import CheckpointError, ConfigError
from soundry.features.ssl import SSLFeatures, load_ssl_model, offline_requested

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            conv_dim=(8, 8), conv_stride=(5, 64), conv_kernel=(10, 80), conv_bias=False,
            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("SOUNDRY_OFFLINE", "1")


def _save_tiny(path, kind="hubert", **overrides):
    torch.manual_seed(0)
    if kind == "hubert":
        model = transformers.HubertModel(transformers.HubertConfig(**{**TINY, **overrides}))
    else:
        model = transformers.WavLMModel(transformers.WavLMConfig(**{**TINY, **overrides}))
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    return _save_tiny(tmp_path_factory.mktemp("hubert") / "tiny-hubert")


@pytest.fixture(scope="module")
def wavlm_dir(tmp_path_factory):
    return _save_tiny(tmp_path_factory.mktemp("wavlm") / "tiny-wavlm", "wavlm",
                      feat_extract_norm="layer", do_stable_layer_norm=True)


def _wave(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 0.1


def test_hubert_shapes_frames_and_determinism(hubert_dir):
    assert offline_requested()
    ssl = load_ssl_model(hubert_dir, local_files_only=True)
    assert isinstance(ssl, SSLFeatures)
    # conv (k=10, s=5) then (k=80, s=64): stride 320, receptive field 10 + 79 * 5 = 405
    assert (ssl.hop_samples, ssl.receptive_field, ssl.dim, ssl.num_layers) == (320, 405, 32, 2)
    assert ssl.frame_rate == 50.0
    x = _wave(16000)
    feats = ssl.extract(x)
    assert feats.dtype == np.float32 and feats.shape == (ssl.num_frames(16000), 32)
    assert feats.shape[0] == (16000 - 405) // 320 + 1
    np.testing.assert_array_equal(feats, ssl.extract(x))
    assert not np.allclose(ssl.extract(x, layer=1), feats)
    # a model loaded at one layer drops the layers above it but gives the same features
    np.testing.assert_allclose(load_ssl_model(hubert_dir, layer=1).extract(x),
                               ssl.extract(x, layer=1), atol=1e-5)


def test_extract_100hz_grid_and_alignment(hubert_dir):
    ssl = load_ssl_model(hubert_dir, layer=-1)
    x = _wave(8000 + 37)
    native = ssl.extract(x)
    fine = ssl.extract_100hz(x)
    assert fine.shape == (-(-(8000 + 37) // 160), 32)
    # 10 ms frame i sits at sample 160 i; model frame j is centred on 320 j + 202
    # (receptive field 405), so frame 5 (sample 800) lies at j = 598 / 320 = 1.869 ...
    w = (800 - 202) / 320 - 1
    np.testing.assert_allclose(fine[5], (1 - w) * native[1] + w * native[2], atol=1e-5)
    # ... and frames before the first centre hold the first model frame
    np.testing.assert_allclose(fine[0], native[0], atol=1e-6)
    np.testing.assert_allclose(fine[-1], native[-1], atol=1e-6)


def test_batches_match_single_items_and_zero_padding(hubert_dir, wavlm_dir):
    lengths = [12000, 7000]
    batch = np.zeros((2, 12000), np.float32)
    waves = [_wave(n, seed=i) for i, n in enumerate(lengths)]
    for i, w in enumerate(waves):
        batch[i, :len(w)] = w
    for folder in (hubert_dir, wavlm_dir):
        ssl = load_ssl_model(folder)
        out = ssl.extract_100hz(batch, lengths=lengths)
        assert out.shape == (2, 75, 32)
        for i, w in enumerate(waves):
            single = ssl.extract_100hz(w)
            np.testing.assert_allclose(out[i, :len(single)], single, atol=1e-4)
            assert not out[i, len(single):].any()


def test_wavlm_torch_in_torch_out_and_short_input(wavlm_dir):
    ssl = load_ssl_model(wavlm_dir)
    assert ssl.batch_invariant
    out = ssl.extract(torch.from_numpy(_wave(100)))
    assert isinstance(out, torch.Tensor) and out.shape == (1, 32)
    assert torch.isfinite(out).all()


def test_preprocessor_config_turns_on_normalisation(tmp_path):
    folder = _save_tiny(tmp_path / "m")
    (folder / "preprocessor_config.json").write_text(json.dumps({"do_normalize": True}))
    ssl = load_ssl_model(folder)
    assert ssl.normalize
    x = _wave(8000)
    np.testing.assert_allclose(ssl.extract(x), ssl.extract(3.0 * x + 0.0), atol=1e-4)


def test_contentvec_in_hubert_layout_loads_and_ignores_final_proj(tmp_path):
    from safetensors.torch import load_file, save_file

    folder = _save_tiny(tmp_path / "contentvec")
    weights = load_file(folder / "model.safetensors")
    weights["final_proj.weight"] = torch.zeros(16, 32)
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["HubertModelWithFinalProj"]
    (folder / "config.json").write_text(json.dumps(config))
    x = _wave(6400)
    np.testing.assert_allclose(load_ssl_model(folder).extract(x),
                               load_ssl_model(_save_tiny(tmp_path / "plain")).extract(x), atol=1e-6)


def test_errors_name_the_model_and_the_fix(tmp_path, hubert_dir):
    with pytest.raises(CheckpointError, match="config.json"):
        load_ssl_model(tmp_path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_ssl_model(tmp_path / "missing" / "model")
    with pytest.raises(CheckpointError, match=r"'someone/no-such-model'.*offline.*local-dir"):
        load_ssl_model("someone/no-such-model")
    with pytest.raises(ConfigError, match="out of range"):
        load_ssl_model(hubert_dir, layer=5)
    with pytest.raises(ConfigError, match="loaded with layer=1"):
        load_ssl_model(hubert_dir, layer=1).extract(_wave(4000), layer=2)
    bert = tmp_path / "bert"
    transformers.BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
                            intermediate_size=8).save_pretrained(bert)
    with pytest.raises(CheckpointError, match="'bert' model"):
        load_ssl_model(bert)
