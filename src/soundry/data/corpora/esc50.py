"""ESC-50 (Piczak 2015): 2000 five-second clips, 50 classes, 5 official folds.

Layout of the released folder (github.com/karolpiczak/ESC-50)::

    ESC-50/audio/*.wav                 5 s, 44.1 kHz mono
    ESC-50/meta/esc50.csv              filename, fold, target, category, esc10, src_file, take

Results are reported as 5-fold cross-validation on the ``fold`` column: train
``classify`` with ``task.val_fold=1`` .. ``5`` (``soundry cv ... --folds-from fold``).
"""

from __future__ import annotations

from pathlib import Path

from soundry.data.sources import SourceScan, from_dataframe
from soundry.errors import DataError

ESC50_COLUMNS = ("filename", "fold", "target", "category", "esc10", "src_file", "take")


def _read_meta(table: Path, columns: tuple[str, ...], layout: str):
    import pandas as pd

    if not table.is_file():
        raise DataError(f"{table} not found: expected the official layout {layout}")
    df = pd.read_csv(table)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{table} lacks the column(s) {', '.join(missing)}; is it the official "
                        f"metadata file? Expected columns: {', '.join(columns)}")
    return df


def prepare_esc50(root: str | Path, esc10: bool = False) -> SourceScan:
    """Recordings of an ESC-50 folder, labelled by ``category``, with ``fold`` (1-5), ``target``,
    ``esc10``, ``src_file`` and ``take`` kept in each recording's ``extra``.

    ``esc10=True`` keeps the 10-class ESC-10 subset. Pass the result to ``api.prepare`` /
    ``api.train`` like any data source; nothing is written under ``root``.
    """
    base = Path(root).expanduser().absolute()
    df = _read_meta(base / "meta" / "esc50.csv", ESC50_COLUMNS,
                    "ESC-50/audio/*.wav and ESC-50/meta/esc50.csv")
    if esc10:
        df = df[df["esc10"].astype(str).str.lower().isin(["true", "1"])]
        if df.empty:
            raise DataError(f"{base}: no clip is marked esc10 in meta/esc50.csv")
    df = df.assign(path=["audio/" + str(f) for f in df["filename"]]).drop(columns=["filename"])
    return from_dataframe(df, path_column="path", label_column="category", root=base)
