"""``prepare``: turn a data source into validated, preprocessed, cached training segments.

Every file is read, validated and preprocessed once, in parallel over all cores, with progress
on the terminal and in ``events.jsonl``. A second run re-uses the cache and decodes nothing.
Nothing is ever written under the source folder.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soundry.config import to_dict
from soundry.data.config import DataConfig
from soundry.data.preprocess import FileResult, params_key, process_file
from soundry.data.prepared import PreparedData
from soundry.data.records import Recording, write_json, write_jsonl, write_manifest
from soundry.data.report import build_report
from soundry.data.sources import SourceScan, open_source
from soundry.errors import DataError
from soundry.progress import EventLog, ProgressBar


@dataclass
class PrepareResult:
    """What ``prepare`` did. ``decoded``: files decoded this run (0 on a fully cached re-run);
    ``written``: (file, rate) pairs whose segments were written this run."""

    out_dir: Path
    report: dict[str, Any]
    ready: bool
    files: int
    skipped: int
    segments: int
    decoded: int = 0
    written: int = 0
    seconds: float = 0.0

    def load(self) -> PreparedData:
        return PreparedData.load(self.out_dir)


def _check_config(cfg: DataConfig) -> None:
    if not cfg.sample_rates or any(int(r) <= 0 for r in cfg.sample_rates):
        raise DataError(f"data.sample_rates must list positive rates in Hz, got {cfg.sample_rates}")
    if cfg.slice and not 0 <= cfg.overlap_s < cfg.max_segment_s:
        raise DataError(f"data.overlap_s ({cfg.overlap_s}) must be below data.max_segment_s "
                        f"({cfg.max_segment_s})")


def _check_out_dir(scan: SourceScan, out: Path) -> None:
    if scan.kind != "folder":
        return
    root = Path(scan.root)
    if out == root or root in out.parents:
        raise DataError(f"output folder {out} is inside the data folder {root}: choose a folder "
                        "outside it (soundry never writes into your data)")


def _pool_context():
    """Forking a process that already runs torch's thread pools can deadlock the children, so
    once torch is loaded (``soundry train`` prepares in-process) workers come from a forkserver."""
    if "torch" in sys.modules and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Import the worker code once in the server, not once per worker.
        ctx.set_forkserver_preload(["soundry.data.preprocess"])
        return ctx
    return None


def _run_jobs(paths: list[str], cfg: DataConfig, out: Path,
              tick: Callable[[FileResult], None]) -> list[FileResult]:
    """``process_file`` for every path, in-process for one worker, else in a process pool."""
    results: list[FileResult | None] = [None] * len(paths)
    workers = min(cfg.worker_count(), len(paths))
    if workers <= 1:
        for i, p in enumerate(paths):
            results[i] = process_file(i, p, cfg, str(out))
            tick(results[i])
        return results  # type: ignore[return-value]
    crashed: list[int] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        futures = {pool.submit(process_file, i, p, cfg, str(out)): i for i, p in enumerate(paths)}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except BrokenProcessPool:
                crashed.append(i)
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                results[i] = FileResult(i, status="skipped", reason=f"unreadable: {exc!r}"[:200])
            tick(results[i])
    # A decoder that kills its process breaks the whole pool: retry those files one per
    # process so only the culprit is skipped.
    for i in sorted(crashed):
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=_pool_context()) as solo:
                results[i] = solo.submit(process_file, i, paths[i], cfg, str(out)).result()
        except BrokenProcessPool:
            results[i] = FileResult(i, status="skipped",
                                    reason="unreadable: the decoder crashed on this file")
        tick(results[i])
    return results  # type: ignore[return-value]


def _segment_rows(rec: Recording, res: FileResult) -> list[dict[str, Any]]:
    rows = []
    whole = len(res.segments) == 1
    for i, (start, end) in enumerate(res.segments):
        rows.append({
            "id": f"{rec.id}/{i:03d}", "recording_id": rec.id, "label": rec.label,
            "transcript": rec.transcript if whole else None, "start": round(start, 6),
            "end": round(end, 6), "duration": round(end - start, 6),
            "files": {str(r): names[i] for r, names in res.files.items()},
            "speaker": rec.speaker, "language": rec.language, "split": rec.split,
            "extra": rec.extra})
    return rows


def _duplicates(records: list[Recording], results: list[FileResult]) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    out = []
    for rec, res in zip(records, results):
        if res.status != "ok" or res.content_hash is None:
            continue
        if res.content_hash in seen:
            out.append({"path": rec.relpath, "reason": f"duplicate: same content as {seen[res.content_hash]}"})
        else:
            seen[res.content_hash] = rec.relpath
    return out


def prepare(source: Any, out_dir: str | Path, cfg: DataConfig | None = None,
            progress: bool | None = True, events: EventLog | None = None) -> PrepareResult:
    """Validate and preprocess every file of ``source`` into ``out_dir``.

    ``source`` is a folder, a ``.csv``/``.jsonl`` path, a DataFrame or a ``SourceScan``.
    Writes ``out_dir/report.json``, ``manifest.jsonl`` (accepted recordings),
    ``segments.jsonl``, ``prepared.json`` (written last: its presence means complete) and the
    segment cache ``out_dir/cache/``. Bad files are skipped with a reason, never fatal.
    ``progress=None`` shows a bar unless ``SOUNDRY_QUIET`` is set; ``events`` receives stage
    ``prepare`` events with ``step``/``total_steps``, rate and ETA.
    """
    cfg = cfg or DataConfig()
    _check_config(cfg)
    t0 = time.monotonic()
    scan = open_source(source, path_column=cfg.path_column, label_column=cfg.label_column or None)
    out = Path(out_dir).expanduser().absolute()
    _check_out_dir(scan, out)
    out.mkdir(parents=True, exist_ok=True)
    records = scan.records
    total = len(records)
    if events is not None:
        events.write("prepare", step=0, total_steps=total, status="start", source=scan.root)
    listeners = []
    if events is not None:
        listeners.append(lambda snap: events.write(
            "prepare", step=int(snap["done"]), total_steps=total, rate=snap["rate"],
            eta_s=snap["eta_s"], elapsed_s=snap["elapsed_s"]))
    with ProgressBar("prepare", total, unit="files", enabled=progress, listeners=listeners) as bar:
        results = _run_jobs([r.path for r in records], cfg, out, lambda _res: bar.advance())
    accepted, segments = [], []
    for rec, res in zip(records, results):
        if res.status != "ok":
            continue
        rec.duration = float(res.measures["duration"])
        rec.sample_rate = int(res.measures["sample_rate"])
        accepted.append(rec)
        segments.extend(_segment_rows(rec, res))
    report = build_report(records, results, scan.warnings + _duplicates(records, results),
                          cfg.readiness)
    write_manifest(out / "manifest.jsonl", accepted)
    write_jsonl(out / "segments.jsonl", segments)
    write_json(out / "report.json", report)
    decoded = sum(r.decoded for r in results)
    written = sum(len(r.written_rates) for r in results)
    elapsed = time.monotonic() - t0
    from soundry import __version__
    write_json(out / "prepared.json", {
        "format": 1, "soundry_version": __version__, "source": scan.root, "source_kind": scan.kind,
        "params": to_dict(cfg), "cache": f"cache/{params_key(cfg)}",
        "counts": {"files_found": total, "files": len(accepted), "skipped": total - len(accepted),
                   "segments": len(segments), "decoded": decoded, "written": written},
        "elapsed_s": round(elapsed, 3)})
    if events is not None:
        events.write("prepare", step=total, total_steps=total, status="done",
                     ready=report["ready"], segments=len(segments), elapsed_s=elapsed)
    return PrepareResult(out_dir=out, report=report, ready=report["ready"], files=len(accepted),
                         skipped=total - len(accepted), segments=len(segments), decoded=decoded,
                         written=written, seconds=elapsed)


__all__ = ["prepare", "PrepareResult"]
