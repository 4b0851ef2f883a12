"""Silence slicing and fixed-length segmentation, in sample spans ``(start, end)``.

``find_speech`` follows the idea of RVC's slicer (a dB threshold on frame RMS, cuts only at
long enough silences, short pieces joined, a little silence kept around each cut) but is our
own vectorised implementation. ``split_spans`` then cuts long spans into training segments.
Spans are half-open ``[start, end)`` in samples.
"""

from __future__ import annotations

import math

import numpy as np

from .level import frame_rms_db

Span = tuple[int, int]


def find_speech(audio: np.ndarray, sample_rate: int, threshold_db: float = -42.0,
                min_length: float = 1.5, min_interval: float = 0.4, hop_s: float = 0.015,
                max_silence_kept: float = 0.5) -> list[Span]:
    """Sample spans of ``audio`` (``(T,)``, or ``(C, T)`` measured on all channels) that hold sound.

    - A frame (``4 * hop_s`` long, every ``hop_s`` seconds) is silent when its RMS is below
      ``threshold_db`` dBFS. NaN frames count as silent.
    - Only silences of at least ``min_interval`` s cut; shorter pauses stay inside a span.
      Leading and trailing silence is always trimmed.
    - Each span keeps up to ``max_silence_kept`` s of the silence on either side (at most half
      of a silence shared with a neighbouring span, so spans never overlap).
    - A span shorter than ``min_length`` s is joined to the next one (the silence between them
      included); a short last span is joined to the previous one. A lone short span is kept.

    Returns ``[]`` for audio that is silent throughout.
    """
    arr = np.asarray(audio)
    n = arr.shape[-1]
    if n == 0:
        return []
    hop = max(1, int(round(hop_s * sample_rate)))
    with np.errstate(invalid="ignore"):
        loud = frame_rms_db(arr, 4 * hop, hop) >= threshold_db
    if not loud.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    run_starts, run_ends = edges[0::2], edges[1::2]  # loud frame runs, [start, end)

    min_gap = max(1, int(math.ceil(min_interval * sample_rate / hop)))
    regions: list[list[int]] = []
    for s, e in zip(run_starts.tolist(), run_ends.tolist()):
        if regions and s - regions[-1][1] < min_gap:
            regions[-1][1] = e  # a short pause: stay in the same span
        else:
            regions.append([s, e])

    keep = int(round(max_silence_kept * sample_rate))
    bounds = [(min(s * hop, n), min(e * hop, n)) for s, e in regions]
    spans: list[list[int]] = []
    for i, (s, e) in enumerate(bounds):
        left = s if i == 0 else (s - bounds[i - 1][1]) // 2
        right = n - e if i == len(bounds) - 1 else (bounds[i + 1][0] - e) // 2
        spans.append([s - min(keep, left), e + min(keep, right)])

    min_len = int(round(min_length * sample_rate))
    merged: list[list[int]] = []
    for span in spans:
        if merged and merged[-1][1] - merged[-1][0] < min_len:
            merged[-1][1] = span[1]
        else:
            merged.append(list(span))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < min_len:
        last = merged.pop()
        merged[-1][1] = last[1]
    return [(int(s), int(e)) for s, e in merged]


def partition_spans(spans: list[Span], sample_rate: int, max_len: float = 3.7,
                    overlap: float = 0.3, min_len: float = 0.5) -> tuple[list[Span], list[Span]]:
    """Like :func:`split_spans` but also returns the spans dropped as too short.

    Returns ``(kept, dropped)``; ``sum(e - s for s, e in dropped)`` is the audio lost, in
    samples. Nothing else is lost: kept segments cover every sample of the longer spans.
    """
    if max_len <= 0 or not 0 <= overlap < max_len:
        raise ValueError(f"need max_len > 0 and 0 <= overlap < max_len, got {max_len}, {overlap}")
    seg = int(round(max_len * sample_rate))
    ovl = int(round(overlap * sample_rate))
    shortest = int(round(min_len * sample_rate))
    kept: list[Span] = []
    dropped: list[Span] = []
    for s, e in spans:
        s, e = int(s), int(e)
        length = e - s
        if length < max(shortest, 1):
            dropped.append((s, e))
        elif length <= seg:
            kept.append((s, e))
        else:
            # Equal segments spread evenly: every overlap >= the requested one, no short tail.
            count = int(math.ceil((length - ovl) / (seg - ovl)))
            starts = np.round(np.linspace(s, e - seg, count)).astype(np.int64)
            kept.extend((int(a), int(a) + seg) for a in starts)
    return kept, dropped


def split_spans(spans: list[Span], sample_rate: int, max_len: float = 3.7,
                overlap: float = 0.3, min_len: float = 0.5) -> list[Span]:
    """Cut spans into segments of at most ``max_len`` s overlapping by at least ``overlap`` s.

    Spans up to ``max_len`` are kept whole. Longer spans become ``n`` segments of exactly
    ``max_len`` s spread evenly from the span's start to its end (``n`` the fewest that keeps
    every overlap >= ``overlap``), so no short tail piece is made. Spans shorter than
    ``min_len`` s are dropped; use :func:`partition_spans` to get them for accounting.
    """
    return partition_spans(spans, sample_rate, max_len, overlap, min_len)[0]
