"""SSL-teacher targets for distillation, computed once per segment into the prepared folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from soundry.features import FeatureStore, compute_features, make_header, store_dir_for

_TEACHERS: dict = {}


def _teacher(name: str, layer: int | None):
    from soundry.features import load_ssl_model

    key = (name, layer)
    if key not in _TEACHERS:
        _TEACHERS.clear()       # one teacher in memory at a time
        _TEACHERS[key] = load_ssl_model(name, layer=layer)
    return _TEACHERS[key]


def teacher_store(data, segments: list, name: str, layer: int | None, progress: bool = False) -> FeatureStore:
    """Features of ``name`` (layer ``layer``) on the 10 ms grid for every segment: a store keyed by
    segment id holding ``units (ceil(T / 160), D)`` float16, under ``PREPARED/features/``.

    Computed in this process (the teacher is loaded once); segments already stored are skipped.
    """
    params = {"teacher": str(name), "layer": layer}
    folder = store_dir_for(Path(data.root) / "features", "ssl-teacher", params)

    def fn(seg):
        wave = data.audio(seg, 16000)[0]
        feats = _teacher(name, layer).extract_100hz(wave)
        return {"units": np.asarray(feats, dtype=np.float16)}

    header = make_header("soundry.recipes.vc_content.teacher", params, sample_rate=16000, hop_samples=160)
    compute_features(segments, fn, folder, header, workers=1, progress=progress)
    return FeatureStore(folder)


def teacher_dim(store: FeatureStore) -> int:
    """Feature size ``D`` of a teacher store."""
    return int(store.features["units"]["trailing_shape"][-1])
