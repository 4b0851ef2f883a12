"""Data verbs: the demo corpus, data settings, prepare, readiness reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from soundry.config import load_config
from soundry.errors import DataError


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


def is_prepared(path: Path) -> bool:
    """True for a folder written by :func:`prepare` (it has ``prepared.json``)."""
    return (path / "prepared.json").is_file()


def load_training_data(data: str | Path | Any, run_dir: Path, cfg, progress: bool, events=None):
    """``PreparedData`` for a run: a prepared folder as is, anything else prepared into
    ``run_dir/prepared`` with ``cfg.data`` (re-using the cache); not-ready data is an error."""
    from soundry.data import PreparedData
    from soundry.data import prepare as _prepare

    if isinstance(data, (str, Path)) and is_prepared(Path(data)):
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


def inspect_audio(path: str | Path) -> dict[str, Any]:
    """Decode one file and measure it: ``duration`` (s), ``sample_rate``, ``channels``,
    ``peak_db``, ``clip_fraction``, ``snr_db`` and ``quality`` (0..1, see docs/data.md).

    Raises ``AudioError`` when the file is not decodable audio.
    """
    from soundry.audio import load_audio
    from soundry.data.validate import measure

    audio, rate = load_audio(path)
    return measure(audio, rate)
