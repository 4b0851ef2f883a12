"""The prepare report: per-label counts and readiness, skipped files and warnings.

``build_report`` makes the ``report.json`` dict; ``format_report`` renders it as plain text
and ``report_table`` as a rich table for the command line. Every second of every accepted
file is accounted for: ``kept_seconds + dropped_seconds == seconds`` per label.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from soundry.data.config import Readiness
from soundry.data.records import Recording


def _label_problems(row: dict[str, Any], r: Readiness) -> list[str]:
    problems = []
    if row["files"] == 0:
        return ["no usable files"]
    if row["files"] < r.min_files:
        problems.append(f"{row['files']} files (needs {r.min_files}: readiness.min_files)")
    minutes = row["kept_seconds"] / 60.0
    if minutes < r.min_minutes:
        problems.append(f"{minutes:.1f} kept minutes (needs {r.min_minutes:g}: readiness.min_minutes)")
    if row["quality"] is not None and row["quality"] < r.min_quality:
        problems.append(f"quality {row['quality']:.2f} (needs {r.min_quality:g}: readiness.min_quality)")
    return problems


def build_report(records: list[Recording], results: list[Any], scan_warnings: list[dict],
                 readiness: Readiness) -> dict[str, Any]:
    """The ``report.json`` dict from the scanned ``records`` and their ``FileResult`` (same order).

    Per label: ``files`` (accepted), ``skipped``, ``seconds`` (accepted audio), ``kept_seconds``,
    ``dropped_seconds`` (= silence + too-short pieces), ``segments``, ``segment_seconds``
    (overlaps counted twice), ``quality`` (duration-weighted mean, 0..1), ``ready``, ``problems``.
    """
    rows: dict[str, dict[str, Any]] = {}
    weights: dict[str, float] = defaultdict(float)
    skipped, warnings = [], list(scan_warnings)
    for rec, res in zip(records, results):
        row = rows.setdefault(rec.label, {
            "files": 0, "skipped": 0, "seconds": 0.0, "kept_seconds": 0.0, "dropped_seconds": 0.0,
            "dropped_silence_seconds": 0.0, "dropped_short_seconds": 0.0, "segments": 0,
            "segment_seconds": 0.0, "quality": 0.0})
        if res.status != "ok":
            row["skipped"] += 1
            skipped.append({"path": rec.relpath, "label": rec.label, "reason": res.reason})
            continue
        duration = float(res.measures["duration"])
        row["files"] += 1
        row["seconds"] += duration
        row["kept_seconds"] += res.kept_s
        row["dropped_silence_seconds"] += res.dropped_silence_s
        row["dropped_short_seconds"] += res.dropped_short_s
        row["dropped_seconds"] += res.dropped_silence_s + res.dropped_short_s
        row["segments"] += len(res.segments)
        row["segment_seconds"] += sum(e - s for s, e in res.segments)
        row["quality"] += res.measures.get("quality", 0.0) * duration
        weights[rec.label] += duration
        warnings.extend({"path": rec.relpath, "reason": w} for w in res.warnings)
    for label, row in rows.items():
        row["quality"] = round(row["quality"] / weights[label], 4) if weights[label] > 0 else None
        for key in ("seconds", "kept_seconds", "dropped_seconds", "dropped_silence_seconds",
                    "dropped_short_seconds", "segment_seconds"):
            row[key] = round(row[key], 3)
        row["problems"] = _label_problems(row, readiness)
        row["ready"] = not row["problems"]
    ready_labels = sorted(k for k, v in rows.items() if v["ready"])
    reasons = [f"label '{k}': {'; '.join(v['problems'])}" for k, v in sorted(rows.items())
               if v["problems"]]
    if len(ready_labels) < readiness.min_labels:
        reasons.insert(0, f"{len(ready_labels)} ready labels (needs {readiness.min_labels}: "
                       "readiness.min_labels)")
    totals = {"labels": len(rows), "ready_labels": len(ready_labels), "files_found": len(records),
              "files": sum(v["files"] for v in rows.values()), "skipped": len(skipped),
              "warnings": len(warnings), "segments": sum(v["segments"] for v in rows.values())}
    for key in ("seconds", "kept_seconds", "dropped_seconds", "segment_seconds"):
        totals[key] = round(sum(v[key] for v in rows.values()), 3)
    return {"labels": dict(sorted(rows.items())), "skipped": skipped, "warnings": warnings,
            "totals": totals, "ready": not reasons and bool(ready_labels),
            "readiness": {"min_labels": readiness.min_labels, "min_files": readiness.min_files,
                          "min_minutes": readiness.min_minutes,
                          "min_quality": readiness.min_quality, "reasons": reasons}}


def _listing(title: str, items: list[dict], limit: int) -> list[str]:
    if not items:
        return []
    lines = [f"{title} ({len(items)}):"]
    lines += [f"  {it['path']}: {it['reason']}" for it in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more (see report.json)")
    return lines


def _cells(label: str, row: dict) -> list[str]:
    q = "-" if row["quality"] is None else f"{row['quality']:.2f}"
    return [label or "(none)", str(row["files"]), str(row["skipped"]), f"{row['seconds'] / 60:.2f}",
            f"{row['kept_seconds'] / 60:.2f}", f"{row['dropped_seconds'] / 60:.2f}",
            str(row["segments"]), q, "yes" if row["ready"] else "no"]


_HEADER = ["label", "files", "skipped", "minutes", "kept", "dropped", "segments", "quality", "ready"]


def format_report(report: dict[str, Any], limit: int = 20) -> str:
    """Plain-text summary: a table per label (minutes), then skipped files, warnings, verdict."""
    table = [_HEADER] + [_cells(k, v) for k, v in report["labels"].items()]
    widths = [max(len(r[i]) for r in table) for i in range(len(_HEADER))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths))) for r in table]
    lines += _listing("skipped", report["skipped"], limit)
    lines += _listing("warnings", report["warnings"], limit)
    lines.append(verdict(report))
    return "\n".join(lines)


def verdict(report: dict[str, Any]) -> str:
    """One line: ``ready`` or ``not ready: <reasons>``."""
    if report["ready"]:
        return "ready: every label meets the readiness thresholds"
    return "not ready: " + "; ".join(report["readiness"]["reasons"] or ["no usable files"])


def report_table(report: dict[str, Any]):
    """A ``rich.table.Table`` of the per-label rows (for the command line)."""
    from rich.table import Table

    table = Table(title="prepared data")
    for i, name in enumerate(_HEADER):
        table.add_column(name, justify="left" if i == 0 else "right")
    for k, v in report["labels"].items():
        cells = _cells(k, v)
        cells[-1] = "[green]yes[/]" if v["ready"] else "[red]no[/]"
        table.add_row(*cells)
    return table


__all__ = ["build_report", "format_report", "report_table", "verdict"]
