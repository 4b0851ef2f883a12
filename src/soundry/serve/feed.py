"""Job progress read from the run's ``events.jsonl``, incrementally.

The worker never reports progress to the server directly: the training engine already writes
every logged step to ``events.jsonl``, and :class:`ProgressFeed` follows that file from the
byte offset it reached last time, so a status request costs one ``stat`` and the new lines.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

# Event fields that are bookkeeping, not metrics worth showing.
_NOT_METRICS = {"time", "stage", "step", "total_steps", "total", "done", "steps_per_s", "eta_s",
                "epoch", "epochs", "message", "out", "files", "path", "checkpoint", "rate"}
MAX_POINTS = 400


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class ProgressFeed:
    """Follows one ``events.jsonl``; :meth:`poll` returns the current summary.

    Summary keys: ``stage``, ``step``, ``total``, ``percent`` (0..100), ``rate`` (steps/s),
    ``eta_s`` (s), ``metrics`` (latest train scalars), ``eval`` (latest eval scalars),
    ``loss`` (``[[step, loss], ...]``, at most ``MAX_POINTS``), ``checkpoint_step``,
    ``events`` (lines read), ``updated`` (unix s of the last event), ``error``, ``unit``
    (``"files"`` while preparing, ``"steps"`` after).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._offset = 0
        self._tail = b""
        self._last_train: tuple[float, float] | None = None
        self._lock = threading.Lock()
        self.summary: dict[str, Any] = {"stage": None, "step": 0, "total": None, "percent": 0.0,
                                        "rate": None, "eta_s": None, "metrics": {}, "eval": {},
                                        "loss": [], "checkpoint_step": None, "events": 0, "unit": None,
                                        "updated": None, "error": None}

    def poll(self) -> dict[str, Any]:
        with self._lock:
            try:
                size = self.path.stat().st_size
            except OSError:
                return dict(self.summary)
            if size < self._offset:  # the file was replaced: start again
                self.__init__(self.path)
            if size > self._offset:
                with self.path.open("rb") as fh:
                    fh.seek(self._offset)
                    data = fh.read(size - self._offset)
                self._offset = size
                lines = (self._tail + data).split(b"\n")
                self._tail = lines.pop()  # an unfinished last line waits for its newline
                for line in lines:
                    self._apply(line)
            return {**self.summary, "metrics": dict(self.summary["metrics"]),
                    "eval": dict(self.summary["eval"]), "loss": list(self.summary["loss"])}

    def _apply(self, line: bytes) -> None:
        try:
            ev = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(ev, dict):
            return
        s = self.summary
        s["events"] += 1
        stage = ev.get("stage")
        s["stage"] = stage
        s["updated"] = ev.get("time")
        step = ev.get("step", ev.get("done"))
        total = ev.get("total_steps", ev.get("total"))
        if _number(total):
            s["total"] = total
        if _number(step):
            s["step"] = step
        scalars = {k: v for k, v in ev.items() if k not in _NOT_METRICS and _number(v)}
        s["unit"] = "files" if stage == "prepare" else "steps"
        if stage == "prepare":
            s["rate"] = ev["rate"] if _number(ev.get("rate")) else s["rate"]
            s["eta_s"] = ev["eta_s"] if _number(ev.get("eta_s")) else s["eta_s"]
        elif stage == "train" and ev.get("status"):  # "started" / "resumed": a new rate estimate begins
            self._last_train = None
        elif stage == "train":
            s["metrics"] = scalars
            self._rate(ev, step)
            if _number(step) and _number(ev.get("loss")):
                self._add_loss(step, ev["loss"])
        elif stage == "eval":
            s["eval"] = scalars
        elif stage == "checkpoint" and _number(step):
            s["checkpoint_step"] = step
        elif stage == "error":
            s["error"] = ev.get("message") or ev.get("error") or "training stopped with an error"
        elif stage == "done" and _number(s["total"]):
            s["step"] = max(s["step"], s["total"])
            s["eta_s"] = 0.0
        if _number(s["total"]) and s["total"] > 0:
            s["percent"] = round(100.0 * min(1.0, s["step"] / s["total"]), 2)

    def _rate(self, ev: dict[str, Any], step: Any) -> None:
        s = self.summary
        rate = ev.get("steps_per_s")
        t = ev.get("time")
        if not _number(rate) and _number(step) and _number(t):
            if self._last_train and step > self._last_train[0] and t > self._last_train[1]:
                inst = (step - self._last_train[0]) / (t - self._last_train[1])
                rate = inst if not _number(s["rate"]) else 0.3 * inst + 0.7 * s["rate"]
            self._last_train = (step, t)
        if _number(rate) and rate > 0:
            s["rate"] = rate
        eta = ev.get("eta_s")
        if not _number(eta) and _number(s["rate"]) and _number(s["total"]) and _number(step):
            eta = max(0.0, (s["total"] - step) / s["rate"])
        s["eta_s"] = eta if _number(eta) else s["eta_s"]

    def _add_loss(self, step: float, loss: float) -> None:
        points = self.summary["loss"]
        while points and points[-1][0] >= step:  # resumed from an earlier checkpoint
            points.pop()
        points.append([step, loss])
        if len(points) > MAX_POINTS:  # keep the whole curve, at half the density
            self.summary["loss"] = points[::2] if points[-1] is points[::2][-1] else points[::2] + [points[-1]]


class FeedCache:
    """One :class:`ProgressFeed` per events file, shared by all requests of the web process."""

    def __init__(self):
        self._feeds: dict[Path, ProgressFeed] = {}
        self._lock = threading.Lock()

    def poll(self, path: Path) -> dict[str, Any]:
        with self._lock:
            feed = self._feeds.get(path)
            if feed is None:
                feed = self._feeds[path] = ProgressFeed(path)
        return feed.poll()
