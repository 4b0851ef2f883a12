"""Per-clip embeddings from a BEATs checkpoint or a classify bundle (torch).

Long files are cut into non-overlapping windows; the valid tokens of all windows are pooled
together, so a file's embedding is what pooling over the whole file would give, and padding
never enters: a clip's embedding does not depend on the other clips in its batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from soundry.errors import ConfigError, DataError, MissingDependencyError
from soundry.models.beats import POOL_MODES, load_beats_checkpoint, pool
from soundry.recipes.classify.backbones import BEATsBackbone, beats_checkpoint_file

BEATS_MIN_SAMPLES = 400 + 160 * 15   # one 16x16 patch of 25 ms / 10 ms frames


@dataclass
class Embeddings:
    """``ids`` (file ids, relative paths), ``paths`` and one embedding per file: ``(D,)`` arrays,
    or ``(tokens, D)`` with pooling ``none``. ``info``: where they came from."""

    ids: list[str]
    paths: list[str]
    vectors: list[np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)

    def stack(self) -> np.ndarray:
        """``(N, D)`` float32 (pooled embeddings only)."""
        if any(v.ndim != 1 for v in self.vectors):
            raise ConfigError("token embeddings (pooling none) have different lengths per file; "
                              "write them to .parquet, or choose a pooling")
        return np.stack(self.vectors).astype(np.float32) if self.vectors else np.zeros((0, 0), np.float32)


def conditioning_of(data_cfg) -> dict:
    """The ``soundry.audio.condition`` arguments matching a recipe's ``data`` section."""
    return {"highpass_hz": data_cfg.highpass_hz, "loudness_lufs": data_cfg.loudness_lufs,
            "peak_db": data_cfg.peak_db}


