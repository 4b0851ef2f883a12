"""BEATs model: official sizes, patch layout, batch invariance, attention paths, heads."""

import pytest
import torch

from soundry.errors import ConfigError, DataError
from soundry.models.beats import BEATs, BEATsConfig, beats_preset, pool
from soundry.models.beats.attention import relative_position_buckets


def _tiny(**overrides) -> BEATs:
    torch.manual_seed(0)
    model = BEATs(**beats_preset("tiny", **overrides).model_kwargs()).eval()
    with torch.no_grad():  # move the gates and tables off their neutral init so they matter
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def test_base_preset_matches_the_released_checkpoints():
    with torch.device("meta"):
        model = BEATs(**beats_preset("base").model_kwargs())
        tuned = BEATs(**beats_preset("base", finetuned_model=True).model_kwargs())
    state = model.state_dict()
    assert len(state) == 250
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == 90.3
    assert len(tuned.state_dict()) == 252 and tuned.state_dict()["predictor.weight"].shape == (527, 768)
    shapes = {
        "patch_embedding.weight": (512, 1, 16, 16),
        "encoder.pos_conv.0.weight_g": (1, 1, 128),
        "encoder.pos_conv.0.weight_v": (768, 48, 128),
        "encoder.layers.11.self_attn.grep_linear.weight": (8, 64),
        "encoder.layers.11.self_attn.grep_a": (1, 12, 1, 1),
        "encoder.layers.7.self_attn.relative_attention_bias.weight": (320, 12),
        "encoder.layers.0.fc1.weight": (3072, 768),
    }
    for key, shape in shapes.items():
        assert tuple(state[key].shape) == shape, key
    assert "patch_embedding.bias" not in state


def test_relative_bias_table_is_one_parameter_under_every_layer():
    model = _tiny()
    tables = {id(layer.self_attn.relative_attention_bias.weight) for layer in model.encoder.layers}
    assert len(tables) == 1
    keys = [k for k in model.state_dict() if k.endswith("relative_attention_bias.weight")]
    assert len(keys) == len(model.encoder.layers)


def test_ten_seconds_gives_496_tokens_and_lengths_make_the_mask():
    model = _tiny()
    with torch.no_grad():
        feats, mask = model.extract_features(torch.randn(2, 160000) * 0.1, torch.tensor([160000, 48000]))
    assert feats.shape == (2, 496, 64) and mask.shape == (2, 496)
    # 48000 samples -> 298 frames -> 18 whole patches in time -> 144 valid tokens
    assert (~mask).sum(1).tolist() == [496, 144]
    assert torch.isfinite(feats).all()


def test_clip_embedding_does_not_depend_on_batch_mates():
    model = _tiny()
    torch.manual_seed(1)
    short, long = torch.randn(21000) * 0.1, torch.randn(40000) * 0.1
    batch = torch.zeros(2, 40000)
    batch[0, :21000], batch[1] = short, long
    with torch.no_grad():
        alone, alone_mask = model.extract_features(short.unsqueeze(0))
        mixed, mixed_mask = model.extract_features(batch, torch.tensor([21000, 40000]))
    n = alone.shape[1]
    assert (~mixed_mask[0]).sum() == n and not alone_mask.any()
    assert torch.allclose(mixed[0, :n], alone[0], atol=1e-5)
    assert torch.allclose(pool(mixed, mixed_mask)[0], pool(alone, alone_mask)[0], atol=1e-5)
    # Without the mask the padding would leak in: the check above is not vacuous.
    with torch.no_grad():
        unmasked, _ = model.extract_features(batch)
    assert (unmasked[0, :n] - alone[0]).abs().max() > 1e-3


def test_sdpa_equals_naive_attention():
    model = _tiny()
    wave = torch.randn(2, 30000) * 0.1
    lengths = torch.tensor([30000, 17000])
    with torch.no_grad():
        fast, _ = model.extract_features(wave, lengths)
        model.use_sdpa = False
        slow, _ = model.extract_features(wave, lengths)
    assert torch.allclose(fast, slow, atol=1e-5)


def test_intermediate_layer_and_pre_ln_variant():
    model = _tiny()
    wave = torch.randn(1, 20000) * 0.1
    with torch.no_grad():
        last, _ = model.extract_features(wave)
        first, _ = model.extract_features(wave, layer=0)
        minus_one, _ = model.extract_features(wave, layer=-1)
    assert torch.equal(last, minus_one) and not torch.allclose(first, last)
    with pytest.raises(ValueError):
        model.extract_features(wave, layer=5)
    pre_ln = _tiny(deep_norm=False, layer_norm_first=True)
    with torch.no_grad():
        out, _ = pre_ln.extract_features(wave)
    assert torch.isfinite(out).all()
    with pytest.raises(ValueError, match="deep_norm"):
        BEATs(**beats_preset("tiny", layer_norm_first=True).model_kwargs())


def test_too_short_clip_is_a_clear_error():
    model = _tiny()
    with pytest.raises(DataError, match="2800 samples"):
        model.extract_features(torch.zeros(2, 5000), torch.tensor([5000, 2000]))


def test_predictor_head_gives_probabilities_ignoring_padding():
    model = _tiny(finetuned_model=True, predictor_class=5)
    wave = torch.zeros(2, 30000)
    wave[0] = torch.randn(30000) * 0.1
    wave[1, :20000] = wave[0, :20000]
    with torch.no_grad():
        probs = model.predict(wave, torch.tensor([30000, 20000]))
        alone = model.predict(wave[1:, :20000])
    assert probs.shape == (2, 5) and ((probs > 0) & (probs < 1)).all()
    assert torch.allclose(probs[1], alone[0], atol=1e-5)
    with pytest.raises(ValueError, match="predictor"):
        _tiny().predict(wave)


def test_training_step_reaches_every_parameter():
    model = _tiny().train()
    feats, mask = model.extract_features(torch.randn(2, 12000) * 0.1, torch.tensor([12000, 9000]))
    pool(feats, mask).pow(2).sum().backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert no_grad == []


def test_relative_position_buckets():
    b = relative_position_buckets(300, 300, num_buckets=320, max_distance=800)
    assert b[0, 0] == 0 and b.max() < 320 and b.min() >= 0
    assert b[10, 11] == 160 + 1 and b[11, 10] == 1           # after vs before the query
    row = b[0, :]                                            # keys after query 0: distances 0..299
    assert torch.all(row[1:].diff() >= 0) and row[79] == 160 + 79 and row[80] >= 160 + 80
    far = relative_position_buckets(1, 5000, 320, 800)[0]
    assert far[-1] == 319                                    # beyond max_distance: last bucket


def test_config_round_trip_and_type_errors():
    cfg = beats_preset("base")
    assert cfg.input_patch_size == 16 and cfg.deep_norm and cfg.gru_rel_pos and cfg.max_distance == 800
    official = dict(cfg.to_official(), some_new_key=3)
    again = BEATsConfig.from_official(official)
    assert again.unknown == {"some_new_key": 3} and again.to_official() == official
    with pytest.raises(ConfigError, match="some_new_key"):
        BEATsConfig.from_official(official, strict=True)
    with pytest.raises(ConfigError, match="encoder_layers"):
        BEATsConfig.from_official({"encoder_layers": "twelve"})
    with pytest.raises(ConfigError, match="huge"):
        beats_preset("huge")
