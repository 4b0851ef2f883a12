"""Samples of a project: add (checked, de-duplicated), relabel, delete, import a server folder.

Files live at ``home/projects/<project>/samples/<label>/<file>``, the folder layout every
recipe reads (one folder per speaker or class), so a project's samples folder is directly the
``data`` argument of :func:`soundry.api.prepare`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

from soundry.serve.probe import probe_audio
from soundry.serve.settings import Home, ServeError, ServeSettings, inside
from soundry.serve.store import Store
from soundry.serve.uploads import ReceivedFile, remove_quietly, safe_filename, safe_label

MAX_IMPORT_FILES = 20000


class Samples:
    """Adds and removes sample files together with their rows in the store."""

    def __init__(self, store: Store, home: Home, settings: ServeSettings):
        self.store, self.home, self.settings = store, home, settings
        self._lock = threading.Lock()  # one add at a time: de-duplication needs a stable view

    def path_of(self, sample: dict[str, Any]) -> Path:
        return inside(self.home.samples(sample["project_id"]), sample["label"], sample["filename"])

    def add(self, project_id: str, label: str, received: ReceivedFile) -> dict[str, Any]:
        """Check and file one received upload; returns a per-file result, never raises."""
        result: dict[str, Any] = {"file": received.filename}
        try:
            result.update(self._add(project_id, label, received))
        except ServeError as exc:
            result.update(status="rejected", code=exc.status, error=exc.message)
        finally:
            remove_quietly(received.path)
        return result

    def _add(self, project_id: str, label: str, received: ReceivedFile) -> dict[str, Any]:
        name = safe_filename(received.filename)
        label = safe_label(label)
        if received.size == 0:
            raise ServeError(415, "the file is empty (0 bytes)")
        existing = self.store.sample_by_hash(project_id, received.sha256)
        if existing:
            return {"status": "duplicate", "sample": existing,
                    "error": f"same content as {existing['label']}/{existing['filename']}"}
        info = probe_audio(received.path)
        with self._lock:
            existing = self.store.sample_by_hash(project_id, received.sha256)
            if existing:
                return {"status": "duplicate", "sample": existing,
                        "error": f"same content as {existing['label']}/{existing['filename']}"}
            folder = inside(self.home.samples(project_id), label)
            folder.mkdir(parents=True, exist_ok=True)
            name = self._free_name(folder, name)
            target = inside(folder, name)
            os.replace(received.path, target)
            try:
                sample = self.store.add_sample(project_id, label, name, received.sha256, received.size, info)
            except sqlite3.IntegrityError:
                target.unlink(missing_ok=True)
                raise ServeError(409, "another upload of the same file arrived at the same time") from None
        return {"status": "added", "sample": sample}

    @staticmethod
    def _free_name(folder: Path, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while (folder / candidate).exists():
            n += 1
            candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
        return candidate

    def relabel(self, sample: dict[str, Any], label: str) -> dict[str, Any]:
        label = safe_label(label)
        if label == sample["label"]:
            return sample
        with self._lock:
            src = self.path_of(sample)
            folder = inside(self.home.samples(sample["project_id"]), label)
            folder.mkdir(parents=True, exist_ok=True)
            name = self._free_name(folder, sample["filename"])
            os.replace(src, inside(folder, name))
            self.store.update_sample(sample["id"], label=label, filename=name)
            self._drop_empty(src.parent)
        return self.store.sample(sample["id"])

    def delete(self, sample: dict[str, Any]) -> None:
        path = self.path_of(sample)
        with self._lock:
            self.store.delete_sample(sample["id"])
            path.unlink(missing_ok=True)
            self._drop_empty(path.parent)

    @staticmethod
    def _drop_empty(folder: Path) -> None:
        """Remove a label folder left empty (never the samples folder itself)."""
        try:
            if folder.parent.name == "samples" and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:
            pass

    # ------------------------------------------------------------ server-side import
    def allowed_folder(self, folder: str) -> Path:
        """``folder`` resolved, if it lies under one of the configured import roots (else 403)."""
        if not self.settings.import_roots:
            raise ServeError(403, "importing server folders is off; start the server with --import-root DIR")
        if not isinstance(folder, str) or not folder or "\x00" in folder:
            raise ServeError(400, "give the folder to import as a path")
        path = Path(folder).expanduser().resolve()
        if not any(path == r or r in path.parents for r in self.settings.import_roots):
            roots = ", ".join(str(r) for r in self.settings.import_roots)
            raise ServeError(403, f"{folder} is outside the allowed import roots ({roots})")
        if not path.is_dir():
            raise ServeError(404, f"no such folder on the server: {folder}")
        return path

    def import_folder(self, project_id: str, folder: str, label: str | None = None) -> list[dict[str, Any]]:
        """Copy audio from a server folder (``<label>/**/<file>``, or all files with ``label``)."""
        root = self.allowed_folder(folder)
        results = []
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        if len(files) > MAX_IMPORT_FILES:
            raise ServeError(413, f"{len(files)} files is more than one import takes ({MAX_IMPORT_FILES})")
        for path in files:
            real = path.resolve()  # a link out of the allowed roots is not followed
            if not any(r in real.parents for r in self.settings.import_roots):
                results.append({"file": str(path.relative_to(root)), "status": "rejected", "code": 403,
                                "error": "links outside the allowed import roots are not followed"})
                continue
            rel = path.relative_to(root)
            file_label = label or (rel.parts[0] if len(rel.parts) > 1 else None)
            if not file_label:
                results.append({"file": str(rel), "status": "rejected", "code": 400,
                                "error": "files at the top of the folder need a label; put them in "
                                         "<label>/ folders or give one label for all"})
                continue
            if real.stat().st_size > self.settings.max_upload_bytes:
                results.append({"file": str(rel), "status": "rejected", "code": 413,
                                "error": f"larger than the upload cap of {self.settings.max_upload_mb:g} MB"})
                continue
            received = self._copy_in(real, path.name)
            results.append(self.add(project_id, file_label, received) | {"file": str(rel)})
        return results

    def _copy_in(self, src: Path, name: str) -> ReceivedFile:
        """Copy ``src`` into ``home/tmp`` (never moving user data), hashing it on the way."""
        tmp = self.home.tmp / f"imp-{secrets.token_hex(8)}.part"
        received = ReceivedFile("import", name, tmp)
        digest = hashlib.sha256()
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while chunk := fin.read(1 << 20):
                received.size += len(chunk)
                digest.update(chunk)
                fout.write(chunk)
        received.sha256 = digest.hexdigest()
        return received


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
