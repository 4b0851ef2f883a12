"""Evaluation measures for converted / generated audio, and the HTML report that shows them.

- :func:`f0_correlation` / :func:`compare_f0`: does the output follow the input's intonation
  (log-f0 Pearson correlation on frames voiced in both; WORLD pitch).
- :class:`SpeakerEncoder` + :func:`speaker_similarity`: whose voice is it (Resemblyzer
  d-vectors, cosine similarity). Optional dependency: ``resemblyzer``.
- :func:`dnsmos`: how clean and natural does it sound (DNSMOS P.835 / P.808 via ``speechmos``).
- :func:`spectrogram_png`, :func:`write_eval_report`: pictures and ``report.html``.

Layer 3 (beside ``features``). Importing this package loads neither torch, pyworld,
resemblyzer nor speechmos; each is imported when first used.
"""

from soundry.metrics.pitch import F0Match, compare_f0, f0_correlation
from soundry.metrics.quality import dnsmos
from soundry.metrics.report import KEY_COLUMNS, summarize, write_eval_report
from soundry.metrics.speaker import SpeakerEncoder, speaker_similarity
from soundry.metrics.spectrogram import encode_png, log_mel, spectrogram_png

__all__ = [
    "F0Match", "KEY_COLUMNS", "SpeakerEncoder", "compare_f0", "dnsmos", "encode_png",
    "f0_correlation", "log_mel", "speaker_similarity", "spectrogram_png", "summarize",
    "write_eval_report",
]
