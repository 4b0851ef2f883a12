"""find_speech (silence slicer) and split_spans / partition_spans."""

from __future__ import annotations

import numpy as np
import pytest

from soundry.audio import find_speech, partition_spans, split_spans
from soundry.testing import silence, tone_bursts

SR = 16000
TOL = int(0.05 * SR)   # frame quantisation of a 15 ms hop / 60 ms frame


def _s(seconds: float) -> int:
    return int(round(seconds * SR))


def test_two_bursts_separated_by_long_silence():
    x = tone_bursts([(0.5, 2.5), (3.5, 5.5)], 6.0, SR, noise_db=-70)
    spans = find_speech(x, SR)
    assert len(spans) == 2
    # 0.5 s of silence kept each side, but only half of the 1 s gap between the bursts.
    for (a, b), (ea, eb) in zip(spans, [(0.0, 3.0), (3.0, 6.0)]):
        assert abs(a - _s(ea)) <= TOL and abs(b - _s(eb)) <= TOL
    assert spans[0][1] <= spans[1][0]


def test_kept_silence_is_limited():
    x = tone_bursts([(2.0, 4.0)], 7.0, SR)
    (a, b), = find_speech(x, SR, max_silence_kept=0.2)
    assert abs(a - _s(1.8)) <= TOL and abs(b - _s(4.2)) <= TOL


def test_short_pause_does_not_cut():
    x = tone_bursts([(0.5, 1.6), (1.8, 3.0)], 4.0, SR)
    spans = find_speech(x, SR, min_interval=0.4)
    assert len(spans) == 1
    # With short cuts allowed, the first piece (1.1 s + 0.5 s of kept lead-in) is a span of
    # its own unless min_length asks for more.
    assert len(find_speech(x, SR, min_interval=0.1, min_length=1.5)) == 2
    assert len(find_speech(x, SR, min_interval=0.1, min_length=2.0)) == 1


def test_short_spans_are_joined_to_neighbours():
    x = tone_bursts([(0.5, 0.8), (2.0, 4.0), (5.5, 5.7)], 7.0, SR)
    spans = find_speech(x, SR, min_length=1.5)
    assert len(spans) == 1
    a, b = spans[0]
    assert abs(a - _s(0.0)) <= TOL and abs(b - _s(6.2)) <= TOL


def test_threshold_decides_what_is_silence():
    x = tone_bursts([(1.0, 3.0)], 4.0, SR, amplitude=0.003)    # about -53 dBFS
    assert find_speech(x, SR, threshold_db=-42) == []
    assert len(find_speech(x, SR, threshold_db=-60)) == 1


def test_silent_empty_nan_and_all_loud():
    assert find_speech(silence(2.0, SR), SR) == []
    assert find_speech(np.zeros(0, np.float32), SR) == []
    x = tone_bursts([(0.0, 2.0)], 2.0, SR)
    x[: SR] = np.nan
    spans = find_speech(x, SR)
    assert len(spans) == 1 and spans[0][0] >= SR - TOL - _s(0.5)
    loud = tone_bursts([(0.0, 3.0)], 3.0, SR)
    assert find_speech(loud, SR) == [(0, loud.shape[0])]


def test_split_spans_respects_max_length_and_overlap():
    sr = 1000
    spans = [(0, 10_000), (20_000, 22_000), (30_000, 30_200), (40_000, 47_400)]
    segs = split_spans(spans, sr, max_len=3.7, overlap=0.3, min_len=0.5)
    assert all(e - s <= 3700 for s, e in segs)
    assert (20_000, 22_000) in segs                           # short enough: kept whole
    assert not any(s >= 30_000 and e <= 30_200 for s, e in segs)  # too short: dropped
    for lo, hi in [(0, 10_000), (40_000, 47_400)]:
        inner = sorted((s, e) for s, e in segs if lo <= s < hi)
        assert inner[0][0] == lo and inner[-1][1] == hi     # whole span covered
        assert len(inner) >= 3
        for (s1, e1), (s2, e2) in zip(inner, inner[1:]):
            assert e1 - s2 >= 300 - 1                       # overlap at least as asked
            assert e1 - s1 == 3700


def test_partition_spans_reports_dropped_audio():
    kept, dropped = partition_spans([(0, 300), (1000, 3000), (5000, 5499)], 1000, min_len=0.5)
    assert kept == [(1000, 3000)]
    assert dropped == [(0, 300), (5000, 5499)]
    assert sum(e - s for s, e in dropped) == 799
    with pytest.raises(ValueError):
        split_spans([(0, 10)], 1000, max_len=1.0, overlap=1.0)