class Embedder:
    """Embeds waveforms with a backbone. Build it with :meth:`from_source`.

    ``window_s``: window length in seconds for long inputs; ``batch``: windows per forward pass.
    """

    def __init__(self, backbone: torch.nn.Module, sample_rate: int, window_s: float,
                 pooling: str = "mean", layer: int | None = None, batch: int = 8,
                 conditioning: dict | None = None):
        if pooling not in POOL_MODES:
            raise ConfigError(f"unknown pooling '{pooling}' (choose one of {', '.join(POOL_MODES)})")
        self.backbone = backbone.eval()
        self.is_beats = isinstance(backbone, BEATsBackbone)
        if not self.is_beats and (pooling != "mean" or layer is not None):
            raise ConfigError("a CNN bundle pools its own way (mean and max over time): leave "
                              "pooling and layer unset")
        self.sample_rate, self.pooling, self.layer, self.batch = sample_rate, pooling, layer, batch
        # A trained bundle saw conditioned audio (soundry.audio.condition); raw checkpoints did not.
        self.conditioning = conditioning
        self.window = max(int(round(window_s * sample_rate)), BEATS_MIN_SAMPLES if self.is_beats else 1)

    @classmethod
    def from_source(cls, source: str | os.PathLike, pooling: str = "mean", layer: int | None = None,
                    window_s: float | None = None, batch: int = 8, cache_dir: str | None = None,
                    trusted: bool = False) -> Embedder:
        """From a classify bundle folder, a BEATs registry name (fetched on first use) or an
        official BEATs ``.pt`` file (loaded strictly). ``window_s`` defaults to the bundle's
        window, or 10 s for BEATs checkpoints."""
        path = Path(source).expanduser()
        if path.is_dir():
            from soundry.recipes.classify.exporting import load_bundle_model

            cfg, model = load_bundle_model(path)
            return cls(model.backbone, cfg.data.sample_rates[0], window_s or cfg.task.crop_s,
                       pooling, layer, batch, conditioning=conditioning_of(cfg.data))
        beats, _, _ = load_beats_checkpoint(beats_checkpoint_file(str(source), cache_dir or ""),
                                            trusted=trusted)
        return cls(BEATsBackbone(beats, pooling, None), 16000, window_s or 10.0, pooling, layer, batch)

    @property
    def dim(self) -> int:
        return int(self.backbone.dim)

    # ------------------------------------------------------------------ core
    def _forward(self, waves: list[np.ndarray]) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """Pad ``waves`` into one batch; per wave ``(tokens (N, D) valid only, None)`` for BEATs
        or ``(embedding (D,), None)`` for a CNN."""
        lengths = torch.tensor([len(w) for w in waves], dtype=torch.long)
        batch = torch.zeros(len(waves), int(lengths.max()))
        for i, w in enumerate(waves):
            batch[i, :len(w)] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
        with torch.no_grad():
            if not self.is_beats:
                return [(e, None) for e in self.backbone(batch, lengths)]
            feats, mask = self.backbone.features(batch, lengths, layer=self.layer)
            return [(f[~m], None) for f, m in zip(feats, mask)]

    def _windows(self, wave: np.ndarray) -> list[np.ndarray]:
        if self.is_beats and len(wave) < BEATS_MIN_SAMPLES:
            # Too short for one patch: zero-pad to the minimum (the padding then counts as audio).
            wave = np.pad(wave, (0, BEATS_MIN_SAMPLES - len(wave)))
        wins = [wave[s:s + self.window] for s in range(0, len(wave), self.window)]
        if self.is_beats and len(wins) > 1 and len(wins[-1]) < BEATS_MIN_SAMPLES:
            wins = wins[:-1]  # a tail shorter than one patch adds no token
        return wins

    def embed_waves(self, waves: list[np.ndarray]) -> list[np.ndarray]:
        """Embeddings of mono waves ``(T,)`` at ``sample_rate``: ``(D,)`` each (``(N, D)`` with
        pooling ``none``). Waves are batched together; results do not depend on the batching."""
        spans, flat = [], []
        for w in waves:
            wins = self._windows(np.asarray(w, dtype=np.float32))
            spans.append((len(flat), len(flat) + len(wins), [len(x) for x in wins]))
            flat.extend(wins)
        outs = []
        for i in range(0, len(flat), self.batch):
            outs.extend(self._forward(flat[i:i + self.batch]))
        result = []
        for a, b, sizes in spans:
            parts = [o for o, _ in outs[a:b]]
            if not self.is_beats:
                weights = torch.tensor(sizes, dtype=torch.float32)[:, None]
                result.append((torch.stack(parts) * weights).sum(0).div(weights.sum()).numpy())
                continue
            tokens = torch.cat(parts)[None]  # (1, N, D): every window's valid tokens in order
            result.append(pool(tokens, None, self.pooling)[0].numpy())
        return result

    def embed_files(self, files: list[str | os.PathLike], progress: bool = False) -> Embeddings:
        """Embeddings of audio files (resampled to ``sample_rate``, mixed to mono)."""
        from soundry.audio import condition, load_audio
        from soundry.progress import ProgressBar

        paths = [Path(f) for f in files]
        vectors = []
        with ProgressBar("embed", len(paths), unit="files", enabled=progress) as bar:
            for p in paths:
                if not p.is_file():
                    raise DataError(f"no such audio file: {p}")
                audio, _ = load_audio(p, sample_rate=self.sample_rate, mono=True)
                if self.conditioning is not None:
                    audio = condition(audio, self.sample_rate, **self.conditioning)
                vectors.extend(self.embed_waves([audio[0]]))
                bar.advance(1)
        info = {"dim": self.dim, "pooling": self.pooling if self.is_beats else "mean+max",
                "layer": self.layer, "sample_rate": self.sample_rate,
                "window_s": self.window / self.sample_rate}
        return Embeddings(file_ids(paths), [str(p) for p in paths], vectors, info)


def file_ids(paths: list[Path]) -> list[str]:
    """Stable ids: each path relative to the files' common folder, POSIX-style."""
    if not paths:
        return []
    absolute = [p.expanduser().absolute() for p in paths]
    root = Path(os.path.commonpath([str(p.parent) for p in absolute]))
    return [p.relative_to(root).as_posix() for p in absolute]


def write_embeddings(emb: Embeddings, out: str | os.PathLike) -> list[Path]:
    """Write ``out.npy`` ``(N, D)`` float32 plus ``out.ids.txt`` (one id per line, same order),
    or ``out.parquet`` with columns ``id``, ``path``, ``embedding`` (list of floats, or of
    token lists with pooling ``none``). Parquet needs the optional ``pyarrow`` package."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".npy":
        ids = out.with_suffix(".ids.txt")
        tmp = out.with_name(out.stem + ".tmp.npy")
        np.save(tmp, emb.stack())
        os.replace(tmp, out)
        ids.write_text("".join(i + "\n" for i in emb.ids), encoding="utf-8")
        return [out, ids]
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise MissingDependencyError("writing Parquet needs pyarrow: pip install pyarrow "
                                         "(or write .npy)") from None
        import pandas as pd

        df = pd.DataFrame({"id": emb.ids, "path": emb.paths,
                           "embedding": [v.astype(np.float32).tolist() for v in emb.vectors]})
        tmp = out.with_name(out.name + ".tmp")
        df.to_parquet(tmp, index=False)
        os.replace(tmp, out)
        return [out]
    raise ConfigError(f"cannot write embeddings to {out}: use a .npy or .parquet file name")
