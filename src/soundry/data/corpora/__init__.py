"""Public corpora in their official layouts, as data sources with their official folds.

``prepare_esc50(root)`` / ``prepare_urbansound8k(root)`` read the datasets' own metadata and
return a :class:`~soundry.data.SourceScan` whose recordings keep the ``fold`` column (and the
other metadata) in ``extra``. Nothing is downloaded: get the datasets from their publishers.
"""

from soundry.data.corpora.esc50 import ESC50_COLUMNS, prepare_esc50
from soundry.data.corpora.urbansound8k import URBANSOUND8K_COLUMNS, prepare_urbansound8k

__all__ = ["ESC50_COLUMNS", "URBANSOUND8K_COLUMNS", "prepare_esc50", "prepare_urbansound8k"]
