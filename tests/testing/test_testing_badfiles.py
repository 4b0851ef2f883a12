"""make_bad_files: every problem case is produced and shows its problem; good files load."""

from __future__ import annotations

import numpy as np
import pytest

from soundry.audio import load_audio
from soundry.errors import AudioError
from soundry.testing import BAD_FILE_KINDS, make_bad_files


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return make_bad_files(tmp_path_factory.mktemp("bad"))


def test_every_case_is_written(bad):
    assert set(bad) == set(BAD_FILE_KINDS)
    assert {"unreadable", "not_audio", "empty", "too_short", "silent", "clipped", "non_finite",
            "extreme_rate", "good"} == set(BAD_FILE_KINDS.values())
    assert all(p.is_file() for p in bad.values())
    assert len({p.parent for p in bad.values()}) == 1
    assert bad["not_audio_pdf"].suffix == ".pdf" and bad["good_flac"].suffix == ".flac"


@pytest.mark.parametrize("name", ["unreadable", "not_audio", "not_audio_pdf", "empty"])
def test_undecodable_cases(bad, name):
    with pytest.raises(AudioError):
        load_audio(bad[name])


def test_decodable_problem_cases(bad):
    x, sr = load_audio(bad["too_short"])
    assert x.shape[1] / sr == pytest.approx(0.05)
    x, sr = load_audio(bad["silent"])
    assert x.shape[1] / sr == pytest.approx(2.0) and not np.any(x)
    x, _ = load_audio(bad["clipped"])
    assert np.mean(np.abs(x) > 0.999) > 0.3
    x, _ = load_audio(bad["non_finite"])
    assert np.isnan(x).any() and np.isposinf(x).any() and np.isneginf(x).any()
    assert load_audio(bad["extreme_rate_low"])[1] == 2000
    assert load_audio(bad["extreme_rate_high"])[1] == 384000


def test_good_files_load_and_are_healthy(bad):
    for name in [k for k, kind in BAD_FILE_KINDS.items() if kind == "good"]:
        x, sr = load_audio(bad[name])
        assert 8000 <= sr <= 48000 and x.shape[1] / sr >= 1.0
        assert np.isfinite(x).all() and 0.05 < np.max(np.abs(x)) < 0.99


def _same(a, b) -> bool:
    """Byte-identical, or (audio only) equal to within one LSB: numpy's SIMD sin may round the
    last bit differently depending on memory alignment."""
    if a.read_bytes() == b.read_bytes():
        return True
    import soundfile as sf

    xa, ra = sf.read(str(a), dtype="float64")
    xb, rb = sf.read(str(b), dtype="float64")
    finite = np.isfinite(xa)
    return (ra == rb and xa.shape == xb.shape and np.array_equal(finite, np.isfinite(xb))
            and np.allclose(xa[finite], xb[finite], atol=1e-6, rtol=1e-6)
            and np.array_equal(xa[~finite], xb[~finite], equal_nan=True))


def test_deterministic(bad, tmp_path):
    again = make_bad_files(tmp_path)
    for name, path in bad.items():
        assert _same(again[name], path), name
