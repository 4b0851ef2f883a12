"""Run verbs: train, resume, export, cross-validate."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from soundry.config import load_config, merge, read_config_file
from soundry.api.data import is_prepared, load_training_data
from soundry.errors import CheckpointError, DataError

RUN_INFO = "run.json"


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
        if data is None:
            # The prepared folder first: resuming must see exactly the data it started with.
            prepared = info.get("prepared")
            data = prepared if prepared and is_prepared(Path(prepared)) else info.get("data")
        base = load_config(module.Config, recipe, [read_config_file(saved)])
        cfg = load_config(module.Config, recipe, config, overrides, base=base)
    else:
        if data is None:
            raise DataError("no data given: pass -d DATA (a folder of label folders, a CSV or a JSONL manifest)")
        cfg = load_config(module.Config, recipe, config, overrides)
    if not progress:
        cfg = merge(cfg, {"train": {"progress": False}})
    events = EventLog(run / "events.jsonl")
    loaded = load_training_data(data, run, cfg, progress, events)
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



def cross_validate(recipe: str, data: str | Path | Any, out_dir: str | Path,
                   folds_from: str | int = "fold", config: Sequence[str | Path | Mapping] = (),
                   overrides: Iterable[str] = (), progress: bool = True) -> dict[str, Any]:
    """Train one run per fold into ``out_dir/fold-<k>/`` and write ``out_dir/cv.json``.

    ``folds_from``: a column of the data (e.g. ``"fold"`` for ESC-50 / UrbanSound8K: each value
    is the validation fold once), or a number ``K`` of stratified folds drawn with
    ``data.split_seed``. The data is prepared once into ``out_dir/prepared``. A fold whose run
    already has checkpoints is resumed (a finished one is kept). Returns the ``cv.json``
    content: per-fold best metrics and their mean and std (``ddof=0``) over folds.
    """
    from soundry.recipes import get_recipe
    from soundry.recipes.classify.labels import fold_values
    from soundry.recipes.classify.metrics import summarize_folds

    if recipe != "classify":
        raise DataError(f"cross-validation is available for classify, not '{recipe}'")
    out = Path(out_dir)
    overrides = list(overrides)
    cfg = load_config(get_recipe(recipe).Config, recipe, config, overrides)
    loaded = load_training_data(data, out, cfg, progress)
    if any(s.split for s in loaded.segments):
        raise DataError("the data has a split column, which fixes one validation set; remove it "
                        "to cross-validate")
    if isinstance(folds_from, int) or str(folds_from).isdigit():
        k = int(folds_from)
        if k < 2:
            raise DataError(f"cross-validation needs at least 2 folds, got {k}")
        folds, extra = [str(i) for i in range(k)], [f"task.folds={k}"]
    else:
        folds = fold_values(loaded.segments, str(folds_from))
        extra = [f"task.fold_column={folds_from}"]
        if len(folds) < 2:
            raise DataError(f"the data's '{folds_from}' column has {len(folds)} distinct value(s); "
                            "cross-validation needs at least 2 (or pass a number of folds)")
    rows = []
    for fold in folds:
        run = out / f"fold-{fold}"
        result = train(recipe, loaded.root, run, config=config,
                       overrides=overrides + extra + [f"task.val_fold={fold}"],
                       resume=(run / "checkpoints").is_dir(), progress=progress)
        metrics_file = run / "metrics.json"
        best = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
        rows.append({"fold": fold, "run": str(run), "steps": result.steps,
                     "best_step": best.get("step"), "count": best.get("count"),
                     **{k: best.get(k) for k in ("accuracy", "macro_f1", "mAP")}})
    summary = {"recipe": recipe, "folds_from": folds_from, "folds": rows, **summarize_folds(rows)}
    tmp = out / "cv.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "cv.json")
    return summary
