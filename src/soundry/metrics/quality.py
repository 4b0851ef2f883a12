"""DNSMOS P.835 (signal, background, overall) and P.808 quality estimates via ``speechmos``.

speechmos ships Microsoft's DNSMOS ONNX models in its wheel; they read 16 kHz mono windows of
9.01 s with a 1 s hop and the scores are averaged over windows. Clips shorter than 9.01 s are
looped (repeated end to end, then cut to exactly 9.01 s), as the reference DNSMOS script does,
so a short clip is scored on exactly one window. Scores are on a 1..5 scale (higher is better).
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

from soundry.errors import MissingDependencyError
from soundry.metrics._audio import mono_at

SAMPLE_RATE = 16000
WINDOW_S = 9.01
_MODELS: dict[bool, object] = {}


def _model(personalized: bool):
    if personalized not in _MODELS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                from speechmos import dnsmos as sm
        except ImportError as exc:
            raise MissingDependencyError(
                f"DNSMOS needs the speechmos package ({exc}): pip install speechmos") from exc
        root = os.path.dirname(os.path.abspath(sm.__file__))
        primary = os.path.join(root, "pdnsmos_models" if personalized else "dnsmos_models",
                               "sig_bak_ovr.onnx")
        _MODELS[personalized] = sm.DNSMOS(primary, os.path.join(root, "dnsmos_models", "model_v8.onnx"))
    return _MODELS[personalized]


def loop_to_window(x: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``(T,)`` -> at least ``int(9.01 * sample_rate)`` samples (144 160 at 16 kHz) by repeating the clip."""
    need = int(WINDOW_S * sample_rate)
    if 0 < len(x) < need:
        x = np.tile(x, -(-need // len(x)))[:need]
    return x


def dnsmos(audio: np.ndarray, sample_rate: int, personalized: bool = False) -> dict[str, float]:
    """DNSMOS of ``(T,)`` or ``(C, T)`` audio at ``sample_rate`` Hz.

    Returns ``{"ovrl", "sig", "bak", "p808"}`` floats on 1..5: overall, speech signal,
    background noise (P.835) and the P.808 overall estimate. Samples are clipped to [-1, 1]
    (the models' input range). ``personalized`` uses the model that also penalises interfering
    talkers. Empty or silent audio gives NaN scores.
    """
    x = mono_at(audio, sample_rate, SAMPLE_RATE, "audio for DNSMOS")
    nan = {"ovrl": math.nan, "sig": math.nan, "bak": math.nan, "p808": math.nan}
    if x.size == 0 or not np.any(x):
        return nan
    x = loop_to_window(np.clip(x, -1.0, 1.0).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _model(personalized)(x, SAMPLE_RATE, personalized)
    return {"ovrl": float(res["ovrl_mos"]), "sig": float(res["sig_mos"]),
            "bak": float(res["bak_mos"]), "p808": float(res["p808_mos"])}
