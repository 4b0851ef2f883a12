"""Progress for long work: a terminal bar with count, rate and ETA, and the events.jsonl feed.

``ProgressBar`` draws a rich bar on a terminal and, when output is not a terminal (CI, logs,
the job server's worker), prints a plain line every few seconds instead. ``EventLog`` appends
one JSON object per line to ``events.jsonl``; the job server and progress readers tail it.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def format_duration(seconds: float) -> str:
    """``83.2`` -> ``'1:23'``; ``4000`` -> ``'1:06:40'``; unknown -> ``'?'``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class RateMeter:
    """Count, rate (items/s) and ETA (s) from an exponentially smoothed rate."""

    def __init__(self, total: int | float | None, start: float = 0.0, smoothing: float = 0.3):
        self.total = total
        self.done = start
        self._t0 = time.monotonic()
        self._last_t = self._t0
        self._last_done = start
        self._start_done = start
        self.rate: float | None = None
        self._smoothing = smoothing

    def update(self, done: float) -> None:
        now = time.monotonic()
        dt = now - self._last_t
        if dt >= 0.5 or self.rate is None:
            if dt > 0 and done > self._last_done:
                inst = (done - self._last_done) / dt
                self.rate = inst if self.rate is None else (
                    self._smoothing * inst + (1 - self._smoothing) * self.rate)
                self._last_t, self._last_done = now, done
        self.done = done

    def finish(self) -> None:
        """Report the average rate over the whole run (the smoothed one lags bursts at the end)."""
        elapsed = time.monotonic() - self._t0
        if elapsed > 0 and self.done > self._start_done:
            self.rate = (self.done - self._start_done) / elapsed

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    @property
    def eta(self) -> float | None:
        if self.total is None or not self.rate:
            return None
        return max(0.0, (self.total - self.done) / self.rate)

    def snapshot(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total, "rate": self.rate, "eta_s": self.eta,
                "elapsed_s": self.elapsed}


class ProgressBar:
    """A progress display for ``total`` units of work.

    Use as a context manager; call ``advance(n)`` or ``set(done)`` and optionally
    ``set_info(**scalars)`` to show a few scalars (a loss, a file name) beside the bar.
    ``listeners`` receive ``RateMeter.snapshot()`` dicts, throttled to ``every_s`` seconds.
    """

    def __init__(self, description: str, total: int | float | None, unit: str = "it",
                 start: float = 0, enabled: bool | None = None,
                 listeners: list[Callable[[dict[str, Any]], None]] | None = None,
                 every_s: float = 5.0, stream=None):
        self.description = description
        self.unit = unit
        self.meter = RateMeter(total, start)
        self.info: dict[str, Any] = {}
        self.listeners = list(listeners or [])
        self.every_s = every_s
        self._stream = stream or sys.stderr
        quiet = os.environ.get("SOUNDRY_QUIET", "") not in ("", "0")
        if enabled is None:
            enabled = not quiet
        self.enabled = enabled
        self._rich = enabled and getattr(self._stream, "isatty", lambda: False)()
        self._last_emit = 0.0
        self._lock = threading.Lock()
        self._live = None
        self._task = None
        self._closed = False

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> ProgressBar:
        if self._rich:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)
            self._live = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"),
                console=Console(file=self._stream), transient=False)
            self._live.start()
            self._task = self._live.add_task(self.description, total=self.meter.total,
                                             completed=self.meter.done, rate="", info="")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Draw the final state and hand listeners the final count (updates are throttled)."""
        if self._closed:
            return
        self._closed = True
        self.meter.finish()
        if self._live is not None:
            self._live.update(self._task, completed=self.meter.done, rate=self._rate_text(),
                              info=self._info_text())
            self._live.stop()
            self._live = None
        elif self.enabled and self.meter.done:
            self._print_line()
        snap = self.meter.snapshot()
        for fn in self.listeners:
            fn(snap)

    # -------------------------------------------------------------- updates
    def advance(self, n: float = 1) -> None:
        self.set(self.meter.done + n)

    def set(self, done: float) -> None:
        with self._lock:
            self.meter.update(done)
            self._refresh()

    def set_info(self, **info: Any) -> None:
        self.info.update(info)

    def _info_text(self) -> str:
        parts = []
        for k, v in self.info.items():
            parts.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
        return " ".join(parts)

    def _rate_text(self) -> str:
        r = self.meter.rate
        return f"{r:.3g} {self.unit}/s" if r else ""

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._live is not None:
            self._live.update(self._task, completed=self.meter.done, rate=self._rate_text(),
                              info=self._info_text())
        due = force or now - self._last_emit >= self.every_s
        if not due:
            return
        self._last_emit = now
        if self._live is None and self.enabled:
            self._print_line()
        snap = self.meter.snapshot()
        for fn in self.listeners:
            fn(snap)

    def _print_line(self) -> None:
        total = self.meter.total
        done = self.meter.done
        pct = f" {100.0 * done / total:5.1f}%" if total else ""
        count = f"{done:g}/{total:g}" if total is not None else f"{done:g}"
        line = (f"{self.description}: {count}{pct} {self._rate_text()} "
                f"ETA {format_duration(self.meter.eta)} {self._info_text()}").rstrip()
        print(line, file=self._stream, flush=True)


class EventLog:
    """Append-only ``events.jsonl``: one JSON object per line, flushed at once.

    Every event has ``time`` (unix seconds), ``stage`` and whatever fields the caller adds
    (``step``, ``total_steps``, scalars). Non-finite floats are written as ``null`` so every
    line stays valid JSON.
    """

    def __init__(self, path: str | Path, enabled: bool = True):
        self.path = Path(path)
        self.enabled = enabled
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if hasattr(v, "item") and callable(v.item):
            try:
                return EventLog._clean(v.item())
            except (TypeError, ValueError):
                return str(v)
        if isinstance(v, dict):
            return {str(k): EventLog._clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [EventLog._clean(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        return v

    def write(self, stage: str, **fields: Any) -> dict[str, Any]:
        event = {"time": time.time(), "stage": stage}
        event.update({k: self._clean(v) for k, v in fields.items()})
        if self.enabled:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(event) + "\n")
        return event


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """All complete events of an ``events.jsonl`` (a torn last line from a crash is ignored)."""
    p = Path(path)
    if not p.is_file():
        return []
    events = []
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events
