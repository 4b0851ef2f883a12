"""Data sources, manifests, validation, preprocessing, splits: ``prepare`` and ``PreparedData``.

``prepare(source, out_dir, cfg)`` reads a folder of label sub-folders, a CSV table, a TTS JSONL
manifest or a DataFrame, validates every file once, preprocesses the accepted ones into cached
segments and writes a report. Importing this package loads no model and never imports torch.
"""

from soundry.data.config import DataConfig, Readiness
from soundry.data.prepare import PrepareResult, prepare
from soundry.data.prepared import PreparedData, Segment
from soundry.data.records import Manifest, Recording, read_manifest, recording_id, write_manifest
from soundry.data.report import build_report, format_report, report_table, verdict
from soundry.data.sources import (SourceScan, from_dataframe, open_source, read_csv, read_jsonl,
                                  scan_folder)
from soundry.data.splits import Splits, split_by_recording

__all__ = [
    "DataConfig", "Readiness", "prepare", "PrepareResult", "PreparedData", "Segment", "Manifest",
    "Recording", "read_manifest", "write_manifest", "recording_id", "build_report",
    "format_report", "report_table", "verdict", "SourceScan", "scan_folder", "read_csv",
    "read_jsonl", "from_dataframe", "open_source", "Splits", "split_by_recording",
]
