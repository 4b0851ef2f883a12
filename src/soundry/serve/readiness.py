"""The readiness report of a project: :func:`soundry.api.prepare` on its samples folder.

The report (per label: files, minutes, quality, problems; a verdict with reasons) comes from
the data package, judged against the recipe's thresholds (``data.readiness.*``). It is kept
until the project's samples change, so the dashboard can ask for it as often as it likes.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from soundry import api
from soundry.errors import SoundryError
from soundry.serve.settings import Home, ServeError
from soundry.serve.store import Store


class Readiness:
    def __init__(self, store: Store, home: Home):
        self.store, self.home = store, home
        self._locks: dict[str, threading.Lock] = {}
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._guard = threading.Lock()

    def _fingerprint(self, project_id: str, preset: str | None) -> str:
        h = hashlib.sha256(str(preset).encode())
        for s in self.store.samples(project_id):
            h.update(f"{s['label']}/{s['filename']}/{s['sha256']};".encode())
        return h.hexdigest()

    def report(self, project: dict[str, Any], preset: str | None = None) -> dict[str, Any]:
        """``{"ready", "reasons", "labels": {label: {...}}, "thresholds", "skipped", "warnings", "totals"}``."""
        pid = project["id"]
        with self._guard:
            lock = self._locks.setdefault(pid, threading.Lock())
        with lock:
            key = self._fingerprint(pid, preset)
            cached = self._cache.get((pid, key))
            if cached is not None:
                return cached
            if not self.store.samples(pid):
                return {"ready": False, "reasons": ["no samples yet: upload audio files first"], "labels": {},
                        "thresholds": {}, "skipped": [], "warnings": [], "totals": {}}
            try:
                result = api.prepare(self.home.samples(pid), self.home.readiness(pid), recipe=project["recipe"],
                                     config=[preset] if preset else [], progress=False)
            except SoundryError as exc:
                raise ServeError(422, f"the readiness check failed: {exc}") from None
            report = getattr(result, "report", result)
            out = summarise(report)
            self._cache = {k: v for k, v in self._cache.items() if k[0] != pid}
            self._cache[(pid, key)] = out
            return out


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """The parts of ``report.json`` the dashboard shows, with minutes added per label."""
    labels = {}
    for name, row in report.get("labels", {}).items():
        labels[name] = {"files": row.get("files", 0), "skipped": row.get("skipped", 0),
                        "minutes": round(row.get("seconds", 0.0) / 60.0, 3),
                        "kept_minutes": round(row.get("kept_seconds", row.get("seconds", 0.0)) / 60.0, 3),
                        "quality": row.get("quality"), "ready": bool(row.get("ready")),
                        "problems": list(row.get("problems", []))}
    thresholds = {k: v for k, v in report.get("readiness", {}).items() if k != "reasons"}
    return {"ready": bool(report.get("ready")), "reasons": list(report.get("readiness", {}).get("reasons", [])),
            "labels": labels, "thresholds": thresholds, "skipped": report.get("skipped", []),
            "warnings": report.get("warnings", []), "totals": report.get("totals", {})}
