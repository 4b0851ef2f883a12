"""Preprocessing speed of `soundry prepare` as a realtime factor (audio seconds per wall second).

    .venv/bin/python benchmarks/prepare.py [--speakers 4] [--sentences 30] [--engine numpy]

Makes the demo corpus, then prepares it from scratch with 1 worker and with all cores (each into
a fresh folder, so nothing is cached), and once more into the all-cores folder to show the cost
of a re-run that re-uses the cache. Prints one line per run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from soundry.data import DataConfig, prepare
from soundry.testing import make_demo_corpus


def _run(data: Path, out: Path, workers: int) -> tuple[float, float, int]:
    cfg = DataConfig(sample_rates=[16000], workers=workers)
    t0 = time.perf_counter()
    result = prepare(data, out, cfg, progress=False)
    wall = time.perf_counter() - t0
    seconds = sum(v["seconds"] for v in result.report["labels"].values())
    return seconds, wall, result.decoded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speakers", type=int, default=4)
    ap.add_argument("--sentences", type=int, default=30)
    ap.add_argument("--engine", default="numpy", choices=["numpy", "espeak", "auto"])
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        info = make_demo_corpus(root / "data", speakers=args.speakers, sentences=args.sentences,
                                engine=args.engine, progress=False)
        print(f"corpus: {len(info.files)} files, {info.total_seconds:.1f} s of audio ({info.engine})")
        for label, workers, out in [("1 worker", 1, "p1"), (f"{cores} workers", cores, "pN"),
                                    (f"{cores} workers, cached re-run", cores, "pN")]:
            seconds, wall, decoded = _run(root / "data", root / out, workers)
            print(f"prepare {label:>26}: {seconds:8.1f} s audio in {wall:6.2f} s wall = "
                  f"{seconds / wall:7.1f}x realtime  (files decoded: {decoded})")


if __name__ == "__main__":
    main()
