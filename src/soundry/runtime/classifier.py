"""Classify audio with an exported ``classify`` bundle (numpy + onnxruntime)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundry.runtime.bundle import read_meta


@dataclass(frozen=True)
class Prediction:
    """Class probabilities for one input, best first.

    Single-label models give softmax probabilities (summing to 1); multi-label ones give an
    independent sigmoid probability per label, and :meth:`positive` lists those at or above the
    bundle's decision threshold.
    """

    path: str | None
    labels: list[str]
    probs: list[float]
    multi_label: bool = False
    threshold: float = 0.5

    @property
    def label(self) -> str:
        return self.labels[0]

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        return list(zip(self.labels[:k], self.probs[:k]))

    def positive(self, threshold: float | None = None) -> list[tuple[str, float]]:
        """Labels whose probability reaches ``threshold`` (default: the bundle's), best first;
        for single-label models, just the best label."""
        if not self.multi_label:
            return self.top(1)
        t = self.threshold if threshold is None else threshold
        return [(lb, p) for lb, p in zip(self.labels, self.probs) if p >= t]

    def to_dict(self) -> dict:
        """JSON-ready: path and every label with its probability, best first."""
        return {"path": self.path, "labels": [{"label": lb, "prob": p} for lb, p in self.top(len(self.labels))]}


class Classifier:
    """An exported classifier.

    Long inputs are cut into windows of the training crop length (half-window hop); the clip's
    probabilities and embedding are the means over its windows.
    """

    def __init__(self, bundle: str | Path, threads: int | None = None, batch: int = 16):
        import onnxruntime as ort

        self.root = Path(bundle)
        self.meta = read_meta(self.root, recipe="classify")
        self.labels: list[str] = list(self.meta["labels"])
        self.sample_rate = int(self.meta["sample_rate"])
        self.window = int(round(float(self.meta["window_s"]) * self.sample_rate))
        self.multi_label = bool(self.meta.get("multi_label", False))
        self.threshold = float(self.meta.get("threshold", 0.5))
        self.min_samples = int(self.meta.get("min_samples", 1))
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(self.root / self.meta["files"]["onnx"]), opts,
                                            providers=["CPUExecutionProvider"])
        self.batch = batch

    def _windows(self, wave: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = wave.shape[0]
        hop = max(1, self.window // 2)
        starts = [0] if n <= self.window else list(range(0, n - self.window + 1, hop))
        if n > self.window and starts[-1] + self.window < n:
            starts.append(n - self.window)
        width = min(n, self.window)
        # Inputs shorter than the model's minimum (BEATs: one patch) are zero-padded up to it.
        size = max(width, self.min_samples, 1)
        out = np.zeros((len(starts), size), dtype=np.float32)
        for k, s in enumerate(starts):
            out[k, :width] = wave[s:s + width]
        return out, np.full(len(starts), size, dtype=np.int64)

    def run(self, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
        """``audio`` ``(C, T)`` or ``(T,)`` -> ``(probs (K,), embedding (D,))``."""
        from soundry.audio import condition, resample, to_mono

        x = np.asarray(audio, dtype=np.float32)
        x = x[None, :] if x.ndim == 1 else x
        x = to_mono(x)
        if sample_rate != self.sample_rate:
            x = resample(x, sample_rate, self.sample_rate)
        conditioning = self.meta.get("conditioning")
        if conditioning is not None:
            # the same high-pass and loudness normalisation the training segments had
            x = condition(np.nan_to_num(x), self.sample_rate, **conditioning)
        wins, lens = self._windows(np.nan_to_num(x[0]))
        probs, embs = [], []
        for i in range(0, len(wins), self.batch):
            p, e = self.session.run(None, {"wave": wins[i:i + self.batch], "lengths": lens[i:i + self.batch]})
            probs.append(p)
            embs.append(e)
        return np.concatenate(probs).mean(0), np.concatenate(embs).mean(0)

    def predict(self, source: str | Path | np.ndarray, sample_rate: int | None = None) -> Prediction:
        """Probabilities for a file path or an array (``sample_rate`` required for arrays)."""
        from soundry.audio import load_audio

        path = None
        if isinstance(source, (str, Path)):
            path = str(source)
            audio, sample_rate = load_audio(source)
        else:
            if sample_rate is None:
                raise ValueError("sample_rate is required when passing an array")
            audio = source
        probs, _ = self.run(audio, sample_rate)
        order = np.argsort(-probs)
        return Prediction(path, [self.labels[i] for i in order], [float(probs[i]) for i in order],
                          self.multi_label, self.threshold)

    def embed(self, source: str | Path | np.ndarray, sample_rate: int | None = None) -> np.ndarray:
        """The clip embedding ``(D,)`` of a file path or an array."""
        from soundry.audio import load_audio

        if isinstance(source, (str, Path)):
            source, sample_rate = load_audio(source)
        return self.run(source, sample_rate)[1]
