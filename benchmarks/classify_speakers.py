"""Speaker identification on the demo corpus: held-out accuracy of the small CNN (`demo` preset)
and of a tiny BEATs trained from scratch, on CPU.

    python benchmarks/classify_speakers.py [--out DIR] [--engine numpy|espeak|auto]

Trains on 4 speakers x 30 sentences (make_demo_corpus seed 0) and scores the exported bundles
on different sentences of the same speakers (seed 1). Prints one line per model.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from soundry import api
from soundry.testing import make_demo_corpus

MODELS = {
    "cnn-small (demo preset)": [],
    "beats-tiny (scratch)": ["model.backbone=beats", "model.size=tiny", "model.dropout=0.1",
                             "train.lr=0.0005", "train.steps=400", "train.warmup_steps=40",
                             "train.lr_decay=0.995", "train.eval_every=50", "train.checkpoint_every=50",
                             "train.patience=4"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="work folder (default: a temporary folder)")
    ap.add_argument("--engine", default="numpy", choices=["numpy", "espeak", "auto"])
    ap.add_argument("--heldout", type=int, default=10, help="held-out sentences per speaker")
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="soundry-speakers-"))
    make_demo_corpus(out / "data", speakers=4, sentences=30, engine=args.engine, progress=False)
    make_demo_corpus(out / "heldout", speakers=4, sentences=args.heldout, seed=1, engine=args.engine,
                     progress=False)
    files = sorted((out / "heldout").glob("*/*.wav"))
    results = {}
    for i, (name, overrides) in enumerate(MODELS.items()):
        run = out / f"run-{i}"
        start = time.perf_counter()
        result = api.train("classify", out / "data", run, config=["demo"], overrides=overrides,
                           resume=(run / "checkpoints").is_dir(), progress=False)
        seconds = time.perf_counter() - start
        preds = api.predict(api.export(run), files)
        correct = sum(p.label == Path(p.path).parent.name for p in preds)
        val = json.loads((run / "metrics.json").read_text())
        results[name] = {"heldout_accuracy": correct / len(files), "heldout_files": len(files),
                         "val_accuracy": val["accuracy"], "steps": result.steps, "train_s": round(seconds, 1)}
        print(f"{name:<26} held-out accuracy {correct / len(files):6.1%} ({correct}/{len(files)} files), "
              f"val {val['accuracy']:.1%}, {result.steps} steps in {seconds:.0f} s")
    (out / "speakers.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"details: {out / 'speakers.json'}")


if __name__ == "__main__":
    main()
