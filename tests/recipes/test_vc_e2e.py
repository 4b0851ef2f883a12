"""vc-content then vc end to end on the tiny presets: train, resume, export, stream the ONNX."""

import json
import tomllib

import numpy as np
import pytest

from soundry import api
from soundry.export.vc import ort_session, run_streaming

FAST = ["train.steps=2", "train.eval_every=2", "train.checkpoint_every=2", "eval.metrics=false"]


@pytest.fixture(scope="module")
def content_bundle(tiny_corpus, tmp_path_factory):
    run = tmp_path_factory.mktemp("vc-content") / "run"
    result = api.train("vc-content", tiny_corpus, run, config=["tiny"],
                       overrides=["train.steps=2", "train.eval_every=2"], progress=False)
    assert result.steps == 2 and np.isfinite(result.metrics["loss"])
    return api.export(run)


def test_content_export_files(content_bundle):
    assert {p.name for p in content_bundle.iterdir()} == {
        "content.safetensors", "content.json", "vocab.json", "config.yaml", "meta.json"}
    meta = json.loads((content_bundle / "meta.json").read_text())
    assert meta["recipe"] == "vc-content" and meta["trained_with"] == ["ctc"] and meta["n_units"] > 2
    info = json.loads((content_bundle / "content.json").read_text())
    assert info["kwargs"]["n_units"] == meta["n_units"]


def test_vc_train_resume_export_stream(tiny_corpus, content_bundle, tmp_path):
    run = tmp_path / "run"
    first = api.train("vc", tiny_corpus, run, config=["tiny"],
                      overrides=FAST + [f"content.checkpoint={content_bundle}"], progress=False)
    assert first.steps == 2
    again = api.train("vc", None, run, overrides=["train.steps=4"], resume=True, progress=False)
    assert again.steps == 4
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    steps = [e["step"] for e in events if e["stage"] == "train" and "mel" in e]
    assert steps == [1, 2, 3, 4]
    assert any("disc" in e for e in events if e["stage"] == "train")       # the GAN switched on

    bundle = api.export(run)
    assert {p.name for p in bundle.iterdir()} == {"model.onnx", "meta.json", "voices.toml",
                                                  "generator.safetensors", "config.yaml"}
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["recipe"] == "vc" and meta["format"] == "soundry.vc" and meta["format_version"] == 1
    assert (meta["in_rate"], meta["out_rate"], meta["in_hop"], meta["out_hop"]) == (16000, 24000, 160, 240)
    assert meta["n_speakers"] == 2 and len(meta["state_shapes"]) == len(meta["inputs"]) - 5
    assert meta["onnx_max_abs_diff"] < 1e-3
    # the training data's high-pass, as biquads a host can run without a filter designer
    assert meta["input_filter"]["highpass_hz"] == 48.0 and len(meta["input_filter"]["sos"]) == 3
    voices = tomllib.loads((bundle / "voices.toml").read_text())
    assert [voices["voice"][str(i)]["name"] for i in range(2)] == ["arthur", "bruno"]
    assert all(30 < voices["voice"][str(i)]["average_pitch"] < 80 for i in range(2))

    wave = api_wave(tiny_corpus)
    session = ort_session(bundle / "model.onnx")
    one = run_streaming(session, wave, meta, chunk_frames=1, speaker=1, index_rate=0.7)
    many = run_streaming(session, wave, meta, chunk_frames=7, speaker=1, index_rate=0.7)
    assert one.shape == (len(wave) // 160 * 240,) and np.all(np.isfinite(one))
    np.testing.assert_allclose(one, many, atol=1e-4)


def api_wave(corpus) -> np.ndarray:
    from soundry.audio import load_audio

    wave, _ = load_audio(sorted(corpus.glob("*/*.wav"))[0], sample_rate=16000, mono=True)
    return wave[0, :16000]


def test_joint_content_training_and_eval_metrics(tiny_corpus, tmp_path):
    run = tmp_path / "run"
    result = api.train("vc", tiny_corpus, run, config=["tiny"], progress=False,
                       overrides=["train.steps=2", "train.eval_every=2", "data.slice=false"])
    assert "ctc" in result.metrics and np.isfinite(result.metrics["ctc"])
    assert np.isfinite(result.metrics["val/f0_corr"])
    assert "val/spk_sim_gain" in result.metrics and "val/dnsmos_ovrl" in result.metrics
    wavs = sorted((run / "eval" / "step-00000002").glob("*.wav"))
    assert len(wavs) == 2 and {w.stem.rsplit("-to-", 1)[1] for w in wavs} == {"arthur", "bruno"}
