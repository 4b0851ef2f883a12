"""DataConfig defaults, overlays and the preprocessing cache key."""

import pytest

from soundry.config import from_dict, to_dict
from soundry.data import DataConfig, Readiness
from soundry.data.preprocess import params_key
from soundry.errors import ConfigError


def test_defaults_follow_the_documented_pipeline():
    cfg = DataConfig()
    assert cfg.sample_rates == [16000] and cfg.highpass_hz == 48.0 and cfg.loudness_lufs == -23.0
    assert (cfg.silence_db, cfg.max_segment_s, cfg.overlap_s) == (-42.0, 3.7, 0.3)
    assert cfg.readiness == Readiness() and cfg.worker_count() >= 1


def test_overlay_from_yaml_like_mapping():
    cfg = from_dict(DataConfig, {"sample_rates": [16000, 48000], "loudness_lufs": None,
                                 "vad": "silero", "readiness": {"min_minutes": 10}})
    assert cfg.sample_rates == [16000, 48000] and cfg.loudness_lufs is None
    assert cfg.readiness.min_minutes == 10.0 and to_dict(cfg)["readiness"]["min_files"] == 1
    with pytest.raises(ConfigError, match="vad"):
        from_dict(DataConfig, {"vad": "webrtc"})


def test_cache_key_ignores_parameters_that_do_not_change_audio():
    base = params_key(DataConfig())
    for change in ({"min_file_s": 1.0}, {"clip_fraction_warn": 0.5}, {"workers": 3},
                   {"sample_rates": [22050]}, {"readiness": {"min_files": 9}}, {"val_fraction": 0.3}):
        assert params_key(from_dict(DataConfig, change)) == base, change
    for change in ({"silence_db": -50.0}, {"highpass_hz": 0.0}, {"max_segment_s": 5.0},
                   {"loudness_lufs": None}, {"slice": False}):
        assert params_key(from_dict(DataConfig, change)) != base, change
    # Slicing parameters do not matter when files are kept whole.
    whole = params_key(DataConfig(slice=False))
    assert params_key(DataConfig(slice=False, silence_db=-60.0)) == whole
