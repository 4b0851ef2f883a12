"""make_demo_corpus: layout, transcripts, determinism, engines."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from soundry.errors import MissingDependencyError
from soundry.testing import SENTENCES, demo_speakers, make_demo_corpus
from soundry.testing import corpus as corpus_module


def _small(out, **kw):
    args = dict(speakers=2, sentences=3, sample_rate=16000, engine="numpy", progress=False)
    args.update(kw)
    return make_demo_corpus(out, **args)


def test_layout_transcripts_and_format(tmp_path):
    info = _small(tmp_path / "c")
    root = tmp_path / "c"
    assert info.engine == "numpy" and info.speakers == ("arthur", "bruno")
    assert sorted(p.name for p in root.iterdir()) == ["README.txt", "arthur", "bruno"]
    assert info.utterances == 6 and all(p.is_file() for p in info.files)
    for speaker in info.speakers:
        names = sorted(p.name for p in (root / speaker).iterdir())
        assert names == sorted([f"{speaker}_{n:03d}.{ext}" for n in (1, 2, 3)
                                for ext in ("wav", "txt")])
        texts = [(root / speaker / f"{speaker}_{n:03d}.txt").read_text().strip()
                 for n in (1, 2, 3)]
        assert all(t in SENTENCES for t in texts) and len(set(texts)) == 3
    for path in info.files:
        meta = sf.info(str(path))
        assert (meta.samplerate, meta.channels, meta.subtype) == (16000, 1, "PCM_16")
        assert 1.5 <= meta.duration <= 4.0
    assert info.total_seconds == pytest.approx(
        sum(sf.info(str(p)).duration for p in info.files), abs=1e-3)


def _same_samples(a, b) -> bool:
    # Identical up to one 16-bit step: numpy's SIMD sin may round the last bit differently
    # depending on memory alignment, which can flip a sample's rounding.
    xa, ra = sf.read(str(a), dtype="int16")
    xb, rb = sf.read(str(b), dtype="int16")
    return ra == rb and xa.shape == xb.shape and int(np.max(np.abs(xa.astype(int) - xb), initial=0)) <= 1


def test_same_seed_gives_identical_files(tmp_path):
    a = _small(tmp_path / "a", seed=7)
    b = _small(tmp_path / "b", seed=7)
    c = _small(tmp_path / "c", seed=8)
    for fa, fb in zip(a.files, b.files):
        assert fa.read_bytes() == fb.read_bytes() or _same_samples(fa, fb)
        assert fa.with_suffix(".txt").read_text() == fb.with_suffix(".txt").read_text()
    assert any(fa.read_bytes() != fc.read_bytes() for fa, fc in zip(a.files, c.files))


def test_each_speaker_gets_distinct_sentences():
    import numpy as np

    picked = corpus_module._pick_sentences(30, np.random.default_rng([0, 1]))
    assert len(set(picked)) == 30
    assert len(corpus_module._pick_sentences(100, np.random.default_rng(0))) == 100


def test_speaker_count_and_specs():
    specs = demo_speakers(7)
    assert len({s.name for s in specs}) == 7
    assert [s.name for s in specs[:4]] == ["arthur", "bruno", "clara", "diana"]
    assert all(60 < s.f0_hz < 300 for s in specs)
    with pytest.raises(ValueError):
        demo_speakers(0)


def test_missing_espeak(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="espeak-ng"):
        _small(tmp_path / "e", engine="espeak")
    assert not (tmp_path / "e").exists()
    assert _small(tmp_path / "auto", engine="auto", speakers=1, sentences=1).engine == "numpy"
    with pytest.raises(ValueError, match="engine"):
        _small(tmp_path / "x", engine="festival")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_engine(tmp_path):
    info = make_demo_corpus(tmp_path / "es", speakers=2, sentences=1, sample_rate=16000,
                            engine="espeak", progress=False)
    assert info.engine == "espeak" and info.utterances == 2
    for path in info.files:
        meta = sf.info(str(path))
        assert meta.samplerate == 16000 and 0.5 < meta.duration < 6.0
