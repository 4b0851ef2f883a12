"""The public Python API: the same verbs as the command line.

    from soundry import api
    api.corpus_synth("demo/data")
    api.prepare("demo/data", "demo/prepared")
    result = api.train("classify", "demo/data", "demo/run", config=["demo"])
    bundle = api.export("demo/run")
    print(api.predict(bundle, ["a.wav"])[0].top(3))

Every function takes paths (str or Path) and raises ``soundry.errors.SoundryError`` subclasses
for problems a user can fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from soundry.config import load_config, merge, read_config_file
from soundry.errors import CheckpointError, DataError

RUN_INFO = "run.json"


def recipe_names() -> list[str]:
    """Names of the recipes ``train`` accepts."""
    from soundry.recipes import recipe_names as names

    return names()


def format_report(report: dict[str, Any]) -> str:
    """A readable table of a ``report.json`` mapping (per label, then skipped files and warnings)."""
    from soundry.data import format_report as fmt

    return fmt(report)


# ---------------------------------------------------------------- data

def corpus_synth(out: str | Path, speakers: int = 4, sentences: int = 30, seed: int = 0,
                 engine: str = "auto", sample_rate: int = 22050, progress: bool = True):
    """Write the demo speech corpus (``out/<speaker>/*.wav`` + ``.txt`` transcripts)."""
    from soundry.testing import make_demo_corpus

    return make_demo_corpus(out, speakers=speakers, sentences=sentences, seed=seed, engine=engine,
                            sample_rate=sample_rate, progress=progress)


def data_config(recipe: str | None = None, config: Sequence[str | Path | Mapping] = (),
                overrides: Iterable[str] = ()):
    """The ``data`` section a recipe would use (or the plain defaults when ``recipe`` is None)."""
    from soundry.data import DataConfig

    if recipe is None:
        return load_config(DataConfig, "data", config, [o.removeprefix("data.") for o in overrides])
    from soundry.recipes import get_recipe

    return load_config(get_recipe(recipe).Config, recipe, config, overrides).data


def prepare(data: str | Path | Any, out: str | Path, recipe: str | None = None,
            config: Sequence[str | Path | Mapping] = (), overrides: Iterable[str] = (),
            progress: bool = True, events=None):
    """Validate, report on and preprocess a data source into ``out`` (never touching the source).

    ``data`` is a folder of label folders, a CSV, a JSONL manifest or a pandas DataFrame.
    Returns the ``PrepareResult`` (its ``report`` is what ``out/report.json`` holds).
    """
    from soundry.data import prepare as _prepare

    cfg = data_config(recipe, config, overrides)
    return _prepare(data, out, cfg, progress=progress, events=events)


def _is_prepared(path: Path) -> bool:
    return (path / "prepared.json").is_file()


def _load_data(data: str | Path | Any, run_dir: Path, cfg, progress: bool, events=None):
    from soundry.data import PreparedData
    from soundry.data import prepare as _prepare

    if isinstance(data, (str, Path)) and _is_prepared(Path(data)):
        return PreparedData.load(data)
    result = _prepare(data, run_dir / "prepared", cfg.data, progress=progress, events=events)
    report = result.report
    if progress:
        import sys

        print(format_report(report), file=sys.stderr)
    if report and not report.get("ready", True):
        reasons = report.get("readiness", {}).get("reasons") or ["see report.json"]
        raise DataError(f"the data is not ready for training: {'; '.join(map(str, reasons))} "
                        f"(report: {run_dir / 'prepared' / 'report.json'}; lower the "
                        "data.readiness.* thresholds to train anyway)")
    return PreparedData.load(run_dir / "prepared")


# ---------------------------------------------------------------- training

def _write_run_info(run_dir: Path, info: dict[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (RUN_INFO + ".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, run_dir / RUN_INFO)


def read_run_info(run_dir: str | Path) -> dict[str, Any]:
    """``run.json`` of a run folder: recipe name and data source."""
    p = Path(run_dir) / RUN_INFO
    if not p.is_file():
        raise CheckpointError(f"{run_dir} is not a soundry run folder (no {RUN_INFO}); "
                              "start one with `soundry train RECIPE -d DATA -o RUN`")
    return json.loads(p.read_text(encoding="utf-8"))


def train(recipe: str, data: str | Path | Any | None, run_dir: str | Path,
          config: Sequence[str | Path | Mapping] = (), overrides: Iterable[str] = (),
          resume: bool = False, progress: bool = True):
    """Train ``recipe`` on ``data`` into ``run_dir``; ``resume=True`` continues the last checkpoint.

    ``data`` may be a raw source (prepared into ``run_dir/prepared`` first, re-using what is
    already there) or a folder written by :func:`prepare`. On resume ``data`` may be None: the
    run's own record of its data is used, and the saved config is the base for ``overrides``.
    """
    from soundry.progress import EventLog
    from soundry.recipes import get_recipe
    from soundry.train import Trainer

    run = Path(run_dir)
    module = get_recipe(recipe)
    saved = run / "config.yaml"
    if resume and saved.is_file():
        info = read_run_info(run)
        if info.get("recipe") != recipe:
            raise CheckpointError(f"{run} was trained with recipe '{info.get('recipe')}', not '{recipe}'")
        data = data if data is not None else info.get("data")
        base = load_config(module.Config, recipe, [read_config_file(saved)])
        cfg = load_config(module.Config, recipe, config, overrides, base=base)
    else:
        if data is None:
            raise DataError("no data given: pass -d DATA (a folder of label folders, a CSV or a JSONL manifest)")
        cfg = load_config(module.Config, recipe, config, overrides)
    if not progress:
        cfg = merge(cfg, {"train": {"progress": False}})
    events = EventLog(run / "events.jsonl")
    loaded = _load_data(data, run, cfg, progress, events)
    if hasattr(module, "resolve_config"):
        cfg = module.resolve_config(cfg, loaded)
    _write_run_info(run, {"recipe": recipe, "data": str(Path(data).resolve()) if isinstance(data, (str, Path))
                          else None, "prepared": str(loaded.root)})
    return Trainer(module, cfg, run, data=loaded, events=events).fit(resume=resume)


def resume(run_dir: str | Path, overrides: Iterable[str] = (), progress: bool = True):
    """Continue a run from its last checkpoint (the recipe and data are read from the run)."""
    info = read_run_info(run_dir)
    return train(info["recipe"], None, run_dir, overrides=overrides, resume=True, progress=progress)


# ---------------------------------------------------------------- export and run

def export(run_dir: str | Path, out_dir: str | Path | None = None, checkpoint: str = "best") -> Path:
    """Export a run's ``best`` (falling back to ``latest``) or named checkpoint as a bundle folder."""
    from soundry.progress import EventLog
    from soundry.recipes import get_recipe
    from soundry.train import best_checkpoint, load_parts_for_export

    run = Path(run_dir)
    info = read_run_info(run)
    module = get_recipe(info["recipe"])
    out = Path(out_dir) if out_dir is not None else run / "export"
    if checkpoint == "best" and best_checkpoint(run) is None:
        checkpoint = "latest"
    cfg, parts = load_parts_for_export(module, run, checkpoint=checkpoint)
    out.mkdir(parents=True, exist_ok=True)
    files = module.export(parts, out)
    EventLog(run / "events.jsonl").write("export", out=str(out), files=[str(f) for f in files])
    return out


def load(bundle: str | Path):
    """Open an exported bundle for inference (numpy + onnxruntime; no torch)."""
    from soundry.runtime import Classifier, read_meta

    meta = read_meta(bundle)
    if meta.get("recipe") == "classify":
        return Classifier(bundle)
    raise CheckpointError(f"{bundle}: no runtime for recipe '{meta.get('recipe')}' yet")


def predict(bundle: str | Path, files: Iterable[str | Path]):
    """Labels with probabilities for each file, best first (``classify`` bundles)."""
    model = load(bundle)
    out = []
    for f in files:
        if not Path(f).is_file():
            raise DataError(f"no such audio file: {f}")
        out.append(model.predict(f))
    return out


classify = predict


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
