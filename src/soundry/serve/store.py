"""The server's state in SQLite: projects, samples, jobs and the audit log.

The web process (many threads) and the workers (other processes) share one database file.
WAL mode lets readers go on while a worker writes; every call opens its own short
connection, so no connection crosses a thread and no transaction stays open.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, recipe TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    label TEXT NOT NULL, filename TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    duration REAL, sample_rate INTEGER, channels INTEGER, quality REAL, created REAL NOT NULL,
    UNIQUE (project_id, sha256), UNIQUE (project_id, label, filename));
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, recipe TEXT NOT NULL, preset TEXT,
    overrides TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL, created REAL NOT NULL,
    started REAL, finished REAL, pid INTEGER, heartbeat REAL, error TEXT,
    resume INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, bundle TEXT);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, action TEXT NOT NULL,
    target TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE INDEX IF NOT EXISTS samples_project ON samples(project_id);
"""

#: Job states; ACTIVE ones have (or are about to have) a worker process.
JOB_STATES = ("queued", "preparing", "training", "exporting", "succeeded", "failed", "cancelled",
              "interrupted")
ACTIVE = ("preparing", "training", "exporting")
FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def new_id(prefix: str) -> str:
    """A fresh id such as ``p_3f2a9c0d11e4`` (prefix ``p``, ``s`` or ``j``)."""
    return f"{prefix}_{secrets.token_hex(6)}"


class Store:
    """Typed access to ``serve.db``; every method is one short transaction."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def init(self) -> Store:
        db = sqlite3.connect(self.path, timeout=15.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the worker's writes
            db.executescript(SCHEMA)
        finally:
            db.close()
        return self

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=15.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=15000")
        # WAL + NORMAL: commits skip the fsync (a power cut may lose the last ones, never corrupts)
        db.execute("PRAGMA synchronous=NORMAL")
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        db = sqlite3.connect(self.path, timeout=15.0)
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(sql, args).fetchall()]
        finally:
            db.close()

    def _one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        rows = self._all(sql, *args)
        return rows[0] if rows else None

    # ------------------------------------------------------------ audit
    def audit(self, action: str, target: str | None = None, **detail: Any) -> None:
        with self.connect() as db:
            db.execute("INSERT INTO audit (time, action, target, detail) VALUES (?, ?, ?, ?)",
                       (time.time(), action, target, json.dumps(detail, default=str)))

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM audit ORDER BY id DESC LIMIT ?", limit)
        for r in rows:
            r["detail"] = json.loads(r["detail"] or "{}")
        return rows

    # ------------------------------------------------------------ projects
    def add_project(self, name: str, recipe: str, description: str = "") -> dict[str, Any]:
        pid = new_id("p")
        with self.connect() as db:
            db.execute("INSERT INTO projects (id, name, recipe, description, created) VALUES (?, ?, ?, ?, ?)",
                       (pid, name, recipe, description, time.time()))
        return self.project(pid)

    def project(self, project_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM projects WHERE id = ?", project_id)

    def projects(self) -> list[dict[str, Any]]:
        return self._all("SELECT p.*, (SELECT COUNT(*) FROM samples s WHERE s.project_id = p.id) AS samples, "
                         "(SELECT COALESCE(SUM(duration), 0) FROM samples s WHERE s.project_id = p.id) "
                         "AS seconds FROM projects p ORDER BY created")

    def delete_project(self, project_id: str) -> None:
        """The project with its samples and jobs (rows only; the caller removes the files)."""
        with self.connect() as db:
            db.execute("DELETE FROM jobs WHERE project_id = ?", (project_id,))
            db.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    # ------------------------------------------------------------ samples
    def add_sample(self, project_id: str, label: str, filename: str, sha256: str, size: int,
                   info: dict[str, Any]) -> dict[str, Any]:
        sid = new_id("s")
        with self.connect() as db:
            db.execute("INSERT INTO samples (id, project_id, label, filename, sha256, size, duration, "
                       "sample_rate, channels, quality, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (sid, project_id, label, filename, sha256, size, info.get("duration"),
                        info.get("sample_rate"), info.get("channels"), info.get("quality"), time.time()))
        return self.sample(sid)

    def sample(self, sample_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM samples WHERE id = ?", sample_id)

    def sample_by_hash(self, project_id: str, sha256: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM samples WHERE project_id = ? AND sha256 = ?", project_id, sha256)

    def sample_by_name(self, project_id: str, label: str, filename: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM samples WHERE project_id = ? AND label = ? AND filename = ?",
                         project_id, label, filename)

    def samples(self, project_id: str) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM samples WHERE project_id = ? ORDER BY label, filename", project_id)

    def update_sample(self, sample_id: str, **fields: Any) -> None:
        self._update("samples", sample_id, fields)

    def delete_sample(self, sample_id: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM samples WHERE id = ?", (sample_id,))

    # ------------------------------------------------------------ jobs
    def add_job(self, project_id: str, recipe: str, preset: str | None, overrides: list[str]) -> dict[str, Any]:
        jid = new_id("j")
        with self.connect() as db:
            db.execute("INSERT INTO jobs (id, project_id, recipe, preset, overrides, state, created) "
                       "VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                       (jid, project_id, recipe, preset, json.dumps(list(overrides)), time.time()))
        return self.job(jid)

    def job(self, job_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM jobs WHERE id = ?", job_id)
        if row is not None:
            row["overrides"] = json.loads(row["overrides"])
        return row

    def jobs(self, project_id: str | None = None, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if project_id is not None:
            sql += " AND project_id = ?"
            args.append(project_id)
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(states)
        rows = self._all(sql + " ORDER BY created", *args)
        for r in rows:
            r["overrides"] = json.loads(r["overrides"])
        return rows

    def update_job(self, job_id: str, **fields: Any) -> None:
        self._update("jobs", job_id, fields)

    def transition(self, job_id: str, from_states: tuple[str, ...], **fields: Any) -> bool:
        """Set ``fields`` only if the job is in one of ``from_states``; whether it was."""
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.connect() as db:
            cur = db.execute(f"UPDATE jobs SET {cols} WHERE id = ? AND state IN "
                             f"({','.join('?' * len(from_states))})",
                             (*fields.values(), job_id, *from_states))
            return cur.rowcount == 1

    def _update(self, table: str, row_id: str, fields: dict[str, Any]) -> None:
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)  # keys come from code, never from requests
        with self.connect() as db:
            db.execute(f"UPDATE {table} SET {cols} WHERE id = ?", (*fields.values(), row_id))
