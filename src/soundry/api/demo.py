"""The whole workflow on the built-in corpus."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from soundry.api.classify import predict
from soundry.api.data import corpus_synth
from soundry.api.runs import export, train


# ---------------------------------------------------------------- demo

def demo(out: str | Path = "demo", preset: str = "demo", engine: str = "auto", progress: bool = True,
         overrides: Iterable[str] = ()) -> dict[str, Any]:
    """The whole workflow on the built-in corpus: synthesise, prepare, train, export, run.

    Trains a speaker-identification classifier on ``out/data`` and scores it on held-out
    sentences (``out/heldout``, a different seed). Returns paths and the held-out accuracy.
    """
    out = Path(out)
    corpus_synth(out / "data", engine=engine, progress=progress)
    corpus_synth(out / "heldout", sentences=5, seed=1, engine=engine, progress=progress)
    result = train("classify", out / "data", out / "run", config=[preset], overrides=overrides,
                   resume=(out / "run" / "checkpoints").is_dir(), progress=progress)
    bundle = export(out / "run")
    files = sorted((out / "heldout").glob("*/*.wav"))
    preds = predict(bundle, files)
    correct = sum(p.label == Path(p.path).parent.name for p in preds)
    summary = {"data": str(out / "data"), "run": str(out / "run"), "bundle": str(bundle),
               "report": str(out / "run" / "prepared" / "report.json"),
               "heldout_files": len(files), "heldout_accuracy": correct / max(1, len(files)),
               "steps": getattr(result, "steps", None)}
    (out / "demo-summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
