"""Measurements, verdicts and the quality score; the per-file worker never raises."""

import numpy as np
import pytest

from soundry.data import DataConfig
from soundry.data.preprocess import plan_segments, process_file
from soundry.data.validate import classify, looks_like_audio, measure, quality_score
from soundry.testing import noise, sine, synthesize, DEMO_SPEAKERS

SR = 16000


def _speech() -> np.ndarray:
    return synthesize("The quick brown fox jumps over the lazy dog.", DEMO_SPEAKERS[0], SR, seed=0)


def test_quality_orders_clean_noisy_and_pure_noise():
    clean = _speech()
    noisy = clean + noise(clean.size / SR, SR, 0.05)[: clean.size]
    q_clean = measure(clean[None], SR)["quality"]
    q_noisy = measure(noisy[None], SR)["quality"]
    q_noise = measure(noise(2.0, SR, 0.1)[None], SR)["quality"]
    q_tone = measure(sine(220.0, 2.0, SR)[None], SR)["quality"]
    assert q_clean > 0.8
    assert 0.7 < q_tone < 0.8  # steady but clean; narrow band costs the bandwidth term
    assert q_noise < 0.1 < q_noisy < q_clean


def test_quality_score_formula_terms():
    assert quality_score(30.0, 0.0, 0.0, 8000.0) == 1.0
    assert quality_score(6.0, 0.0, 0.0, 8000.0) == 0.0
    assert quality_score(30.0, 0.01, 0.0, 8000.0) == 0.5
    assert quality_score(30.0, 0.0, 0.5, 8000.0) == 0.5
    assert quality_score(30.0, 0.0, 0.0, 0.0) == 0.75


def test_classify_skip_reasons_and_warnings():
    cfg = DataConfig()
    ok = measure(_speech()[None], SR)
    assert classify(ok, cfg) == (None, [])
    bad = sine(220.0, 1.0, SR).copy()
    bad[10] = np.nan
    assert classify(measure(bad[None], SR), cfg)[0].startswith("non-finite samples")
    assert classify(measure(np.zeros((1, 0), np.float32), SR), cfg)[0].startswith("empty")
    assert classify(measure(sine(100.0, 1.0, 4000)[None], 4000), cfg)[0].startswith("extreme rate")
    assert classify(measure(sine(220.0, 0.1, SR)[None], SR), cfg)[0].startswith("too short")
    assert classify(measure(sine(220.0, 1.0, SR, 1e-4)[None], SR), cfg)[0].startswith("silent")
    loud = np.clip(sine(220.0, 1.0, SR, 3.0), -1, 1)[None]
    reason, warnings = classify(measure(loud, SR), cfg)
    assert reason is None and warnings[0].startswith("clipped")
    quiet = (_speech() * 0.003)[None]
    assert any(w.startswith("low level") for w in classify(measure(quiet, SR), cfg)[1])
    hiss = noise(1.0, SR, 0.1)[None]
    assert any(w.startswith("low quality") for w in classify(measure(hiss, SR), cfg)[1])
    # thresholds come from the config
    assert classify(measure(sine(220.0, 0.1, SR)[None], SR), DataConfig(min_file_s=0.05))[0] is None


def test_magic_bytes():
    assert looks_like_audio(b"RIFF\x00\x00\x00\x00WAVE") and looks_like_audio(b"fLaC\x00")
    assert looks_like_audio(b"\x00\x00\x00\x20ftypM4A ") and looks_like_audio(b"ID3\x04")
    assert not looks_like_audio(b"%PDF-1.4") and not looks_like_audio(b"hello world")


def test_plan_accounts_for_every_second():
    x = np.concatenate([sine(220, 2.0, SR), np.zeros(SR, np.float32), sine(330, 0.2, SR),
                        np.zeros(SR, np.float32), sine(440, 5.0, SR)])[None]
    plan = plan_segments(x, SR, DataConfig(min_length_s=0.1, max_silence_kept_s=0.1))
    total = x.shape[1] / SR
    assert plan["kept_s"] + plan["dropped_silence_s"] + plan["dropped_short_s"] == pytest.approx(total)
    assert 0.3 < plan["dropped_short_s"] < 0.6  # the 0.2 s blip with its padding
    assert plan["dropped_silence_s"] > 1.0
    assert all((e - s) / SR <= 3.7 + 1e-6 for s, e in plan["spans"])


def test_process_file_turns_any_failure_into_a_skip(tmp_path, monkeypatch, write_tone):
    path = write_tone(tmp_path / "a.wav")
    folder = tmp_path / "folder.wav"
    folder.mkdir()
    assert process_file(0, str(folder), DataConfig(), str(tmp_path / "o")).reason.startswith("not audio")

    def boom(*a, **k):
        raise MemoryError("decoder blew up")

    monkeypatch.setattr("soundry.data.preprocess.load_audio", boom)
    res = process_file(3, str(path), DataConfig(), str(tmp_path / "o"))
    assert (res.index, res.status) == (3, "skipped")
    assert res.reason == "unreadable: MemoryError: decoder blew up"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_silero_vad_segments(tmp_path):
    pytest.importorskip("silero_vad")
    from soundry.data import prepare
    from soundry.audio import save_audio

    x = np.concatenate([np.zeros(SR, np.float32), _speech(), np.zeros(SR, np.float32)])
    save_audio(tmp_path / "data" / "spk" / "a.wav", x, SR)
    res = prepare(tmp_path / "data", tmp_path / "out", DataConfig(workers=1, vad="silero"),
                  progress=False)
    row = res.report["labels"]["spk"]
    assert res.segments >= 1 and row["dropped_silence_seconds"] > 1.0
    assert row["kept_seconds"] + row["dropped_seconds"] == pytest.approx(row["seconds"], abs=2e-3)
