"""The whole workflow on the built-in corpus: ``soundry demo`` / ``make demo``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from soundry.api.classify import predict
from soundry.api.data import corpus_synth
from soundry.api.runs import export, train
from soundry.api.vc import evaluate
from soundry.errors import ConfigError

DEMO_RECIPES = ("vc", "classify")


def _resume(run: Path) -> bool:
    # A demo run again picks up its own checkpoints instead of refusing the folder.
    return (run / "checkpoints").is_dir()


def demo(out: str | Path = "demo", recipe: str = "vc", preset: str = "demo", engine: str = "auto",
         progress: bool = True, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Synthesise the demo corpus, then prepare, train, export and run ``recipe`` on it.

    ``vc`` (default): a phone encoder (``vc-content``), then the voice model; every held-out
    sentence (``out/heldout``, another seed) is converted into every voice and scored in
    ``eval/report.html``. ``classify``: speaker identification scored on the held-out sentences.
    Returns the paths and headline figures (also written to ``out/demo-summary.json``).
    """
    if recipe not in DEMO_RECIPES:
        raise ConfigError(f"the demo runs one of {', '.join(DEMO_RECIPES)}, not '{recipe}'")
    out = Path(out)
    corpus = corpus_synth(out / "data", engine=engine, progress=progress)
    corpus_synth(out / "heldout", sentences=2 if recipe == "vc" else 5, seed=1, engine=engine,
                 progress=progress)
    summary: dict[str, Any] = {"recipe": recipe, "engine": corpus.engine, "data": str(out / "data"),
                               "heldout": str(out / "heldout")}
    if recipe == "vc":
        summary.update(_demo_vc(out, preset, list(overrides), progress))
    else:
        summary.update(_demo_classify(out, preset, list(overrides), progress))
    (out / "demo-summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _demo_vc(out: Path, preset: str, overrides: list[str], progress: bool) -> dict[str, Any]:
    content_run, vc_run = out / "content", out / "vc"
    train("vc-content", out / "data", content_run, config=[preset], resume=_resume(content_run),
          progress=progress)
    content = export(content_run)
    train("vc", out / "data", vc_run, config=[preset], overrides=[f"content.checkpoint={content}", *overrides],
          resume=_resume(vc_run), progress=progress)
    bundle = export(vc_run)
    report = evaluate(bundle, data=out / "heldout", progress=progress)
    metrics = json.loads((report.parent / "metrics.json").read_text(encoding="utf-8"))
    return {"content_run": str(content_run), "run": str(vc_run), "bundle": str(bundle),
            "report": str(report), "readiness": str(vc_run / "prepared" / "report.json"),
            "summary": metrics.get("summary", {})}


def _demo_classify(out: Path, preset: str, overrides: list[str], progress: bool) -> dict[str, Any]:
    run = out / "classify"
    result = train("classify", out / "data", run, config=[preset], overrides=overrides, resume=_resume(run),
                   progress=progress)
    bundle = export(run)
    files = sorted((out / "heldout").glob("*/*.wav"))
    preds = predict(bundle, files)
    correct = sum(p.label == Path(p.path).parent.name for p in preds)
    return {"run": str(run), "bundle": str(bundle), "readiness": str(run / "prepared" / "report.json"),
            "steps": result.steps, "heldout_files": len(files),
            "heldout_accuracy": correct / max(1, len(files))}
