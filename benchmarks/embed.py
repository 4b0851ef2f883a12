"""BEATs-base embedding throughput on CPU: 10 s clips per second, 1 thread and all cores.

    python benchmarks/embed.py [--clips 4] [--batch 1]

Randomly initialised base-size weights (the released architecture, 90 M parameters; no
download), the full path of `soundry embed`: Kaldi fbank, patch embedding, 12 layers, mean
pooling over valid tokens. Timings never assert anything.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from soundry.models.beats import BEATs, beats_preset
from soundry.recipes.classify.backbones import BEATsBackbone
from soundry.recipes.classify.embed import Embedder


def clips_per_second(embedder: Embedder, clips: list[np.ndarray], batch: int) -> float:
    embedder.embed_waves(clips[:batch])  # warm-up: allocator, kernels
    start = time.perf_counter()
    for i in range(0, len(clips), batch):
        embedder.embed_waves(clips[i:i + batch])
    return len(clips) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=4, help="10 s clips per measurement")
    ap.add_argument("--batch", type=int, default=1, help="clips per forward pass")
    args = ap.parse_args()
    torch.manual_seed(0)
    model = BEATs(**beats_preset("base").model_kwargs())
    params = sum(p.numel() for p in model.parameters()) / 1e6
    embedder = Embedder(BEATsBackbone(model), 16000, window_s=10.0, batch=args.batch)
    rng = np.random.default_rng(0)
    clips = [(0.1 * rng.standard_normal(160000)).astype(np.float32) for _ in range(args.clips)]
    cores = os.cpu_count() or 1
    print(f"BEATs base ({params:.1f} M parameters, random weights), 10 s clips at 16 kHz, "
          f"batch {args.batch}, torch {torch.__version__}")
    for threads in sorted({1, cores}):
        torch.set_num_threads(threads)
        rate = clips_per_second(embedder, clips, args.batch)
        print(f"{threads:>3} thread(s): {rate:.2f} clips/s  ({10 * rate:.1f} s of audio per second)")


if __name__ == "__main__":
    main()
