"""UrbanSound8K (Salamon et al. 2014): 8732 clips of up to 4 s, 10 classes, 10 official folds.

Layout of the released folder::

    UrbanSound8K/audio/fold1 .. fold10/*.wav
    UrbanSound8K/metadata/UrbanSound8K.csv   slice_file_name, fsID, start, end, salience,
                                             fold, classID, class

The folds are predefined (clips of one recording share a fold); results must be 10-fold
cross-validation on them: ``task.val_fold=1`` .. ``10``.
"""

from __future__ import annotations

from pathlib import Path

from soundry.data.corpora.esc50 import _read_meta
from soundry.data.sources import SourceScan, from_dataframe

URBANSOUND8K_COLUMNS = ("slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class")


def prepare_urbansound8k(root: str | Path) -> SourceScan:
    """Recordings of an UrbanSound8K folder, labelled by ``class``, with ``fold`` (1-10),
    ``classID``, ``fsID``, ``start``, ``end`` and ``salience`` kept in each recording's ``extra``.
    Nothing is written under ``root``."""
    base = Path(root).expanduser().absolute()
    df = _read_meta(base / "metadata" / "UrbanSound8K.csv", URBANSOUND8K_COLUMNS,
                    "UrbanSound8K/audio/fold<N>/*.wav and UrbanSound8K/metadata/UrbanSound8K.csv")
    paths = [f"audio/fold{int(fold)}/{name}" for fold, name in zip(df["fold"], df["slice_file_name"])]
    df = df.assign(path=paths).drop(columns=["slice_file_name"])
    return from_dataframe(df, path_column="path", label_column="class", root=base)
